"""Which partition of the clients each line of an event file goes to, compiled with the core
(mypyc): a parallel replay's parent runs this once per line while its workers wait for them,
and as interpreted Python it cost 2-3 µs a line.

Pure: no I/O. services/partition.py reads the file and gives each piece here; the lines this
cannot route by their raw bytes (an identity code, spacing, escapes, no client, the key twice)
go to its `other(line, n)`, which asks the door's view of the client."""

import zlib
from collections.abc import Callable
from typing import Final

_ID: Final = b'"client_id"'
_AFTER_KEY: Final = b':"'
_BACKSLASH: Final = b"\\"
_crc32: Final = zlib.crc32

Batch = tuple[list[int], list[bytes]]  # line numbers and lines of one partition


def split_lines(lines: list[bytes], n: int, parts: int,
                other: Callable[[bytes, int], int]) -> list[Batch]:
    """The lines (numbered from n + 1) split into `parts` batches, index = partition: the
    CRC-32 of the raw client id modulo `parts`, the same as services.partition.partition_of
    gives for the usual line."""
    numbers: list[list[int]] = [[] for _ in range(parts)]
    kept: list[list[bytes]] = [[] for _ in range(parts)]
    for line in lines:
        n += 1
        # The usual line has one `"client_id":"…"` without escapes: hashed here.
        i = line.find(_ID)
        end = line.find(b'"', i + 13) if i >= 0 else -1
        k = -1
        if end > 0 and line[i + 11:i + 13] == _AFTER_KEY:
            client = line[i + 13:end]
            # find, not `in`: `bytes in bytes` formats a TypeError first (0.5 µs)
            if client.find(_BACKSLASH) < 0 and line.find(_ID, end) < 0:
                k = _crc32(client) % parts
        if k < 0:
            k = other(line, n)
        numbers[k].append(n)
        kept[k].append(line)
    return [(numbers[k], kept[k]) for k in range(parts)]
