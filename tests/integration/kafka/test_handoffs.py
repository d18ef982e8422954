"""SPEC.md 4.1 on Kafka: a worker given the handoffs file (2023, and KTT back to municipalities
on 2027-01-01) leaves the relations replay leaves with the same file."""

from datetime import date
from pathlib import Path

import pytest

from services.config import Settings, read_handoffs
from services.replay import replay
from streams.core.rules import Rules
from tests import helpers as h
from tests.integration.kafka.compare import differences
from tests.integration.kafka.pipeline import (
    KEY,
    publish_file,
    work_through,
)

pytestmark = pytest.mark.kafka
HANDOFFS = """[[handoff]]
name = "2023"
services = ["KTT", "SOSKU"]
from = "municipality"
to = "wellbeing_area"
date = 2023-01-01

[[handoff]]
name = "ktt-back"
services = ["KTT"]
from = "wellbeing_area"
to = "municipality"
date = 2027-01-01
"""
IN_WBA = {"organizer": h.WBA, "kind": "wellbeing_area", "producer_municipality": "139"}


def test_a_worker_with_two_handoffs_equals_replay_with_the_same_file(
        kafka: str, work: Path) -> None:
    as_of = "2027-03-31"
    conf = work / "handoffs.toml"
    conf.write_text(HANDOFFS)
    events = h.write_jsonl(work / "events.jsonl", [
        h.signed("k1", "2022-09-01", client="c1"), h.transferred("k1", "2023-01-10", client="c1"),
        h.transferred("k1", "2027-01-25", frm=h.WBA, to=h.OULU, client="c1"),
        h.signed("k2", "2025-06-01", client="c2", **IN_WBA),
        h.signed("k3", "2025-06-01", service="SOSKU", client="c3", **IN_WBA),
        h.signed("k4", "2027-02-01", client="c4", **IN_WBA),
        h.signed("k5", "2022-09-01", client="c5"), h.ended("k5", "2023-02-28", client="c5")])
    publish_file(kafka, as_of, events)
    db = work_through(kafka, as_of, work, "--handoffs", str(conf))
    rules = Rules(configured_handoffs=read_handoffs(str(conf)))
    replay(events, work / "replay.duckdb", Settings(pseudonym_key=KEY.encode(), rules=rules),
           date.fromisoformat(as_of))
    assert differences(work / "replay.duckdb", db) == {}
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    got = con.execute("SELECT DISTINCT handoff FROM handoff_status ORDER BY 1").fetchall()
    con.close()
    assert got == [("2023",), ("ktt-back",)]
