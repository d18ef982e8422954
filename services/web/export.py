"""Every download of the dashboard (the Gaps page's and the SQL page's), in three forms:

- `csv`, for people, the default: what Finnish Excel opens as a table by a double click.
  In Finnish and Swedish `;`-separated (the comma is the decimal sign), UTF-8 with a byte order
  mark (without it Excel reads UTF-8 as Windows-1252 and `ä` breaks), decimal comma,
  dates `31.12.2024`; headers and codes in the reader's words. In English `,` and a decimal
  point, ISO dates, with the BOM.
- `csv-plain`, for programs (R, pandas, another database): `,`, no BOM, decimal point, ISO
  dates and times, the relation's own column names and codes; the same in every language.
- `xlsx`: typed cells (numbers as numbers, dates as dates) in the reader's words; a hidden
  count stays the text people see (`<5`, `..`).

In all three a text cell a spreadsheet would run as a formula is neutralised
(services/csvsafe.py); in XLSX every text is also written as a string cell, which Excel never
evaluates, whatever it begins with."""

import asyncio
import io
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from aiohttp import web
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

from services.csvsafe import INNER_TRIGGER_PAIR, LEADING, TRIGGERS, csv_line, neutral, quoted
from services.shown import OWN_IDS, SHORTEST_CODE, masked_value
from services.web.formats import HELSINKI, day

