"""Reading a CSV export as it comes out of a register: the delimiter and the encoding are found,
not asked for, because a person exporting from Excel rarely knows either."""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import UsageError
from schemas.hetu import has_code, mask_codes

DELIMITERS = ";,\t"
MAX_BYTES = 512 * 2**20  # an export larger than this is not a spreadsheet
EXTRA = "\0extra"  # the key of a row's refusal (no column is named so): why the row is bad
BOM = b"\xef\xbb\xbf"
SHOWN_LINES = 5  # the lines read as Windows-1252 that the report names


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


def _windows_1252(e: UnicodeError) -> tuple[str, int]:
    """The bytes of a line that are not UTF-8, read as Windows-1252 (a UnicodeDecodeError
    for the five bytes that Windows-1252 leaves undefined)."""
    assert isinstance(e, UnicodeDecodeError)
    return e.object[e.start:e.end].decode("cp1252"), e.end


codecs.register_error("jatkumo-windows-1252", _windows_1252)
# a character of more than one byte in UTF-8 (a few byte pairs that are none match too: it
# only tells whether a line or a file needs the slower reading line by line of `decode`)
_UTF8 = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode(data: bytes, where: str = "the file") -> tuple[str, str]:
    """The text of an export and its encoding: UTF-8, else Windows-1252 (which Finnish Excel
    writes by default), decided line by line, and a BOM dropped first whatever follows it.
    A file was read as one or the other whole: one stray Windows-1252 byte had a UTF-8 file
    read as Windows-1252, an identity code written with an en dash (050395–912K) became
    `050395â€“912K`, which no one reads as a code, and it went past the door (a hunt,
    2026-12-06). Now a line that is UTF-8 is read as UTF-8, one that is not as Windows-1252;
    and the stray byte may stand on the code's own line: see `_other_line`."""
    for magic, what in _NOT_CSV:
        if data.startswith(magic):
            raise UsageError(f"{where} is {what}, not CSV; save it from the spreadsheet as "
                             "'CSV UTF-8'")
    if b"\0" in data[:2] and data[:2] != b"\0\0":
        raise UsageError(f"{where} is UTF-16 text without a byte-order mark, not CSV; save it "
                         "from the spreadsheet as 'CSV UTF-8'")
    if data.startswith(BOM):  # before the encoding is guessed: not `ï»¿client_id`
        data = data[len(BOM):]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if not _UTF8.search(data):  # no line holds UTF-8 but ASCII: a Windows-1252 file
        try:
            return data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            pass  # the lines below name the byte's line
    lines = data.splitlines(keepends=True)  # at \n, \r\n and \r, as the csv reader counts
    texts: list[str | None] = []  # None: a line that is not UTF-8
    for line in lines:
        try:
            texts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(None)
    other = [number for number, text in enumerate(texts, 1) if text is None]
    utf8 = any(text is not None and not text.isascii() for text in texts)  # of more than ASCII
    for number in other:
        texts[number - 1] = _other_line(lines[number - 1], utf8, f"{where}:{number}")
    text = "".join(t or "" for t in texts)
    if not utf8:
        return text, "windows-1252"
    shown = ", ".join(map(str, other[:SHOWN_LINES])) + (", …" if len(other) > SHOWN_LINES
                                                         else "")
    return text, f"utf-8, windows-1252 on line{'s' * (len(other) > 1)} {shown}"


