"""A parallel replay's spill files: the raw lines come back exactly, nothing of them is readable
on disk, and a file that is not what the replay wrote is an error, never other lines."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.errors import JatkumoError
from services import spill
from services.spill import SpillWriter, new_key, read_spill

HETU = b"131052-308T"  # the SPEC's example code
FRAMES = [b'{"client_hetu":"131052-308T","n":%d}\n' % i * 50 for i in range(5)] + [b""]
CHANGED = "was changed while the replay ran"


def _write(path: Path, key: bytes, part: int = 3, reader: int = 1,
           frames: list[bytes] = FRAMES) -> None:
    with SpillWriter(path, key, part, reader) as w:
        for data in frames:
            w.write(data)


def _frames(raw: bytes) -> tuple[bytes, list[bytes]]:
    """A file's own id and its sealed frames, each with its size prefix."""
    at, frames = 8, []
    while at < len(raw):
        end = at + 4 + int.from_bytes(raw[at:at + 4], "little")
        frames.append(raw[at:end])
        at = end
    return raw[:8], frames


def test_frames_come_back_as_written(tmp_path: Path) -> None:
    key = new_key()
    _write(tmp_path / "s", key)
    assert list(read_spill(tmp_path / "s", key, 3, 1)) == FRAMES
    _write(tmp_path / "empty", key, frames=[])
    assert list(read_spill(tmp_path / "empty", key, 3, 1)) == []


def test_a_write_longer_than_a_piece_is_sealed_in_pieces_and_comes_back_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "PIECE_BYTES", 100)  # AES-GCM takes < 2 GiB at a time
    writes = [b"x" * 100, b"y" * 101, b"z" * 350, b"", b"w" * 99]
    key = new_key()
    _write(tmp_path / "s", key, frames=writes)
    assert len(_frames((tmp_path / "s").read_bytes())[1]) == 1 + 2 + 4 + 1 + 1 + 1  # + trailer
    assert list(read_spill(tmp_path / "s", key, 3, 1)) == writes
    raw = (tmp_path / "s").read_bytes()
    file_id, frames = _frames(raw)
    (tmp_path / "s").write_bytes(file_id + b"".join(frames[:3] + frames[4:]))  # a piece lost
    with pytest.raises(JatkumoError, match=CHANGED):
        list(read_spill(tmp_path / "s", key, 3, 1))
    (tmp_path / "s").write_bytes(file_id + b"".join(frames[:2] + frames[-1:]))  # ends in a piece
    with pytest.raises(JatkumoError, match=CHANGED):
        list(read_spill(tmp_path / "s", key, 3, 1))


def test_no_identity_code_and_no_line_is_readable_on_disk(tmp_path: Path) -> None:
    key = new_key()
    old = os.umask(0o022)  # the mode is the writer's own, whatever the umask
    try:
        _write(tmp_path / "s", key)
    finally:
        os.umask(old)
    raw = (tmp_path / "s").read_bytes()
    assert HETU not in raw and b"131052" not in raw and b"client_hetu" not in raw
    assert (tmp_path / "s").stat().st_mode & 0o777 == 0o600
    assert key not in raw


def test_every_file_has_nonces_of_its_own(tmp_path: Path) -> None:
    """Even two files a caller wrote at one place under one key share no nonce: the same
    plaintext gives other bytes (one key stream twice would give a line away)."""
    key = new_key()
    _write(tmp_path / "a", key)
    _write(tmp_path / "b", key)
    a, b = (_frames((tmp_path / n).read_bytes()) for n in "ab")
    assert a[0] != b[0]
    assert all(x[4:20] != y[4:20] for x, y in zip(a[1], b[1], strict=True))


def test_keys_differ_from_key_to_key(tmp_path: Path) -> None:
    keys = {new_key() for _ in range(50)}
    assert len(keys) == 50 and all(len(k) == 32 for k in keys)
    _write(tmp_path / "a", keys.pop())
    with pytest.raises(JatkumoError, match=f"spill file a .* {CHANGED}"):
        list(read_spill(tmp_path / "a", keys.pop(), 3, 1))  # another replay's key