FORMATS = ("csv", "csv-plain", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
# What a cell says in the reader's words: (column, raw value) -> value; codes -> words.
Words = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Table:
    names: Sequence[str]  # the relation's column names (plain CSV's header)
    headers: Sequence[str]  # the same columns in the reader's words
    rows: Sequence[Sequence[Any]]  # raw values: numbers, dates, codes, suppressed text
    words: Words = lambda _name, value: value
    counts: frozenset[str] = field(default_factory=frozenset)  # text counts ('12', '<5')
    # or the rows as Arrow columns (a national download), in place of `rows`
    data: pa.Table | None = None
    # text columns `words` passes through as they are (references, names, ids): written
    # by Arrow without a Python call per value
    verbatim: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.data is not None and self.rows:
            raise ValueError("a table's rows come as rows or as Arrow columns, not both")

    def all_rows(self) -> Sequence[Sequence[Any]]:
        if self.data is None:
            return self.rows
        return list(zip(*(c.to_pylist() for c in self.data.columns), strict=True))

    def row_count(self) -> int:
        return len(self.rows) if self.data is None else self.data.num_rows


def chosen(value: str | None) -> str:
    """The format asked for in `?format=` (anything unknown is the people's CSV)."""
    return value if value in FORMATS else "csv"


def _count(value: Any) -> Any:
    """A published count arrives as text: a number when it is one, else its text."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _local(value: datetime) -> datetime:
    """A moment on Helsinki's wall clock, without zone (what a spreadsheet can hold); a time
    without a zone (an analyst's TIMESTAMP) stays as it is."""
    if value.tzinfo is None:
        return value
    return value.astimezone(HELSINKI).replace(tzinfo=None)


@lru_cache(maxsize=16384)
def _day(value: date, lang: str) -> str:
    """A day in the reader's form, remembered: an export of a national file's gaps has a
    hundred thousand dates over a few thousand days, and Babel takes tens of microseconds
    to format one. Finnish and Swedish write it d.M.yyyy (Babel's short form for both; the
    unit tests hold the two together), without Babel's pattern machinery."""
    if lang in ("fi", "sv"):
        return f"{value.day}.{value.month}.{value.year}"
    return day(value, lang)


def _people_cell(value: Any, lang: str) -> Any:
    if value.__class__ is str:  # most cells: codes, names, references
        return neutral(value)
    comma = lang in ("fi", "sv")
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",") if comma else value
    if isinstance(value, datetime):
        local = _local(value)
        return (f"{day(local, lang)} {local:%H:%M:%S}" if comma
                else local.isoformat(sep=" ", timespec="seconds"))
    if isinstance(value, date):
        return _day(value, lang) if comma else value.isoformat()
    return neutral(value)


def _plain_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return neutral(value)


def _people_column(table: Table, i: int, lang: str) -> list[Any]:
    """Column i in the reader's form, each distinct value formatted once (a national export
    repeats its codes, places and days tens of thousands of times)."""
    name = table.names[i]
    count = name in table.counts
    column = [row[i] for row in table.rows]
    try:
        distinct: set[Any] | None = set(column)
    except TypeError:  # an unhashable value (a list an analyst selected)
        distinct = None
    kinds = set(map(type, column)) - {type(None)}  # an empty cell is only ever None
    if distinct is not None and len(kinds) <= 1:
        # One type in the column, so equal values are the same value (no True == 1): each
        # distinct one formatted once, the column looked up in C (a national export has a
        # million cells, and a Python loop over them was most of its second).
        say = {v: _people_cell(table.words(name, _count(v) if count else v), lang)
               for v in distinct}
        return list(map(say.__getitem__, column))
    done: dict[tuple[type, Any], Any] = {}
    out: list[Any] = []
    for row in table.rows:
        v = row[i]
        key = (v.__class__, v)  # True and 1 are equal keys: the class tells them apart
        try:
            got = done[key]
        except KeyError:
            got = done[key] = _people_cell(table.words(name, _count(v) if count else v), lang)
        except TypeError:  # an unhashable value (a list an analyst selected)
            got = _people_cell(table.words(name, _count(v) if count else v), lang)
        out.append(got)
    return out


def _rows_text(lines: Iterable[Sequence[Any]], delimiter: str, newline: str) -> str:
    return "".join(csv_line(cells, delimiter) + newline for cells in lines)


def csv_people(table: Table, lang: str) -> bytes:
    delimiter = ";" if lang in ("fi", "sv") else ","
    if table.data is not None and _flat(table.data):
        def say(name: str, v: Any) -> Any:
            return _people_cell(table.words(name, _count(v) if name in table.counts else v),
                                lang)
        return BOM.encode() + _csv_columns(table.names, table.headers, table.data, say,
                                           delimiter, "\r\n", table.verbatim)
    rows = table.all_rows()
    for row in rows:
        if len(row) != len(table.names):
            raise ValueError(f"a row of {len(row)} values under {len(table.names)} columns")
    shown = replace(table, rows=rows, data=None)
    columns = [_people_column(shown, i, lang) for i in range(len(table.names))]
    text = _rows_text([[neutral(h) for h in table.headers], *zip(*columns, strict=True)],
                      delimiter, "\r\n")
    return (BOM + text).encode("utf-8")


# Arrow types whose values to_pylist gives as the row path's Python values (a list, struct,
# dictionary or interval column takes the row path)
def _flat(data: pa.Table) -> bool:
    return all(map(_flat_type, data.schema.types))


def _flat_type(kind: pa.DataType) -> bool:
    t = pa.types
    return bool(t.is_string(kind) or t.is_large_string(kind) or t.is_integer(kind)
                or t.is_floating(kind) or t.is_boolean(kind) or t.is_date(kind)
                or t.is_timestamp(kind) or t.is_decimal(kind) or t.is_null(kind))


def map_distinct(column: pa.ChunkedArray | pa.Array, fn: Callable[[Any], str] | None = None,
                 arrow: Callable[[pa.Array], pa.Array] | None = None) -> pa.Array:
    """fn of every value of a column, called once per distinct value (None included) in
    Python, or `arrow` over the array of distinct values; the column then looked up by Arrow
    in C++: a national download repeats its codes, places, days and clients tens of
    thousands of times."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    coded = column.dictionary_encode(null_encoding="encode")
    if arrow is not None:
        said = arrow(coded.dictionary)
    elif fn is not None:
        said = pa.array([fn(v) for v in coded.dictionary.to_pylist()], pa.string())
    else:
        raise TypeError("map_distinct needs fn or arrow")
    return pc.take(said, coded.indices)


def masked_columns(data: pa.Table, names: Sequence[str], deadline: float = math.inf
                   ) -> pa.Table:
    """An answer's columns with identity codes masked as services.shown.masked_value masks a
    value: each distinct text once (Arrow looks the column up), and a column of lists,
    structs or bytes turned to its masked text only where a value of it holds a code (else
    it stays as it is, typed). The SQL page's downloads wrote what a query typed, a literal
    code included (the page itself masked it). `names`: the columns' names, masked too.
    TimeoutError once time.monotonic() passes `deadline` (checked between values)."""
    columns = []
    for column in data.columns:
        if time.monotonic() > deadline:
            raise TimeoutError
        t = column.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            masked = map_distinct(column, arrow=lambda texts: _masked_texts(texts, deadline))
            if not masked.equals(column.combine_chunks().cast(pa.string())):
                column = masked
        elif not _flat_type(t):
            values = column.to_pylist()
            shown = [_in_time(masked_value, v, deadline) for v in values]
            if any(a is not b for a, b in zip(values, shown, strict=True)):
                column = pa.array([None if v is None else str(v) for v in shown], pa.string())
        columns.append(column)
    return pa.table(columns, names=list(names))


# What masked_value passes as it is, told by Arrow: a national answer has a quarter of a
# million distinct pseudonyms, and masking each took 1.9 s a million rows.
_PASSED = f"^(?:{OWN_IDS})$"


def _in_time(fn: Callable[[Any], Any], value: Any, deadline: float) -> Any:
    if time.monotonic() > deadline:
        raise TimeoutError
    return fn(value)


def _masked_texts(texts: pa.Array, deadline: float = math.inf) -> pa.Array:
    """masked_value of each of `texts` (distinct), in Python only where it may change one."""
    short = pc.and_(pc.less(pc.utf8_length(texts), SHORTEST_CODE), pc.string_is_ascii(texts))
    keep = pc.fill_null(pc.or_(short, pc.match_substring_regex(texts, _PASSED)), True)
    look = pc.indices_nonzero(pc.invert(keep)).to_pylist()
    if not look:
        return texts.cast(pa.string())
    values = texts.to_pylist()
    for i in look:
        values[i] = _in_time(masked_value, values[i], deadline)
    return pa.array(values, pa.string())


def _say_quoted(say: Callable[[str, Any], Any], name: str, delimiter: str, value: Any) -> str:
    return quoted(say(name, value), delimiter)


# neutral() and quoted() of services/csvsafe.py as Arrow expressions over a text column
def _char_class(chars: str) -> str:
    """A regular expression (RE2's, Arrow's) matching any one of `chars`, each by its code."""
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


_TRIGGER_RE = "^" + _char_class(LEADING) + "*" + _char_class("".join(TRIGGERS))  # formula()


def _text_cells(column: pa.Array, delimiter: str) -> pa.Array:
    """A text column's cells as neutral() then quoted() make them, computed by Arrow."""
    text = pc.fill_null(column, "")
    text = pc.if_else(pc.match_substring_regex(text, _TRIGGER_RE),
                      pc.binary_join_element_wise("'", text, ""), text)
    text = pc.replace_substring_regex(text, INNER_TRIGGER_PAIR, "\\1'\\2")  # as quoted()
    needs = pc.match_substring_regex(text, _char_class(delimiter + '"\r\n'))
    return pc.if_else(needs, pc.binary_join_element_wise(
        '"', pc.replace_substring(text, '"', '""'), '"', ""), text)


def _csv_columns(names: Sequence[str], headers: Sequence[str], data: pa.Table,
                 say: Callable[[str, Any], Any], delimiter: str, newline: str,
                 verbatim: frozenset[str] = frozenset()) -> bytes:
    """CSV of an Arrow table (UTF-8), the same as the row path's (the unit tests hold the two
    together): each column's distinct values formatted (`say`) and quoted once, and
    everything per row (the look-up, joining cells and lines) done by Arrow. A case worker's
    76,466 national gap rows took 0.7 s in the csv module. `verbatim` columns `say` passes
    through as they are: their text is neutralised and quoted by Arrow, and their integers
    are written by Arrow (an integer is written as it is, in every form), without a Python
    value per cell (an analyst's export of millions of rows)."""
    if list(data.column_names) != list(names):
        raise ValueError(f"columns {data.column_names} under the names {list(names)}")
    cells = [map_distinct(column, arrow=partial(_text_cells, delimiter=delimiter))
             if name in verbatim and pa.types.is_string(column.type) else
             pc.fill_null(pc.cast(column, pa.string()), "")
             if name in verbatim and pa.types.is_integer(column.type) else
             map_distinct(column, partial(_say_quoted, say, name, delimiter))
             for name, column in zip(names, data.columns, strict=True)]
    head = (csv_line([neutral(h) for h in headers], delimiter) + newline).encode()
    if not cells or data.num_rows == 0:
        return head
    if len(cells) == 1:  # a row of one empty cell is written "" (csv_line)
        lines = pc.if_else(pc.equal(cells[0], ""), '""', cells[0])
    else:
        lines = pc.binary_join_element_wise(*cells, delimiter)
    return head + _text_of(pc.binary_join_element_wise(lines, "", newline))


def _text_of(lines: pa.Array | pa.ChunkedArray) -> bytes:
    """The lines (each ending in its newline) one after the other: the bytes of their data
    buffer between their first and last offsets, with no Python string per line."""
    if isinstance(lines, pa.ChunkedArray):
        return b"".join(_text_of(chunk) for chunk in lines.chunks)
    if len(lines) == 0:
        return b""
    _, offset_buffer, data = lines.buffers()
    offsets = pa.Array.from_buffers(pa.int32(), len(lines) + 1, [None, offset_buffer],
                                    offset=lines.offset)
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    return bytes(data[start:end].to_pybytes())


def csv_plain(table: Table) -> bytes:
    if table.data is not None and _flat(table.data):
        return _csv_columns(table.names, table.names, table.data, lambda _, v: _plain_cell(v),
                            ",", "\n", frozenset(table.names))
    return _rows_text([[neutral(n) for n in table.names],
                       *([_plain_cell(v) for v in row] for row in table.all_rows())],
                      ",", "\n").encode("utf-8")


def _xlsx_cell(ws: Any, value: Any) -> Any:
    """A typed cell. Plain values where they can be (a cell object per value costs twice the
    time); a date needs a cell for its Finnish number format."""
    cell: Cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, _local(value))
        cell.number_format = "d.m.yyyy h:mm:ss"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value)  # type: ignore[arg-type]  # openpyxl takes dates
        cell.number_format = "d.m.yyyy"
        return cell
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", str(neutral(value)))
    if text.startswith("="):  # cannot happen after neutral(); openpyxl would make a formula
        cell = WriteOnlyCell(ws, text)
        cell.data_type = "s"
        return cell
    return text


