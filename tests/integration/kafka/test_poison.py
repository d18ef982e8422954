"""Messages someone else's producer wrote straight to jatkumo.events: what the door refuses
becomes a dead letter (topic and relation) and the worker keeps going."""

import json
import time
from pathlib import Path

import duckdb
import pytest
from kafka import KafkaProducer

from schemas.hetu import pseudonymise
from services.kafka_broker import ensure_topics
from streams import topics
from tests.integration.kafka.generate import temporary_hetu
from tests.integration.kafka.pipeline import (
    KEY,
    sink_all,
    start_worker,
    topic_bytes,
    wait_workers_done,
)

pytestmark = pytest.mark.kafka

SIGNED = {"event_id": "0b5e6f3c-5c86-4a43-9d38-0e9a61a1e0a1", "event_type": "contract.signed",
          "schema_version": 1, "occurred_at": "2023-01-02T09:00:00+02:00", "source": "x",
          "client_id": "c1", "payload": {
              "contract_id": "k1", "service": "KTT", "organizer": "municipality:564",
              "producer": {"id": "p", "kind": "municipal", "municipality": "564"},
              "start_date": "2023-01-02"}}


def test_poison_messages_become_dead_letters_and_the_worker_goes_on(kafka: str,
                                                                    work: Path) -> None:
    import random

    # made with six partitions, before the worker, which is started with the default (2): it
    # works with the topics' count (a client's partition is computed from it)
    ensure_topics(kafka, 6)
    hetu = temporary_hetu(random.Random(1))
    by_code = {**SIGNED, "event_id": "1b5e6f3c-5c86-4a43-9d38-0e9a61a1e0a1",
               "client_id": None, "client_hetu": hetu}
    del by_code["client_id"]
    # the same code again, keyed already by its pseudonym (a producer that knows the key):
    # the event is taken where it is, and its code must still go no further
    other = temporary_hetu(random.Random(2))
    keyed = {**by_code, "event_id": "3b5e6f3c-5c86-4a43-9d38-0e9a61a1e0a1",
             "client_hetu": other}
    bad_place = {**SIGNED, "event_id": "2b5e6f3c-5c86-4a43-9d38-0e9a61a1e0a1",
                 "payload": {**SIGNED["payload"], "organizer": "municipality:999"}}
    prod = KafkaProducer(bootstrap_servers=kafka)
    poison = [b"not json", b"", b"[1, 2]", json.dumps(bad_place).encode()]
    for value in poison:
        prod.send("jatkumo.events", key=b"c1", value=value)
    prod.send("jatkumo.events", key=b"c1", value=None)  # a tombstone: no value at all
    prod.send("jatkumo.events", key=hetu.encode(), value=json.dumps(by_code).encode())
    prod.send("jatkumo.events", key=b"c1", value=json.dumps(SIGNED).encode())
    prod.send("jatkumo.events", key=pseudonymise(other, KEY.encode()).encode(),
              value=json.dumps(keyed).encode())
    prod.flush()
    prod.close()
    worker = start_worker(kafka, "2023-03-31", work / "worker")
    try:
        wait_workers_done(kafka, timeout=120)
        assert worker.poll() is None, "the worker stopped"
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    db = work / "k.duckdb"
    sink_all(kafka, "2023-03-31", db)
    con = duckdb.connect(str(db), read_only=True)
    dead = con.execute("SELECT raw, reason, origin FROM dead_letters").fetchall()
    clients = sorted(r[0] for r in con.execute("SELECT client_id FROM contracts").fetchall())
    events = con.execute("SELECT event_id, client_id, payload->>'contract_id' FROM events "
                         "ORDER BY event_id").fetchall()
    log = (work / "worker" / "worker.log").read_text()
    con.close()
    assert len(dead) == len(poison) + 1
    assert all(origin.startswith("jatkumo.events/") for _r, _reason, origin in dead)
    assert any("organizer" in reason for _r, reason, _o in dead)
    assert len(clients) == 3 and "c1" in clients and clients[1].startswith("p:")
    # every valid event once in the events relation, under its pseudonym
    assert [(e, c.startswith("p:"), k) for e, c, k in events] == [
        (SIGNED["event_id"], False, "k1"), (by_code["event_id"], True, "k1"),
        (keyed["event_id"], True, "k1")]
    assert hetu not in log and other not in log and "Traceback" not in log
    assert "jatkumo.events has 6 partitions" in log and "working with 6" in log
    assert "assigned partitions [0, 1, 2, 3, 4, 5]" in log
    # nowhere after the door: not in the file, nor in any topic the worker writes
    stored = [db.read_bytes()] + [topic_bytes(kafka, t) for t in topics.ALL if t != topics.EVENTS]
    assert not [n for n, b in enumerate(stored) if hetu.encode() in b or other.encode() in b]


def test_a_topic_made_again_takes_the_inputs_count_not_the_setting(kafka: str) -> None:
    """A changelog deleted (to start the worker's state afresh) is made again with the count
    of the inputs made before, whatever the setting of the run that makes it: the tables are
    co-partitioned with the inputs (a review found it made with the setting's count)."""
    from kafka.admin import KafkaAdminClient

    assert all(len(p) == 6 for p in ensure_topics(kafka, 6).values())
    admin = KafkaAdminClient(bootstrap_servers=kafka)
    try:
        admin.delete_topics([topics.CLIENT_STATE_CHANGELOG])
        deadline = time.monotonic() + 60
        while topics.CLIENT_STATE_CHANGELOG in admin.list_topics() \
                and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        admin.close()
    found = ensure_topics(kafka, 2)
    assert {name: len(p) for name, p in found.items()} == {name: 6 for name in topics.ALL}
