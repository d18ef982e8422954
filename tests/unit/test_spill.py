"""A parallel replay's spill files: the raw lines come back exactly, nothing of them is readable
on disk, and a file that is not what the replay wrote is an error, never other lines."""

from pathlib import Path

import pytest

from schemas.errors import JatkumoError
from services.spill import SpillWriter, new_key, read_spill

HETU = b"131052-308T"  # the SPEC's example code
FRAMES = [b'{"client_hetu":"131052-308T","n":%d}\n' % i * 50 for i in range(5)] + [b""]


def _write(path: Path, key: bytes, part: int = 3, reader: int = 1,
           frames: list[bytes] = FRAMES) -> None:
    with SpillWriter(path, key, part, reader) as w:
        for data in frames:
            w.write(data)


def test_frames_come_back_as_written(tmp_path: Path) -> None:
    key = new_key()
    _write(tmp_path / "s", key)
    assert list(read_spill(tmp_path / "s", key, 3, 1)) == FRAMES
    _write(tmp_path / "empty", key, frames=[])
    assert list(read_spill(tmp_path / "empty", key, 3, 1)) == []


def test_no_identity_code_and_no_line_is_readable_on_disk(tmp_path: Path) -> None:
    key = new_key()
    _write(tmp_path / "s", key)
    raw = (tmp_path / "s").read_bytes()
    assert HETU not in raw and b"131052" not in raw and b"client_hetu" not in raw
    assert (tmp_path / "s").stat().st_mode & 0o777 == 0o600
    assert key not in raw


def test_keys_differ_from_replay_to_replay(tmp_path: Path) -> None:
    keys = {new_key() for _ in range(50)}
    assert len(keys) == 50 and all(len(k) == 32 for k in keys)
    _write(tmp_path / "a", keys.pop())
    with pytest.raises(JatkumoError, match="spill file a was changed"):
        list(read_spill(tmp_path / "a", keys.pop(), 3, 1))  # another replay's key


@pytest.mark.parametrize("harm", [
    "flip a byte", "cut at a frame's end", "cut inside a frame", "drop the trailer",
    "frame appended", "frames swapped", "another partition's file", "another reader's file",
    "empty file",
])
def test_a_file_that_is_not_what_was_written_is_an_error(tmp_path: Path, harm: str) -> None:
    key = new_key()
    path = tmp_path / "s"
    _write(path, key)
    raw = path.read_bytes()
    sizes = []  # where each sealed frame starts
    at = 0
    while at < len(raw):
        sizes.append(at)
        at += 4 + int.from_bytes(raw[at:at + 4], "little")
    frames = [raw[a:b] for a, b in zip(sizes, [*sizes[1:], len(raw)], strict=True)]
    if harm == "flip a byte":
        raw = raw[:100] + bytes([raw[100] ^ 1]) + raw[101:]
    elif harm == "cut at a frame's end":
        raw = b"".join(frames[:3])
    elif harm == "cut inside a frame":
        raw = raw[:sizes[2] + 20]
    elif harm == "drop the trailer":
        raw = b"".join(frames[:-1])
    elif harm == "frame appended":
        raw += frames[0]
    elif harm == "frames swapped":
        raw = b"".join([frames[1], frames[0], *frames[2:]])
    elif harm == "empty file":
        raw = b""
    else:
        other = tmp_path / "other"
        _write(other, key, *((4, 1) if harm == "another partition's file" else (3, 0)))
        raw = other.read_bytes()
    path.write_bytes(raw)
    with pytest.raises(JatkumoError, match="was changed while the replay ran"):
        list(read_spill(path, key, 3, 1))


def test_a_spill_file_is_never_written_over(tmp_path: Path) -> None:
    (tmp_path / "s").write_bytes(b"placed there first")
    with pytest.raises(FileExistsError):
        SpillWriter(tmp_path / "s", new_key(), 0, 0)
    assert (tmp_path / "s").read_bytes() == b"placed there first"