def _other_line(line: bytes, utf8: bool, where: str) -> str:
    """A line that is not UTF-8: Windows-1252, save for the characters in it that are UTF-8
    when the file has lines of UTF-8, or when read so the line shows an identity code that
    Windows-1252 hides (`050395â€“912K`): what the door is to refuse must reach it as
    written. (A Windows-1252 file's own `Ä–` reads as UTF-8's `Ė`: one letter of a cell,
    where the other way a code went past the door.)"""
    try:
        whole: str | None = line.decode("cp1252")
    except UnicodeDecodeError:
        whole = None
    if _UTF8.search(line):
        try:
            mixed = line.decode("utf-8", "jatkumo-windows-1252")
        except UnicodeDecodeError:
            mixed = None
        if mixed is not None and (whole is None or utf8 or (has_code(mixed)
                                                            and not has_code(whole))):
            return mixed
    if whole is None:
        byte = next(b for b in line if b in b"\x81\x8d\x8f\x90\x9d")
        raise UsageError(f"{where}: byte 0x{byte:02x} is neither UTF-8 nor Windows-1252; "
                         "save the file from the spreadsheet as 'CSV UTF-8'")
    return whole


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
    try:
        text, encoding = decode(path.read_bytes(), str(path))
    except UsageError as e:
        raise UsageError(mask_codes(str(e))) from None
    nul = text.find("\0")
    if nul >= 0:
        # no register writes one: a NUL in a cell would reach events, logs and the pages
        raise UsageError(mask_codes(f"{path}:{text.count(chr(10), 0, nul) + 1}: a NUL byte; "
                                    "is this a CSV export?"))
    if not text.strip():  # not "the header line has no ';'": there is no line at all
        raise UsageError(mask_codes(f"{path} is empty: export it with a header line"))
    first = text.split("\n", 1)[0]
    delimiter = delimiter_of(first)
    ended: list[bool] = []  # one True once the reader has asked for a line past the last
    reader = csv.reader(_lines(text, ended), delimiter=delimiter)
    start = 1  # the line the record being read begins on
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        cells = next(reader, [])
        if ended:
            raise _unclosed(path, _open_quote(text, delimiter, start) or start)
        header, width = _header(path, cells)
        start = reader.line_num + 1
        for cells in reader:
            if ended:
                # the reader met the end of the file inside a quoted cell, and took every
                # line after the quote for that cell (a hunt, 2026-12-06: 50 rows lost, 1 bad)
                raise _unclosed(path, _open_quote(text, delimiter, start) or start)
            line, start = start, reader.line_num + 1
            if any(c.strip() for c in cells):  # not a blank line between blocks
                rows.append((line, _row(cells, header, width)))
    except csv.Error as e:  # a cell over the csv module's limit (128 KiB): no export has one
        opened = _open_quote(text, delimiter, start)
        if opened is not None:  # (the cell of a quote never closed is the rest of the file)
            raise _unclosed(path, opened) from None
        raise UsageError(mask_codes(f"{path}:{reader.line_num}: {e}; is this a CSV export?")
                         ) from None
    return Table(header, rows, encoding, delimiter)


def _lines(text: str, ended: list[bool]) -> Iterator[str]:
    """The lines of the text as the csv reader counts them, and a mark when it asks for one
    more than there is: it does so only for a record still inside a quoted cell."""
    yield from io.StringIO(text, newline="")
    ended.append(True)


_BREAK = re.compile(r"\r\n|\r|\n")  # a line end, as io and the csv reader split lines


def _open_quote(text: str, delimiter: str, line: int) -> int | None:
    """The line of a quote that opens a cell, in the record beginning on `line` or after it,
    and is never closed (None if there is none), read as the csv reader reads: a quote opens
    a cell only at its start, and two quotes in a quoted cell are one quote of its text."""
    begin = pos = _line_start(text, line)
    quoted = re.compile(r'"(?:[^"]|"")*+"')  # possessive: `"a""` is a quote never closed
    rest = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
    while pos < len(text):
        if text.startswith('"', pos):
            closed = quoted.match(text, pos)
            if closed is None:
                return line + len(_BREAK.findall(text, begin, pos))
            pos = closed.end()
        cell = rest.match(text, pos)
        assert cell is not None  # (it matches the empty text)
        pos = cell.end() + 1  # past the delimiter or the line end
    return None


def _line_start(text: str, line: int) -> int:
    """Where line `line` (from 1) of the text begins."""
    pos = 0
    for number, end in enumerate(_BREAK.finditer(text), 2):
        if number > line:
            break
        pos = end.end()
    return pos


def _unclosed(path: Path, opened: int) -> UsageError:
    """A quote that opens a cell on line `opened` and is never closed: where the cell was to
    end no one can tell, so the import stops at it rather than guess (every row after it is
    in doubt, and an import taken again adds nothing once it is corrected)."""
    return UsageError(mask_codes(
        f"{path}:{opened}: a quote opened on line {opened} is never closed, so every line "
        "after it would be one cell; close it where the cell ends, or write a quote that is "
        "part of a cell's text as two (\"\")"))


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


def _row(cells: list[str], header: list[str], width: int) -> dict[str, str]:
    padded = cells + [""] * (len(header) - len(cells))
    row = dict(zip(header, (c.strip() for c in padded), strict=False))
    if len(cells) > width:
        row[EXTRA] = "more cells than the header has columns"
    elif any(c.strip() for c in cells[len(header):]):
        row[EXTRA] = "a cell under a column without a name; name the column or empty it"
    return row
