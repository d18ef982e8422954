"""Routing a file's lines to partitions: every line of one client (as the door sees it) lands in
one partition, and the frames that carry them give back the same numbered lines."""

import itertools
from pathlib import Path

import orjson
import pytest

from schemas.door import BOM, DeadLetter, admit
from services.partition import (
    READ_BYTES,
    batches,
    frame,
    line_ranges,
    read_lines,
    unframe,
)
from services.spill import SpillWriter, new_key, read_spill

KEY = b"partition-test"
HETU = "131052-308T"  # valid identity code (the SPEC's example)


def _event(client: dict[str, str], n: int) -> dict[str, object]:
    return {"event_id": f"00000000-0000-4000-8000-{n:012d}", "event_type": "referral.made",
            "schema_version": 1, "occurred_at": "2023-01-02T10:00:00+02:00", "source": "s",
            **client, "payload": {"referral_id": f"r{n}", "target": "health",
                                  "made_on": "2023-01-02"}}


def _pseudonym() -> str:
    event = admit(orjson.dumps(_event({"client_hetu": HETU}, 0)), "", KEY)
    assert not isinstance(event, DeadLetter)
    return event.client


def _lines(client: str) -> list[bytes]:
    """One client written every way a sender might: plain, spaced, escaped. (A line whose
    client_id comes twice is a dead letter: see test_a_key_given_twice_is_a_dead_letter.)"""
    plain = orjson.dumps(_event({"client_id": client}, 1))
    spaced = plain.replace(b'"client_id":', b'"client_id" : ')
    escaped = plain.replace(b'"client_id":"p:', b'"client_id":"p\\u003a')
    return [plain, spaced, escaped]


def test_a_key_given_twice_is_a_dead_letter() -> None:
    """The model reads the last client_id, DuckDB's json_extract and a router may read the
    first: such a line means two things, so the door refuses it."""
    twice = orjson.dumps(_event({"client_id": "someone-else"}, 4)).replace(
        b'"client_id":"someone-else"', b'"client_id":"someone-else","client_id":"c2"')
    got = admit(twice, "f:1", KEY)
    assert isinstance(got, DeadLetter) and got.reason == "duplicate key: client_id"


@pytest.mark.parametrize("parts", [2, 3, 7])
def test_every_line_of_a_client_lands_in_one_partition(tmp_path: Path, parts: int) -> None:
    client = _pseudonym()
    lines = [orjson.dumps(_event({"client_hetu": HETU}, 0)), *_lines(client)]
    for line in lines:  # each of them is an event of this client at the door
        event = admit(line, "", KEY)
        assert not isinstance(event, DeadLetter) and event.client == client, line
    others = [orjson.dumps(_event({"client_id": f"c{i}"}, 10 + i)) for i in range(50)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(others[:25] + lines + others[25:] + [b"not json", b""]))
    owner: dict[int, int] = {}
    for split in batches(path, parts, KEY):
        assert len(split) == parts
        for k, (numbers, _) in enumerate(split):
            owner.update((n, k) for n in numbers)
    assert sorted(owner) == list(range(1, len(others) + len(lines) + 2))  # every line once
    assert len({owner[26 + i] for i in range(len(lines))}) == 1


def test_frames_carry_numbered_lines_through_a_pipe_or_a_file(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"a": 1}\n\n  \n{"b": 2}\r\nlast line without newline')
    got = []
    key = new_key()
    with SpillWriter(tmp_path / "spill", key, 0, 0) as spill:
        for split in batches(path, 1, None):
            got += list(unframe(frame(split[0])))
            spill.write(frame(split[0]))
    assert got == [(1, b'{"a": 1}'), (2, b""), (3, b"  "), (4, b'{"b": 2}'),
                   (5, b"last line without newline")]
    assert [p for data in read_spill(tmp_path / "spill", key, 0, 0) for p in unframe(data)] == got
    # a later range's lines, numbered from 1 by its reader, after the 100 lines before it
    assert list(unframe(frame(([1, 2], [b"a", b"b"])), 100)) == [(101, b"a"), (102, b"b")]


FILES = {  # every shape a range boundary could cut badly
    "usual": b"".join(b'{"n": %d}\n' % i for i in range(200)),
    "byte order mark, CRLF, no final newline": BOM + b"".join(
        b'{"n": %d}\r\n' % i for i in range(200)) + b'{"last": true}',
    "empty lines and a lone CR": b"\n\n\r\n" * 50 + b"x\ry\n" + b"\n" * 30,
    "one line longer than a read": b"a\n" + b"b" * (3 * READ_BYTES + 17) + b"\nc\n",
    "one line, no newline": b"z" * 5000,
    "no line at all": b"",
    "only newlines": b"\n" * 7,
}


@pytest.mark.parametrize("name", list(FILES))
@pytest.mark.parametrize("count", [1, 2, 3, 8])
def test_the_ranges_of_a_file_give_its_lines_once_in_order(tmp_path: Path, name: str,
                                                           count: int) -> None:
    """What the workers of a parallel replay read: ranges beginning at line starts that,
    read one after another, give exactly the lines the whole file gives."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(FILES[name])
    whole = [line for lines, _ in read_lines(path) for line in lines]
    ranges = line_ranges(path, count)
    assert len(ranges) == count and ranges[0][0] == 0 and ranges[-1][1] == len(FILES[name])
    assert all(a[1] == b[0] and a[0] <= a[1] for a, b in itertools.pairwise(ranges))
    for start, _ in ranges[1:]:
        assert start in (0, len(FILES[name])) or FILES[name][start - 1:start] == b"\n"
    parts = [[line for lines, _ in read_lines(path, *r) for line in lines] for r in ranges]
    assert [line for part in parts for line in part] == whole
    done = [list(read_lines(path, *r))[-1][1] if r[1] > r[0] else 0 for r in ranges]
    assert done == [end - start for start, end in ranges]  # the progress each tells
    # numbered from 1 in each range, the lines before it give the file's numbers
    numbered, before = [], 0
    for r in ranges:
        got = [p for split in batches(path, 1, None, span=r) for p in unframe(frame(split[0]),
                                                                              before)]
        numbered += got
        before += len(got)
    assert numbered == list(enumerate(whole, start=1))


def test_the_compiled_router_agrees_with_partition_of_on_every_form() -> None:
    """streams/core/route.py routes the usual line by its raw bytes and hands every other one
    to partition_of: each line lands where partition_of puts it, numbered on from `n`."""
    from services.partition import partition_of
    from streams.core.route import split_lines

    plain = [orjson.dumps(_event({"client_id": f"c{i}"}, i)) for i in range(40)]
    odd = [orjson.dumps(_event({"client_hetu": HETU}, 90)), *_lines("p:abc"),
           plain[0].replace(b'"client_id":"c0"', b'"client_id":"c0","client_id":"c9"'),
           plain[1].replace(b'"client_id":"c1"', b'"client_id":"c\\\\1"'),
           b'{"client_id":1}', b"not json", b"", b'"client_id":"x', b'{"client_id":"c2"']
    lines = plain + odd
    for parts in (1, 2, 3, 7):
        split = split_lines(lines, 100, parts,
                            lambda line, n, p=parts: partition_of(line, n, p, KEY))
        assert len(split) == parts
        where = {n: k for k, (numbers, kept) in enumerate(split) for n in numbers}
        assert sorted(where) == list(range(101, 101 + len(lines)))
        for numbers, kept in split:
            assert kept == [lines[n - 101] for n in numbers]
        for i, line in enumerate(lines):
            assert where[101 + i] == partition_of(line, 101 + i, parts, KEY), line
