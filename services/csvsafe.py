"""Every CSV jatkumo writes goes through here: neutralised against formula injection as OWASP's
CSV-injection guidance says. A cell whose text begins with = + - @, a tab or a carriage return
(and, to be safe, a line feed or the full-width = + - @ some spreadsheets also honour) gets a
single quote in front, so a spreadsheet shows it as text instead of running it; the csv module
quotes every cell that needs it (separators, quotes, line breaks). Numbers stay numbers: -3 in
an integer column is data, not a formula."""

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TextIO

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutral(value: Any) -> Any:
    """The cell to write: None as empty, numbers as they are, any other value as text with a
    leading quote when a spreadsheet would take it for a formula."""
    if value.__class__ is str:  # the common case first: an export has a million cells
        return "'" + value if value.startswith(TRIGGERS) else value
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(TRIGGERS) else text


def write_csv(out: TextIO, names: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow([neutral(n) for n in names])  # a column name is the analyst's text too
    w.writerows([neutral(v) for v in row] for row in rows)


def csv_text(names: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    write_csv(out, names, rows)
    return out.getvalue()
