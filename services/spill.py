"""A parallel replay's spill files, sealed. Each reader routes its range of the event file into
one spill file per partition, which the partition's owner reads back later (services/
replay_worker.py). Those are the raw lines, before the door: identity codes not yet
pseudonymised. So every frame is sealed with AES-256-GCM under a key made for one replay, held
only in the memory of the replay's processes (SPEC 1.2: a code exists nowhere after the door;
no spill file holds a readable one, and a replay that is killed leaves only noise, which the
next replay removes).

Nonces: each file begins with 8 random bytes of its own, and a frame's nonce is those and the
frame's number, so no two frames under one key share a nonce whoever writes them (a caller's
mistake could not turn two files into one another's key stream). A frame's kind is a byte
before it, in clear; the kind and the frame's place (partition, reader) are its associated
data, so neither can be changed unseen: a frame changed, moved to another place or file, or a
file cut short is an error when it is read back, never other lines; the file ends in a sealed
trailer that holds the number of frames before it, written only by a writer that finished.
(AES-GCM seals about 11 GB/s a core on this project's machine, an x86-64 with AES-NI: a
national file's 6.5 GiB cost about a second.)

A reader hands frames out before it reaches the trailer: whoever reads must throw away what it
made of them when the reading fails (replay does: a failed replay writes nothing)."""

import contextlib
import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from schemas.errors import JatkumoError

_SIZE = struct.Struct("<I")
_FILE_ID = 8  # random bytes that begin a file and its frames' nonces
_SEQ = struct.Struct("<I")  # the frame's number: the nonce's last 4 bytes
_PLACE = struct.Struct("<II")  # partition, reader
_TAG = 16  # bytes AES-GCM adds to a frame
# A frame's kind, a byte before it and in its associated data: lines that end a write, a
# piece of a longer write (AES-GCM takes less than 2 GiB at a time; one line of an event file
# may be longer), the trailer (so no frame can stand in for it).
_LINES, _PIECE, _TRAILER = b"L", b"P", b"T"
_KINDS = (_LINES, _PIECE, _TRAILER)
PIECE_BYTES = 1 << 30


def new_key() -> bytes:
    """A fresh key for one replay's spill (from the operating system's random source)."""
    return AESGCM.generate_key(bit_length=256)


class SpillWriter:
    """Writes the sealed frames of one partition's lines from one reader. Closed after its
    last write, it ends the file with the trailer; left because of an error, it removes the
    file instead (a file without a trailer is never taken as whole)."""

    def __init__(self, path: Path, key: bytes, part: int, reader: int) -> None:
        self.path = path
        self._aead = AESGCM(key)
        self._place = _PLACE.pack(part, reader)
        self._id = secrets.token_bytes(_FILE_ID)
        self._seq = 0
        # Only this user's from the first byte; never over a file that is there already.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._file.write(self._id)

    def write(self, data: bytes) -> None:
        rest = memoryview(data)
        while len(rest) > PIECE_BYTES:
            self._put(rest[:PIECE_BYTES], _PIECE)
            rest = rest[PIECE_BYTES:]
        self._put(rest, _LINES)

    def _put(self, data: bytes | memoryview, kind: bytes) -> None:
        nonce = self._id + _SEQ.pack(self._seq)  # struct.error past 2**32 frames: no wrap
        sealed = self._aead.encrypt(nonce, data, self._place + kind)
        self._seq += 1
        self._file.write(_SIZE.pack(1 + len(sealed)) + kind + sealed)

    def close(self) -> None:
        """The trailer, and the file closed: call once every frame is written."""
        if not self._file.closed:
            try:
                self._put(_SIZE.pack(self._seq), _TRAILER)
            finally:
                self._file.close()

    def abort(self) -> None:
        """Closed without a trailer, and removed: what a failed routing leaves."""
        self._file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> "SpillWriter":
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def read_spill(path: Path, key: bytes, part: int, reader: int) -> Iterator[bytes]:
    """The writes of a spill file as they were made; JatkumoError where the file is not what
    this replay wrote there (changed, swapped, cut short, gone)."""
    aead = AESGCM(key)
    place = _PLACE.pack(part, reader)
    try:
        f = path.open("rb")
    except OSError as e:
        raise _changed(path, f"it cannot be read: {e.strerror}") from None
    with f:
        left = os.fstat(f.fileno()).st_size
        file_id = f.read(_FILE_ID)
        left -= len(file_id)
        seq, pieces = 0, []
        while True:
            head = f.read(_SIZE.size)
            left -= len(head)
            size = _SIZE.unpack(head)[0] if len(head) == _SIZE.size else 0
            if len(file_id) < _FILE_ID or not 1 + _TAG <= size <= left:  # never past the end
                raise _changed(path, "it ends before its last frame")
            frame = f.read(size)
            left -= size
            kind, data = frame[:1], None
            if kind in _KINDS:
                with contextlib.suppress(InvalidTag):
                    # a view past the kind byte: a slice copied a 1 GiB piece once more
                    data = aead.decrypt(file_id + _SEQ.pack(seq), memoryview(frame)[1:],
                                        place + kind)
            if data is None:
                raise _changed(path, f"frame {seq} is not the one written there")
            seq += 1
            if kind == _PIECE:
                pieces.append(data)
                continue
            if kind == _TRAILER:
                if pieces or data != _SIZE.pack(seq - 1) or left:
                    raise _changed(path, "its frames do not end where its trailer says")
                return
            if pieces:
                data = b"".join([*pieces, data])
                pieces = []
            yield data


def _changed(path: Path, why: str) -> JatkumoError:
    return JatkumoError(
        f"the replay's spill file {path.name} (in {path.parent}, beside the DuckDB file) was "
        f"changed while the replay ran ({why}): did another process write there? Run the replay "
        "again")
