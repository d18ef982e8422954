"""Every CSV jatkumo writes goes through here: neutralised against formula injection as OWASP's
CSV-injection guidance says. A cell whose text begins with = + - @, a tab or a carriage return
(and, to be safe, a line feed or the full-width = + - @ some spreadsheets also honour) gets a
single quote in front, so a spreadsheet shows it as text instead of running it; `quoted`
quotes every cell that needs it (separators, quotes, line breaks), and puts the same quote in
front of a trigger that follows a separator or a line break inside a cell (see `quoted`).
Numbers stay numbers: -3 in an integer column is data, not a formula."""

import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TextIO

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# What may come before a trigger and still leave a formula to a spreadsheet that skips it:
# spaces (Unicode's too, and the zero-width ones and a byte order mark) and controls other
# than the triggers' own tab, CR and LF
# (attack, 2026-12-05: ` =1` and `<NUL>=1` were written as they were)
LEADING = (" \u00a0\u0085\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
           "\u2008\u2009\u200a\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
           + "".join(chr(c) for c in (*range(0x20), 0x7f) if chr(c) not in "\t\r\n"))
_LEADING_SET = frozenset(LEADING)


def formula(text: str) -> bool:
    """Whether a spreadsheet might take the text for a formula: a trigger at its start, or
    after leading blanks and controls."""
    return text.startswith(TRIGGERS) or (
        text[:1] in _LEADING_SET and text.lstrip(LEADING).startswith(TRIGGERS))
# A trigger right after a separator or a line break inside a cell starts a cell of its own for
# a reader that splits the line another way than it was written: Finnish Excel's list
# separator is ';', so a ','-separated `x;=cmd|' /C calc'!A0` (unquoted: it holds no ',')
# opens as a cell `=cmd|...` (attack, 2026-12-04); a ';'-separated export opened with ','
# splits at the ',' (quoting helps only where a quote opens the cell, which it then does not);
# and such a reader ends the row at a line break inside quotes. The separators are ',', ';'
# and a tab, and a line break; the triggers after them the ones that are not themselves one
# (a tab, CR or LF there is a separator, and the trigger after it gets its quote).
_INNER_SEPARATORS = ",;\t\r\n"
# a separator and the trigger after it, as two groups (also for RE2, Arrow's engine, which has
# no lookahead: services/web/export.py puts the quote between the two)
INNER_TRIGGER_PAIR = "([,;\t\r\n])([=+\\-@\uff1d\uff0b\uff0d\uff20])"
_INNER_TRIGGER = re.compile(INNER_TRIGGER_PAIR)


def neutral(value: Any) -> Any:
    """The cell to write: None as empty, numbers as they are, any other value as text with a
    leading quote when a spreadsheet would take it for a formula."""
    if value.__class__ is str:  # the common case first: an export has a million cells
        return "'" + value if formula(value) else value
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if formula(text) else text


def quoted(value: Any, delimiter: str = ",") -> str:
    """One cell's text as a CSV reader reads it back: quoted, its quotes doubled, when it
    holds the separator, a quote or a line break. (The csv module leaves a lone carriage
    return unquoted under a "\n" line end, which splits the row for every reader.) A formula
    trigger after a separator or a line break inside the cell gets a quote in front, as one
    at the cell's start does in `neutral` (see _INNER_TRIGGER): every CSV cell, of the rows
    and of the dashboard's downloads, passes through here."""
    text = "" if value is None else value if value.__class__ is str else str(value)
    for separator in _INNER_SEPARATORS:  # most cells hold none: no regular expression
        if separator in text:
            text = _INNER_TRIGGER.sub(r"\1'\2", text)
            break
    if delimiter in text or '"' in text or "\r" in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(cells: Sequence[Any], delimiter: str = ",") -> str:
    """A row of already neutralised cells (a row of one empty cell is written "", as the csv
    module does, so that it is not read as no row at all)."""
    if len(cells) == 1 and quoted(cells[0], delimiter) == "":
        return '""'
    return delimiter.join([quoted(c, delimiter) for c in cells])


def write_csv(out: TextIO, names: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    out.write(csv_line([neutral(n) for n in names]) + "\n")  # a column name is text too
    for row in rows:
        out.write(csv_line([neutral(v) for v in row]) + "\n")


def csv_text(names: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    write_csv(out, names, rows)
    return out.getvalue()
