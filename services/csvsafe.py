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

from schemas.hetu import IGNORABLE_RANGES

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# What may come before a trigger and still leave a formula to a spreadsheet that skips it:
# every character that shows nothing or shows as a blank: spaces and separators (Unicode's
# Zs, Zl, Zp), format characters (Cf: zero-width spaces, direction marks, the soft hyphen, a
# byte order mark, invisible operators, tags), controls other than the triggers' own tab, CR
# and LF, and the other default-ignorable ones (the combining grapheme joiner, Hangul fillers,
# Mongolian and variation selectors, the Braille blank).
# (attack, 2026-12-05: ` =1` and `<NUL>=1` were written as they were; a hunt, 2026-12-06: a
# left-to-right mark, a soft hyphen or a Hangul filler before `=` too)
# (what schemas.hetu.visible drops as showing nothing, and the default-ignorable code points
# no character is assigned to yet, which a renderer also shows as nothing: a review found
# U+2065 before '=' written as it was)
_UNASSIGNED_IGNORABLE = ((0x2065, 0x2065), (0xfff0, 0xfff8), (0xe0000, 0xe0000),
                         (0xe0002, 0xe001f), (0xe0080, 0xe00ff), (0xe01f0, 0xe0fff))
_SHOW_NOTHING = "".join(chr(c) for lo, hi in (*IGNORABLE_RANGES, *_UNASSIGNED_IGNORABLE)
                        for c in range(lo, hi + 1))
# Zs, Zl, Zp, Cf and the controls but tab, CR and LF, as ranges of code points (Unicode 14, as
# Python 3.11's unicodedata; tests/unit/test_summary_csv_hostile.py checks it against it):
# written out, as a scan of every code point at import cost half a second of each command
_BLANK_RANGES = ((0x00, 0x08), (0x0b, 0x0c), (0x0e, 0x20), (0x7f, 0xa0), (0xad, 0xad),
                 (0x600, 0x605), (0x61c, 0x61c), (0x6dd, 0x6dd), (0x70f, 0x70f), (0x890, 0x891),
                 (0x8e2, 0x8e2), (0x1680, 0x1680), (0x180e, 0x180e), (0x2000, 0x200f),
                 (0x2028, 0x202f), (0x205f, 0x2064), (0x2066, 0x206f), (0x3000, 0x3000),
                 (0xfeff, 0xfeff), (0xfff9, 0xfffb), (0x110bd, 0x110bd), (0x110cd, 0x110cd),
                 (0x13430, 0x13438), (0x1bca0, 0x1bca3), (0x1d173, 0x1d17a),
                 (0xe0001, 0xe0001), (0xe0020, 0xe007f))
LEADING = "".join(chr(c) for lo, hi in _BLANK_RANGES for c in range(lo, hi + 1)) + _SHOW_NOTHING
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
