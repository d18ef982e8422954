"""A replay split over worker processes leaves exactly the relations of an in-process replay."""

import gc
import random
import threading
from datetime import date
from multiprocessing import Pipe
from pathlib import Path

import duckdb
import pytest

from services import replay as replay_module
from services import replay_worker
from services.config import Settings
from services.partition import line_ranges
from services.replay import ReplayReport, replay
from services.spill import new_key
from tests.helpers import script

ROOT = Path(__file__).resolve().parents[2]
# by path: bench/ on sys.path made its kafka.py shadow kafka-python for every test module
# collected after this one in the same process (an ImportError of test_replay_door, seen)
write_events = script("bench/replay.py", "bench_replay").write_events

RELATIONS = ("as_of", "events", "dead_letters", "contracts", "continuity_gaps", "handoff_status",
             "compliance_violations", "data_issues", "clients", "referrals")


def relations(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for name in RELATIONS:
            # dead letters' origin too: each worker numbers the lines of its range of the file
            # from 1, and the lines before the range make that the file's line number
            out[name] = sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
        return out
    finally:
        con.close()


def same_in_one_and_two(path: Path, tmp_path: Path, as_of: date, partitions: int,
                        ) -> tuple[ReplayReport, dict[str, list[tuple[object, ...]]]]:
    """Replay `path` in one process and in two workers: the same report and relations (the
    one process's returned)."""
    settings = Settings(pseudonym_key=b"parallel-test")
    one = replay(path, tmp_path / "one.duckdb", settings, as_of, workers=1)
    two = replay(path, tmp_path / "two.duckdb", settings, as_of, workers=2,
                 partitions=partitions)
    assert (one.lines, one.taken, one.dead_letters) == (two.lines, two.taken, two.dead_letters)
    a, b = relations(tmp_path / "one.duckdb"), relations(tmp_path / "two.duckdb")
    for name in RELATIONS:
        assert a[name] == b[name], name
    return one, a


@pytest.fixture(scope="module")
def event_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parallel")
    path = folder / "events.jsonl"
    write_events(path, 30_000, seed=11)
    lines = path.read_bytes().splitlines()
    rng = random.Random(5)
    noise = [b"not json", b"[1, 2]", b'{"event_type": "contract.signed"}', b"",
             b'{"client_hetu": "131052-308T", "event_type": "x"}']
    for _ in range(40):  # malformed lines and duplicate deliveries anywhere in the file
        lines.insert(rng.randrange(len(lines)), rng.choice(noise))
        lines.insert(rng.randrange(len(lines)), rng.choice(lines))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize(("partitions", "as_of"), [
    (2, None),  # one partition per worker
    (5, None),  # more partitions than workers: spilled lines, states parked until the as-of
    (5, date(2023, 6, 30)),  # as-of known up front: each partition evaluated as it is loaded
])
def test_worker_processes_leave_the_same_relations_as_one_process(
        event_file: Path, tmp_path: Path, partitions: int, as_of: date | None) -> None:
    settings = Settings(pseudonym_key=b"parallel-test")
    one = replay(event_file, tmp_path / "one.duckdb", settings, as_of, workers=1)
    read: list[int] = []
    two = replay(event_file, tmp_path / "two.duckdb", settings, as_of, workers=2,
                 partitions=partitions, on_progress=read.append)
    assert two.workers == 2
    assert read == sorted(read) and read[-1] == event_file.stat().st_size  # the progress bar
    assert (one.lines, one.taken, one.duplicates, one.dead_letters, one.clients, one.as_of) == (
        two.lines, two.taken, two.duplicates, two.dead_letters, two.clients, two.as_of)
    assert one.duplicates >= 1 and sum(one.dead_letters.values()) >= 1
    a, b = relations(tmp_path / "one.duckdb"), relations(tmp_path / "two.duckdb")
    for name in RELATIONS:
        assert a[name] == b[name], name
    assert len(a["continuity_gaps"]) > 0


def test_a_line_longer_than_a_workers_range_leaves_that_worker_nothing_to_read(
        tmp_path: Path) -> None:
    """A hostile file: one line of garbage (escapes, quotes, a code's shape) bigger than the
    rest together, so the second worker's range begins after it or is empty. Every line is
    still read once, with the file's line number."""
    path = tmp_path / "events.jsonl"
    write_events(path, 3_000, seed=3)
    junk = b'{"client_id": "\\"' + b'\\u0000"131052-308T<script>' * 100_000 + b"\n"
    events = path.read_bytes()
    assert len(junk) > len(events) + 1000  # the middle of the file is inside it
    path.write_bytes(junk + events + junk[:1000])  # and a piece last, with no newline
    assert line_ranges(path, 2)[1][0] == len(junk)  # the second worker's range: after it
    one, a = same_in_one_and_two(path, tmp_path, date(2023, 6, 30), partitions=2)
    origins = sorted(int(o.rsplit(":", 1)[1]) for _raw, _reason, o in a["dead_letters"])
    assert origins == [1, one.lines] and "131052-308T" not in repr(a["dead_letters"])


def test_the_spill_files_hold_no_identity_code_and_give_back_every_line(
        event_file: Path, tmp_path: Path) -> None:
    """The raw lines a reader routes (identity codes not yet pseudonymised) are sealed on disk,
    and the partitions' owners read back every line of the file, each once, numbered as in it."""
    hetus = [b"131052-308T", b"010101A900C", b"290200A901H"]  # valid codes (SPEC's example, test)
    lines = event_file.read_bytes().splitlines()
    for i, hetu in enumerate(hetus):
        lines.insert(100 * i + 7, b'{"event_id":"x%d","client_hetu":"%s","note":"%s"}'
                     % (i, hetu, hetu))
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    spool, key, parts, workers = tmp_path / "spool", new_key(), 3, 2
    spool.mkdir()
    firsts = [0]
    for reader, span in enumerate(line_ranges(path, workers)):
        job = replay_worker.Job(path, b"k", key, reader, workers, parts, Settings().rules,
                                spool, None, span)
        _parent, theirs = Pipe()  # the parent's end kept open: route tells it the progress
        firsts.append(firsts[-1] + replay_worker.route(job, theirs))
    on_disk = b"".join(p.read_bytes() for p in spool.iterdir())
    assert len(on_disk) > path.stat().st_size  # every line is there, sealed
    for hetu in hetus:
        assert hetu not in on_disk and hetu[:6] not in on_disk
    assert b"client_hetu" not in on_disk and b"event_type" not in on_disk
    back = sorted(pair for k in range(parts)
                  for pair in replay_worker._numbered(
                      job, k, [replay_worker.spill_path(spool, k, r) for r in range(workers)],
                      firsts[:-1]))
    assert back == list(enumerate(lines, start=1))


def test_each_replay_seals_its_spill_under_a_key_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys: list[bytes] = []

    def made() -> bytes:
        keys.append(new_key())
        return keys[-1]

    monkeypatch.setattr(replay_module, "new_key", made)
    path = tmp_path / "events.jsonl"
    write_events(path, 2_000, seed=3)
    settings = Settings(pseudonym_key=b"parallel-test")
    for run in range(2):
        assert replay(path, tmp_path / f"{run}.duckdb", settings, None, workers=2,
                      partitions=2).workers == 2
    assert len(keys) == 2 and keys[0] != keys[1]


def test_a_spill_file_changed_under_a_worker_fails_the_replay_with_a_message(
        event_file: Path, tmp_path: Path) -> None:
    """Between routing and loading, partition 0's file is swapped for partition 1's: the worker
    tells the parent what happened in words (no traceback), instead of loading other lines."""
    spool, key = tmp_path / "spool", new_key()
    spool.mkdir()
    job = replay_worker.Job(event_file, b"k", key, 0, 1, 2, Settings().rules, spool, None,
                            (0, event_file.stat().st_size))
    parent, child = Pipe()
    worker = threading.Thread(target=replay_worker.run, args=(job, child))
    try:
        worker.start()
        while (message := parent.recv())[0] == "read":
            pass
        assert message[0] == "routed" and message[1] > 30_000
        first, second = (replay_worker.spill_path(spool, k, 0) for k in (0, 1))
        first.write_bytes(second.read_bytes())
        parent.send([0])
        kind, text = parent.recv()
        worker.join()
    finally:
        gc.enable()  # run() turns the collector off for its process: this test's process
    assert kind == "error" and "Traceback" not in text
    assert "spill file lines.0.0" in text and "was changed while the replay ran" in text


def test_hostile_lines_come_through_the_sealed_spill_as_through_one_process(
        tmp_path: Path) -> None:
    """Bytes a sender may write (NUL, invalid UTF-8, a lone CR, a 3 MiB line, codes hidden in
    escapes, a line of only a length prefix's worth of bytes) give the relations and dead
    letters of an in-process replay; no code reaches either file."""
    path = tmp_path / "events.jsonl"
    write_events(path, 3_000, seed=4)
    lines = path.read_bytes().splitlines()
    hostile = [b"\x00" * 64, b"\xff\xfe\xfd", b"\r", b"L" * 17, b"T",
               b'{"client_hetu": "131052-308T", "note": "' + b"x" * (3 << 20) + b'"}',
               b'{"event_id": "1", "client_id": "\\u0031\\u0033\\u0031\\u0030\\u0035\\u0032-308T"}',
               b'{"client_id": "a\\"b", "x": "\\ud800"}', b"\x1b]0;title\x07"]
    for i, line in enumerate(hostile):
        lines.insert(97 * i + 1, line)
    path.write_bytes(b"\n".join(lines) + b"\n")
    _one, a = same_in_one_and_two(path, tmp_path, date(2024, 6, 30), partitions=3)
    assert len(a["dead_letters"]) == len(hostile) - 1  # a lone CR is an empty line: skipped
    for db in ("one", "two"):
        data = (tmp_path / f"{db}.duckdb").read_bytes()
        assert b"131052-308T" not in data and b"131052" not in data
    assert not list(tmp_path.glob(".jatkumo-replay-*"))  # the spool folder is gone
