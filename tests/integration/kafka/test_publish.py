"""`jatkumo publish` writes its own record batches (services.kafka_batches): what a consumer reads
back must be what KafkaProducer.send would have written, record by record: the partition
KafkaProducer's partitioner picks for the key (the HTTP ingest's producer puts a client's
events there too), the key and value of services.publish.event_message, each client's events
in the file's order, and the dead letters with their reason and origin headers."""

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import DefaultPartitioner

from schemas.door import KEPT_OF_OVERSIZED, DeadLetter, admit
from schemas.hetu import has_code, pseudonymise
from services.publish import dead_letter_message, event_message
from streams import topics
from tests.conformance.test_door_fast_path import _base_events
from tests.integration.kafka.pipeline import KEY, ROOT, env, publish_file

pytestmark = pytest.mark.kafka
AS_OF = "2024-12-31"


def _read(bootstrap: str, topic: str) -> list[Any]:
    cons: Any = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                              enable_auto_commit=False, consumer_timeout_ms=3000)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(cons.partitions_for_topic(topic))]
        cons.assign(tps)
        ends = cons.end_offsets(tps)
        out: list[Any] = []
        while sum(cons.position(tp) for tp in tps) < sum(ends.values()):
            for records in cons.poll(timeout_ms=1000).values():
                out.extend(records)
        return out
    finally:
        cons.close()


def test_publish_writes_what_kafka_producer_would(kafka: str, work: Path) -> None:
    base = (ROOT / "examples/worked-example.jsonl").read_bytes().splitlines()
    first = json.loads(base[0])
    lines = list(base)
    # many clients (so every partition gets some), one of them by identity code, and lines
    # the door refuses
    for i in range(300):
        lines.append(json.dumps({**first, "event_id": f"00000000-0000-4000-8000-{i:012d}",
                                 "client_id": f"c-{i % 40}"}).encode())
    hetu = {k: v for k, v in first.items() if k != "client_id"}
    lines.append(json.dumps({**hetu, "event_id": "00000000-0000-4000-8000-999999999999",
                             "client_hetu": "131052-308T"}).encode())
    lines += [b'{"event_type": "nonsense"}', b"not json", b""]
    # lines longer than a Kafka message: a valid event padded with blanks and a refused one
    # with a code in it, each a dead letter that fits a message (both stopped the publish)
    lines += [base[1][:-1] + b" " * 2**21 + b"}",
              b'{"note": "' + b"x" * 2**20 + b' 131052-308T"}']
    events = work / "events.jsonl"
    events.write_bytes(b"\n".join(lines) + b"\n")

    publish_file(kafka, AS_OF, events)
    # and again, by two processes (each the clients of its partitions), producers of other ids
    done = subprocess.run([sys.executable, "-m", "services.cli", "publish", str(events),
                           "--quiet", "--processes", "2"], cwd=ROOT, env=env(kafka, AS_OF),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    want_once: dict[bytes, list[bytes]] = defaultdict(list)
    dead: list[tuple[bytes, list[tuple[str, bytes]]]] = []
    for n, line in enumerate(lines, 1):
        if not line:
            continue
        got = admit(line, f"{events}:{n}", KEY.encode())
        if isinstance(got, DeadLetter):
            dead.append(dead_letter_message(got))
        else:
            k, v = event_message(got, line)
            want_once[k].append(v)
    want = {k: v * 2 for k, v in want_once.items()}  # the first run's, then the second's
    records = _read(kafka, topics.EVENTS)
    parts = sorted({r.partition for r in records})
    assert len(parts) > 1
    n_parts = len(KafkaConsumer(bootstrap_servers=kafka).partitions_for_topic(topics.EVENTS))
    seen: dict[bytes, list[bytes]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert r.partition == DefaultPartitioner()(r.key, list(range(n_parts)),
                                                   list(range(n_parts)))
        seen[r.key].append(r.value)
    assert seen == want  # every client's values, in the file's order, twice
    assert not any(b"131052-308T" in r.value for r in records)
    letters = _read(kafka, topics.DEAD_LETTERS)
    assert sorted((r.value, list(r.headers)) for r in letters) == sorted(dead * 2)
    assert len(dead) == 4
    # each fits a message: its first KEPT_OF_OVERSIZED bytes at most (schemas.door.oversized)
    assert all(len(r.value) <= KEPT_OF_OVERSIZED for r in letters)


def test_no_identity_code_reaches_a_topic(kafka: str, work: Path) -> None:
    """Usual lines the fast paths take (streams.core.plain; services.publish.coded for a line
    sent by identity code) with a valid code put in any one field, key or value, as itself,
    glued to text or escaped, published by `jatkumo publish` with one process and with five
    (two work, a partition each): no record on any topic holds a code (key, value or header),
    every such line is a dead letter that names the field, and the lines sent by code arrive
    under their pseudonym."""
    codes = ["131052-308T", "010101A902T", "311299-999E"]
    lines: list[bytes] = []
    coded: list[bytes] = []
    for event in _base_events():
        compact = json.dumps(event, separators=(",", ":"))
        for text in set(re.findall(r'"([^"\\]*)"', compact)) - {"client_id"}:
            for code in codes:
                for form in (code, f"x{code}", code.replace("-", "\\u002d")):
                    lines.append(compact.replace(f'"{text}"', f'"{text}{form}"', 1).encode())
        by_code = {k: v for k, v in event.items() if k != "client_id"}
        coded.append(json.dumps({**by_code, "client_hetu": codes[len(coded) % 3]},
                                separators=(",", ":")).encode())
    events = work / "events.jsonl"
    events.write_bytes(b"\n".join(lines + coded) + b"\n")
    # (five processes on the default's two partitions: two publish, one a partition)
    for processes in ("1", "5"):
        done = subprocess.run([sys.executable, "-m", "services.cli", "publish", str(events),
                               "--quiet", "--processes", processes], cwd=ROOT,
                              env=env(kafka, AS_OF), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        capped = "publishing with 2 processes, one per partition" in done.stderr
        assert capped == (processes == "5"), done.stderr

    records = _read(kafka, topics.EVENTS)
    letters = _read(kafka, topics.DEAD_LETTERS)
    for r in records + letters:
        for raw in [r.key or b"", r.value, *(v for _, v in r.headers)]:
            assert not has_code(raw.decode()), raw
            assert not any(c.encode() in raw for c in codes), raw
    assert len(letters) == 2 * len(lines)
    assert all(dict(r.headers)["reason"].startswith(b"identity_code_in_") for r in letters)
    want = sorted(pseudonymise(codes[i % 3], KEY.encode()) for i in range(len(coded))) * 2
    assert sorted(r.key.decode() for r in records) == sorted(want)
