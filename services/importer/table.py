"""Reading a CSV export as it comes out of a register: the delimiter and the encoding are found,
not asked for, because a person exporting from Excel rarely knows either."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.errors import UsageError
from schemas.hetu import mask_codes

DELIMITERS = ";,\t"
MAX_BYTES = 512 * 2**20  # an export larger than this is not a spreadsheet
EXTRA = "\0extra"  # the key of a row's refusal (no column is named so): why the row is bad


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, cells by column)
    encoding: str
    delimiter: str


# What a spreadsheet saves when "CSV" was not chosen: named, so that the message says what
# to do instead of "is this a CSV export?" (a workbook decodes as Windows-1252 text).
_NOT_CSV = ((b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
            (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
            (b"\xff\xfe", "UTF-16 text (Excel's 'Unicode text')"),
            (b"\xfe\xff", "UTF-16 text (Excel's 'Unicode text')"))


def decode(data: bytes) -> tuple[str, str]:
    """The text of an export and its encoding: UTF-8 (a BOM is dropped), else Windows-1252,
    which Finnish Excel writes by default and which decodes any byte but five."""
    for magic, what in _NOT_CSV:
        if data.startswith(magic):
            raise UsageError(f"the file is {what}, not CSV; save it from the spreadsheet as "
                             "'CSV UTF-8'")
    if b"\0" in data[:2] and data[:2] != b"\0\0":
        raise UsageError("the file is UTF-16 text without a byte-order mark, not CSV; save it "
                         "from the spreadsheet as 'CSV UTF-8'")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as e:
        raise UsageError(f"the file is neither UTF-8 nor Windows-1252 (byte {e.start}); save it "
                         "from the spreadsheet as 'CSV UTF-8'") from None


def delimiter_of(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise UsageError("the header line has no ';', ',' or tab: is this a CSV export?")
    return best


def read_table(path: Path) -> Table:
    """The export's rows. Its errors have identity codes masked: they quote the file's name,
    and an export may be named after its client (SPEC.md 1.2)."""
    if path.stat().st_size > MAX_BYTES:
        raise UsageError(mask_codes(f"{path} is over {MAX_BYTES // 2**20} MiB; split the export"))
    text, encoding = decode(path.read_bytes())
    nul = text.find("\0")
    if nul >= 0:
        # no register writes one: a NUL in a cell would reach events, logs and the pages
        raise UsageError(mask_codes(f"{path}:{text.count(chr(10), 0, nul) + 1}: a NUL byte; "
                                    "is this a CSV export?"))
    if not text.strip():  # not "the header line has no ';'": there is no line at all
        raise UsageError(mask_codes(f"{path} is empty: export it with a header line"))
    first = text.split("\n", 1)[0]
    delimiter = delimiter_of(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header, width = _header(path, next(reader, []))
        return Table(header, list(_rows(reader, header, width)), encoding, delimiter)
    except csv.Error as e:  # a cell over the csv module's limit (128 KiB): no export has one
        raise UsageError(mask_codes(f"{path}:{reader.line_num}: {e}; is this a CSV export?")
                         ) from None


def _header(path: Path, cells: list[str]) -> tuple[list[str], int]:
    """The column names and the number of cells the header line has. Columns without a name
    at the end are dropped: Excel writes `present;;` for columns once used and emptied."""
    header = [h.strip() for h in cells]
    width = len(header)
    while header and header[-1] == "":
        header.pop()
    if not header:
        raise UsageError(mask_codes(f"{path}: the header line names no column; export it with "
                                    "a header line"))
    if len(set(header)) < len(header):
        # a file without a header line has its first row here: the cells are a client's
        raise UsageError(mask_codes(f"{path}: the header names a column twice: {header}"))
    return header, width


def _rows(reader: Any, header: list[str], width: int
          ) -> Iterator[tuple[int, dict[str, str]]]:
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue  # blank lines between blocks, as spreadsheets leave them
        padded = cells + [""] * (len(header) - len(cells))
        row = dict(zip(header, (c.strip() for c in padded), strict=False))
        if len(cells) > width:
            row[EXTRA] = "more cells than the header has columns"
        elif any(c.strip() for c in cells[len(header):]):
            row[EXTRA] = "a cell under a column without a name; name the column or empty it"
        yield line, row
