"""kill -9 of the worker and of the sink at random moments during a run of 200,000 events;
after restarts the relations equal replay's: nothing lost, nothing doubled."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.kafka import generate
from tests.integration.kafka.compare import differences
from tests.integration.kafka.pipeline import (
    ROOT,
    env,
    publish_file,
    replay_db,
    sink_all,
    start_sink,
    start_worker,
    wait_workers_done,
)

pytestmark = pytest.mark.kafka
EVENTS = int(os.environ.get("JATKUMO_CRASH_EVENTS", "200000"))
AS_OF = "2024-06-30"


def test_a_worker_killed_between_two_halves_goes_on_from_its_recovered_state(
        kafka: str, work: Path) -> None:
    """Every client's first events go to a worker that is then killed; its successor must take
    the rest on top of the state recovered from the changelog, not start clients afresh."""
    events = work / "events.jsonl"
    generate.write(events, 400, seed=22, malformed=10)
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    halves = (work / "first.jsonl", work / "second.jsonl")
    halves[0].write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    halves[1].write_text("".join(lines[len(lines) // 2:]), encoding="utf-8")
    publish_file(kafka, AS_OF, halves[0])
    worker = start_worker(kafka, AS_OF, work / "first")
    try:
        wait_workers_done(kafka)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    publish_file(kafka, AS_OF, halves[1])
    worker = start_worker(kafka, AS_OF, work / "second")
    try:
        wait_workers_done(kafka)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    db = work / "kafka.duckdb"
    sink_all(kafka, AS_OF, db)
    replay_db(events, AS_OF, work / "replay.duckdb")
    assert differences(work / "replay.duckdb", db) == {}


def test_killed_worker_and_sink_recover_to_replays_relations(kafka: str, work: Path) -> None:
    rng = random.Random()
    events = work / "events.jsonl"
    assert generate.write(events, 100, seed=21, malformed=100, min_events=EVENTS) >= EVENTS
    db = work / "kafka.duckdb"
    publish = subprocess.Popen([sys.executable, "-m", "services.cli", "publish", str(events),
                                "--quiet"], cwd=ROOT, env=env(kafka, AS_OF))
    worker = start_worker(kafka, AS_OF, work / "worker")
    sink = start_sink(kafka, AS_OF, db)
    try:
        for victim in ("worker", "sink", "worker", "sink"):
            time.sleep(rng.uniform(4, 12))  # a random moment: this is the point of the test
            proc = worker if victim == "worker" else sink
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if victim == "worker":
                worker = start_worker(kafka, AS_OF, work / "worker")
            else:
                sink = start_sink(kafka, AS_OF, db)
        assert publish.wait(timeout=300) == 0
        wait_workers_done(kafka, timeout=400)
    finally:
        for proc in (worker, sink, publish):
            if proc.poll() is None:
                proc.terminate()
            proc.wait(timeout=60)
    sink_all(kafka, AS_OF, db)  # whatever the killed sinks left, from their stored offsets
    replay_db(events, AS_OF, work / "replay.duckdb")
    assert differences(work / "replay.duckdb", db) == {}
