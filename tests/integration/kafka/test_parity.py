"""The same events through publish -> worker -> sink and through replay leave the same
relations, row for row (a dead letter's origin excepted: file:line against topic/partition/
offset)."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from services.config import KafkaSettings
from tests.integration.kafka import generate
from tests.integration.kafka.compare import differences
from tests.integration.kafka.pipeline import (
    ROOT,
    assert_audited,
    publish_file,
    replay_db,
    retry_until,
    sink_all,
    start_worker,
    wait_workers_done,
)

pytestmark = pytest.mark.kafka


def _through_kafka(kafka: str, events: Path, as_of: str, work: Path, workers: int = 1,
                   until: Callable[[], bool] = lambda: True) -> Path:
    publish_file(kafka, as_of, events)
    procs = [start_worker(kafka, as_of, work / f"worker-{i}") for i in range(workers)]
    try:
        wait_workers_done(kafka)
        retry_until("the workers to settle", until, 120)
        assert all(p.poll() is None for p in procs), "a worker stopped"
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    db = work / "kafka.duckdb"
    sink_all(kafka, as_of, db)
    return db


def test_the_worked_example_through_kafka_equals_replay(kafka: str, work: Path) -> None:
    events = ROOT / "examples/worked-example.jsonl"
    db = _through_kafka(kafka, events, "2023-03-31", work)
    replay_db(events, "2023-03-31", work / "replay.duckdb")
    assert differences(work / "replay.duckdb", db) == {}


def test_five_thousand_random_clients_with_malformed_lines_equal_replay(
        kafka: str, work: Path) -> None:
    events = work / "events.jsonl"
    generate.write(events, 5000, seed=11, malformed=200)
    db = _through_kafka(kafka, events, "2024-03-31", work)
    # the worker + sink file holds every declared grain, kafka_offsets too
    assert "kafka_offsets" in assert_audited(db)
    replay_db(events, "2024-03-31", work / "replay.duckdb")
    assert_audited(work / "replay.duckdb")
    assert differences(work / "replay.duckdb", db) == {}


def _partitions_held_last(log: Path) -> set[int]:
    """The partitions of jatkumo.events a worker held after its last rebalance, from the
    line it logs when it has refreshed its clients (streams.agents.refresh)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    held = re.findall(r"of partitions \[([0-9, ]*)\]", text)
    return {int(p) for p in held[-1].split(",") if p.strip()} if held else set()


def _shared(work: Path) -> bool:
    first, second = (_partitions_held_last(work / f"worker-{i}" / "worker.log") for i in (0, 1))
    every = set(range(KafkaSettings().partitions))  # the default count's topics
    return bool(first and second and not first & second and first | second == every)


def test_two_workers_in_one_group_share_the_partitions_and_still_equal_replay(
        kafka: str, work: Path) -> None:
    events = work / "events.jsonl"
    generate.write(events, 2000, seed=12, malformed=50)
    # `until`: both workers have taken their share (the second may join after the first is
    # done); retry_until fails the test if they never split the partitions between them
    db = _through_kafka(kafka, events, "2023-12-31", work, workers=2, until=lambda: _shared(work))
    replay_db(events, "2023-12-31", work / "replay.duckdb")
    assert differences(work / "replay.duckdb", db) == {}
