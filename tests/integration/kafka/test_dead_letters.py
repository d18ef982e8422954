"""Dead letters of the simulated region file (its noise: some 450 lines the door refuses)
through `jatkumo publish` and the sink have the same text and reasons as replay's of the same
file (issue 12, point 10: `publish` once validated a line with its newline still on, and 122
of 453 dead letters had another reason than replay gave)."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from schemas.door import DeadLetter, admit
from tests.integration.kafka.pipeline import (
    ROOT,
    publish_file,
    replay_db,
    retry_until,
    sink_all,
    start_worker,
)

pytestmark = pytest.mark.kafka
AS_OF = "2024-12-31"


def _rows(db: Path, query: str = "SELECT raw, reason FROM dead_letters") -> list[tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(con.execute(query).fetchall())
    finally:
        con.close()


def test_dead_letters_of_the_region_file_are_the_same_through_kafka_as_in_replay(
        kafka: str, work: Path) -> None:
    full = work / "region.jsonl"
    subprocess.run([sys.executable, "-m", "services.cli", "simulate", "--region",
                    "pohjois-pohjanmaa", "--seed", "1", "--out", str(full), "--quiet"],
                   cwd=ROOT, check=True)
    # every line the door refuses, and a few valid ones around them (the valid ones are
    # not the point here, and the whole file would take minutes on a shared machine)
    lines = []
    with full.open("rb") as f:
        for n, line in enumerate(f):
            if n % 500 == 0 or isinstance(admit(line, "x", b"k"), DeadLetter):
                lines.append(line)
    events = work / "events.jsonl"
    events.write_bytes(b"".join(lines))
    publish_file(kafka, AS_OF, events)
    sink_all(kafka, AS_OF, work / "kafka.duckdb")
    replay_db(events, AS_OF, work / "replay.duckdb")
    want = _rows(work / "replay.duckdb")
    assert len(want) > 400
    assert _rows(work / "kafka.duckdb") == want


def test_a_file_of_dead_letters_alone_has_its_as_of_row_through_kafka_as_in_replay(
        kafka: str, work: Path) -> None:
    """SPEC.md 5: as_of has one row. An attack (2026-12-06) found none through Kafka when no
    event was valid: the sink took its date from client snapshots alone, and there were none.
    The worker's refresh now sends the date alone too (streams/topics.py AS_OF_KEY)."""
    events = work / "bad.jsonl"
    events.write_bytes(b'{"broken\nnot json at all\n')
    publish_file(kafka, AS_OF, events)
    log = work / "worker" / "worker.log"
    worker = start_worker(kafka, AS_OF, work / "worker")
    try:
        retry_until("the worker's first refresh", lambda: log.exists()
                    and b"refreshed 0 clients" in log.read_bytes(), 180,
                    said=lambda: log.read_text(errors="replace"))
    finally:
        worker.terminate()
        worker.wait(60)
    sink_all(kafka, AS_OF, work / "kafka.duckdb")
    replay_db(events, AS_OF, work / "replay.duckdb")
    as_of = "SELECT as_of_date::VARCHAR FROM as_of"
    assert _rows(work / "replay.duckdb", as_of) == [(AS_OF,)]
    assert _rows(work / "kafka.duckdb", as_of) == [(AS_OF,)]
    assert len(_rows(work / "kafka.duckdb")) == 2
    assert _rows(work / "kafka.duckdb") == _rows(work / "replay.duckdb")
