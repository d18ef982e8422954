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
from tests.integration.kafka.pipeline import ROOT, publish_file, replay_db, sink_all

pytestmark = pytest.mark.kafka
AS_OF = "2024-12-31"


def _rows(db: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(con.execute("SELECT raw, reason FROM dead_letters").fetchall())
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