@pytest.mark.parametrize("harm", [
    "flip a byte", "cut at a frame's end", "cut inside a frame", "drop the trailer",
    "frame appended", "frames swapped", "another partition's file", "another reader's file",
    "empty file", "only the id", "size past the end", "another file's id", "file gone",
    "lines marked as the trailer", "lines marked as a piece", "an unknown kind",
    "another file's frame in its place",
])
def test_a_file_that_is_not_what_was_written_is_an_error(tmp_path: Path, harm: str) -> None:
    key = new_key()
    path = tmp_path / "s"
    _write(path, key)
    raw = path.read_bytes()
    file_id, frames = _frames(raw)
    if harm == "flip a byte":
        raw = raw[:100] + bytes([raw[100] ^ 1]) + raw[101:]
    elif harm == "cut at a frame's end":
        raw = file_id + b"".join(frames[:3])
    elif harm == "cut inside a frame":
        raw = file_id + b"".join(frames[:2]) + frames[2][:20]
    elif harm == "drop the trailer":
        raw = file_id + b"".join(frames[:-1])
    elif harm == "frame appended":
        raw += frames[0]
    elif harm == "frames swapped":
        raw = file_id + b"".join([frames[1], frames[0], *frames[2:]])
    elif harm == "empty file":
        raw = b""
    elif harm == "only the id":
        raw = file_id
    elif harm == "size past the end":  # no read of 4 GiB before the tag is checked
        raw = file_id + b"\xff\xff\xff\xff" + frames[0][4:]
    elif harm == "another file's id":
        raw = b"\x00" * 8 + raw[8:]
    elif harm == "file gone":
        path.unlink()
    elif harm.startswith("lines marked") or harm == "an unknown kind":
        kind = {"trailer": b"T", "piece": b"P"}.get(harm.split()[-1], b"X")
        raw = file_id + frames[0][:4] + kind + frames[0][5:] + b"".join(frames[1:])
    elif harm == "another file's frame in its place":  # same place, key and number
        _write(tmp_path / "other", key)
        raw = file_id + _frames((tmp_path / "other").read_bytes())[1][0] + b"".join(frames[1:])
    else:
        other = tmp_path / "other"
        _write(other, key, *((4, 1) if harm == "another partition's file" else (3, 0)))
        raw = other.read_bytes()
    if harm != "file gone":
        path.write_bytes(raw)
    with pytest.raises(JatkumoError, match=CHANGED):
        list(read_spill(path, key, 3, 1))


def test_a_writer_left_by_an_error_leaves_no_file(tmp_path: Path) -> None:
    """A routing that fails halfway writes no trailer: no half file could pass as whole."""
    key = new_key()

    def frames() -> Iterator[bytes]:
        yield FRAMES[0]
        raise OSError(5, "Input/output error")

    with pytest.raises(OSError), SpillWriter(tmp_path / "s", key, 0, 0) as w:
        for data in frames():
            w.write(data)
    assert not (tmp_path / "s").exists()


def test_a_spill_file_is_never_written_over(tmp_path: Path) -> None:
    (tmp_path / "s").write_bytes(b"placed there first")
    with pytest.raises(FileExistsError):
        SpillWriter(tmp_path / "s", new_key(), 0, 0)
    assert (tmp_path / "s").read_bytes() == b"placed there first"


def test_a_link_planted_where_a_spill_file_goes_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_bytes(b"someone's file")
    (tmp_path / "s").symlink_to(target)
    (tmp_path / "dangling").symlink_to(tmp_path / "not-yet")
    for name in ("s", "dangling"):
        with pytest.raises(FileExistsError):
            SpillWriter(tmp_path / name, new_key(), 0, 0)
    assert target.read_bytes() == b"someone's file" and not (tmp_path / "not-yet").exists()
