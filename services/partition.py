"""Splitting an event file by client, so that replay can work on a part of the clients at a time:
every line of one client lands in one partition (SPEC's rules are per client).

The file is read and routed once (`batches`), by as many readers as there are workers, each
over its own range of the file's lines (`line_ranges`); a partition's lines are written as
frames (`frame`, `unframe`) into one spill file per reader (sealed: services/spill.py), which
the worker that owns the partition reads afterwards, in the order of the ranges."""

import re
import struct
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from pathlib import Path

import orjson

from schemas.door import BOM
from schemas.hetu import hetu_problem, pseudonymise
from streams.core.route import Batch, split_lines

Numbered = Iterable[tuple[int, bytes]]
_CLIENT = re.compile(rb'"client_(id|hetu)"\s*:\s*"((?:[^"\\]|\\.)*)"')
READ_BYTES = 1 << 20  # lines are read (and framed) about a MiB at a time
_HEADER = struct.Struct("<I")


def partition_of(line: bytes, n: int, parts: int, key: bytes | None) -> int:
    """Which of `parts` partitions owns this line: the hash of its client as the door will see
    it (the top-level client_id; for an identity code its pseudonym, so a client sent both ways
    stays together). A line with no client at all goes by its number (it will be a dead letter,
    written once)."""
    client = client_of(line, key)
    if client is None:
        return n % parts
    return zlib.crc32(client.encode("utf-8", "surrogatepass")) % parts


def client_of(line: bytes, key: bytes | None) -> str | None:
    """The client of a line as the door will see it, or None where none can be told."""
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):  # not JSON to orjson: as close to the door as a regex gets
        m = _CLIENT.search(line)
        if m is None or b"\\" in m.group(2):
            return None
        doc = {f"client_{m.group(1).decode()}": m.group(2).decode("utf-8", "replace")}
    client, hetu = doc.get("client_id"), doc.get("client_hetu")
    if isinstance(client, str):
        return client
    if isinstance(hetu, str):
        if key is not None and hetu_problem(hetu) is None:
            hetu = pseudonymise(hetu, key)
        return hetu
    return None


def numbered(path: Path, on_progress: Callable[[int], None] | None = None) -> Numbered:
    """(line number from 1, line) of a file. Read a MiB at a time and chained in C: a
    generator frame per line cost more than a second on a million lines."""
    return chain.from_iterable(_numbered_chunks(path, on_progress))


def _numbered_chunks(path: Path, on_progress: Callable[[int], None] | None,
                     ) -> Iterator[Iterable[tuple[int, bytes]]]:
    n = 1
    for lines, done in read_lines(path):
        yield zip(range(n, n + len(lines)), lines, strict=True)
        n += len(lines)
        if on_progress is not None:
            on_progress(done)


def line_ranges(path: Path, count: int) -> list[tuple[int, int]]:
    """`count` byte ranges [start, end) that cover the file, each beginning at the start of a
    line, about equal in size (a range is empty where one line spans the whole of it)."""
    size = path.stat().st_size
    starts = [0]
    with path.open("rb") as f:
        for i in range(1, count):
            at = max(size * i // count, starts[-1])
            if at == 0 or at >= size:
                starts.append(min(at, size))
                continue
            f.seek(at - 1)  # a line starts at `at` when the byte before it ends a line
            while (chunk := f.read(READ_BYTES)) and (j := chunk.find(b"\n")) < 0:
                at += len(chunk)
            starts.append(at + j if chunk else size)  # the line after the `\n` found
    return list(zip(starts, [*starts[1:], size], strict=True))


def read_lines(path: Path, start: int = 0, end: int | None = None,
               ) -> Iterator[tuple[list[bytes], int]]:
    """The lines of a file (or of the byte range [start, end) of it, which line_ranges made)
    about a MiB at a time, with the bytes read so far. Every reader of an event file (replay in
    one process or many, publish) gets its lines from here, so the door sees the same text from
    each: without the line end (`\n`, `\r\n`) and without a UTF-8 byte order mark at the
    start of the file (editors on Windows write one)."""
    done = 0
    rest = b""
    left = -1 if end is None else end - start
    with path.open("rb") as f:
        f.seek(start)
        while left and (chunk := f.read(READ_BYTES if left < 0 else min(READ_BYTES, left))):
            left -= len(chunk) if left > 0 else 0
            first = not done
            done += len(chunk)  # the progress is of the file's bytes, a byte order mark too
            if first and not start and chunk.startswith(BOM):
                chunk = chunk[len(BOM):]
            data = rest + chunk
            lines = data.split(b"\n")
            rest = lines.pop()  # an unfinished line: the next chunk ends it
            if lines:
                yield (_without_cr(lines) if b"\r" in data else lines), done
    if rest:
        yield _without_cr([rest]), done


def _without_cr(lines: list[bytes]) -> list[bytes]:
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def batches(path: Path, parts: int, key: bytes | None,
            on_progress: Callable[[int], None] | None = None,
            span: tuple[int, int] | None = None) -> Iterator[list[Batch]]:
    """The file (or the `span` of it from line_ranges, its lines numbered from 1 all the same)
    a MiB at a time, each piece split into `parts` batches (index = partition).
    The usual line is routed by its raw client id in compiled code (streams/core/route.py);
    every other one (identity codes, spacing, escapes, no client, the key twice: the door
    takes the last) by partition_of. (Arrow's string kernels were slower, ~1 µs a line.)"""
    n = 0

    def other(line: bytes, number: int) -> int:
        return partition_of(line, number, parts, key)

    for lines, done in read_lines(path, *(span or (0, None))):
        yield split_lines(lines, n, parts, other)
        n += len(lines)
        if on_progress is not None:
            on_progress(done)


def frame(batch: Batch) -> bytes:
    """One batch as bytes: its size, the line numbers, then the lines (which have no line end
    of their own, see read_lines), each ending in \\n."""
    numbers, lines = batch
    return (_HEADER.pack(len(numbers)) + array("q", numbers).tobytes() + b"\n".join(lines)
            + b"\n")


def unframe(data: bytes, first: int = 0) -> Iterable[tuple[int, bytes]]:
    """The (line number, line) pairs of a frame, `first` added to the numbers (the lines before
    the range its reader numbered from 1); the lines lose their \\n."""
    (count,) = _HEADER.unpack_from(data)
    numbers = array("q")
    numbers.frombytes(data[4:4 + 8 * count])
    # the last, empty piece after the final \n is dropped
    return zip(map(first.__add__, numbers) if first else numbers,
               data[4 + 8 * count:].split(b"\n"), strict=False)