def xlsx(table: Table, title: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(ILLEGAL_CHARACTERS_RE.sub("", title)[:31] or "jatkumo")
    ws.append([_xlsx_cell(ws, h) for h in table.headers])
    for row in table.all_rows():
        ws.append([_xlsx_cell(ws, table.words(n, _count(v) if n in table.counts else v))
                   for n, v in zip(table.names, row, strict=True)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def response(table: Table, fmt: str, lang: str, stem: str, title: str
                   ) -> web.Response:
    """The download in format `fmt` as `stem.csv` or `stem.xlsx`, written on a worker thread:
    the national file's 49,000 gap cells take openpyxl seconds, and pages must not wait."""
    if fmt == "xlsx":
        write, kind, name = partial(xlsx, table, title), XLSX_TYPE, f"{stem}.xlsx"
    elif fmt == "csv-plain":
        write, kind, name = partial(csv_plain, table), "text/csv; charset=utf-8", f"{stem}.csv"
    else:
        write, kind, name = (partial(csv_people, table, lang), "text/csv; charset=utf-8",
                             f"{stem}.csv")
    body = await asyncio.get_running_loop().run_in_executor(None, write)
    return web.Response(body=body, headers={
        "Content-Type": kind, "Content-Disposition": f'attachment; filename="{name}"'})
