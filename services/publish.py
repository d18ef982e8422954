"""`jatkumo publish`: a JSONL file onto Kafka. Every line goes through the door first, so an
identity code is pseudonymised before anything is sent and never enters Kafka; what the door
refuses goes to jatkumo.dead-letters (reason and origin in headers), not to jatkumo.events."""

import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from schemas.door import DeadLetter, admit
from schemas.errors import JatkumoError
from schemas.events import Event
from services.config import KafkaSettings, Settings
from services.kafka_batches import BatchProducer
from services.partition import client_of, numbered
from streams import topics
from streams.core.event_ids import door_object


class PublishError(JatkumoError):
    """Kafka did not take some messages."""


@dataclass
class PublishReport:
    lines: int = 0
    events: int = 0
    dead_letters: int = 0
    blank: int = 0
    failures: Counter[str] = field(default_factory=Counter)


def event_message(event: Any, line: bytes) -> tuple[bytes, bytes]:
    """(key, value) of a validated, pseudonymised event: keyed by client so one worker sees
    all of a client's events in order. The value is the line as the source wrote it, or,
    when it carried an identity code, the same object with the code replaced by the
    pseudonym and nothing else changed: SPEC.md 1.4 compares the contents of events that
    share an id by their text after parsing, which a re-serialisation would change (a null
    left out, a timestamp rewritten), so the workers would judge other texts than replay."""
    try:  # parsed, not searched: a key may be written with escapes
        obj = orjson.loads(line.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:  # the door's parser took what orjson will not
        return event.client.encode(), event.model_dump_json(exclude_none=True).encode()
    if "client_hetu" not in obj:
        return event.client.encode(), line.rstrip(b"\r\n")
    return event.client.encode(), orjson.dumps(door_object(obj, event.client))


def dead_letter_message(d: DeadLetter) -> tuple[bytes, list[tuple[str, bytes]]]:
    return d.raw.encode(), [("reason", d.reason.encode()), ("origin", d.origin.encode())]


def verdicts(path: Path, key: bytes | None,
             on_progress: Callable[[int], None] | None = None,
             ) -> Iterator[tuple[int, Event | DeadLetter | None]]:
    """The door's verdict on each line of a file (None: a blank line), from the same reader
    as replay's (services.partition.read_lines: no line end, no byte order mark), so that a
    line publish refuses is a dead letter with the reason replay gives it."""
    for n, line in numbered(path, on_progress):
        if not line or line.isspace():
            yield n, None
        else:
            yield n, admit(line, f"{path}:{n}", key)


def publish(path: Path, settings: Settings, kafka: KafkaSettings,
            on_progress: Callable[[int], None] | None = None,
            processes: int = 1) -> PublishReport:
    """The file onto Kafka, by `processes` processes at once: each reads every line and takes
    those whose client's partition of jatkumo.events is its own (partition % processes), so
    every partition has one writer and each client's events keep the file's order."""
    if processes <= 1:
        report = _publish(path, settings, kafka, on_progress, 0, 1)
    else:
        # spawn, not fork: the caller may run threads (a progress bar), which fork would copy
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            parts = pool.starmap(_publish, [(path, settings, kafka, None, i, processes)
                                            for i in range(processes)])
        report = PublishReport()
        for part in parts:
            report.lines = max(report.lines, part.lines)
            report.events += part.events
            report.dead_letters += part.dead_letters
            report.blank += part.blank
            report.failures.update(part.failures)
        if on_progress is not None:
            on_progress(path.stat().st_size)
    if report.failures:
        raise PublishError(
            f"Kafka refused {sum(report.failures.values()):,} messages "
            f"({', '.join(report.failures)}); check the broker at {kafka.bootstrap} and publish "
            "the file again (duplicates are ignored by event_id)")
    return report


def _publish(path: Path, settings: Settings, kafka: KafkaSettings,
             on_progress: Callable[[int], None] | None, part: int, parts: int,
             ) -> PublishReport:
    report = PublishReport()
    prod = BatchProducer(kafka.bootstrap, "jatkumo-publish")
    add, key = prod.add, settings.pseudonym_key
    origin = str(path)
    try:
        for n, line in numbered(path, on_progress):
            report.lines = n
            if parts > 1 and _owner(prod, line, n, parts, key) != part:
                continue
            if not line or line.isspace():
                report.blank += 1
                continue
            event = admit(line, f"{origin}:{n}", key)
            if isinstance(event, DeadLetter):
                value, headers = dead_letter_message(event)
                add(topics.DEAD_LETTERS, None, value, headers)
                report.dead_letters += 1
            else:
                k, value = event_message(event, line)
                add(topics.EVENTS, k, value)
                report.events += 1
        prod.flush()
    finally:
        prod.close()
    report.failures.update(prod.failures)
    return report


_ID = b'"client_id"'


def _owner(prod: BatchProducer, line: bytes, n: int, parts: int, key: bytes | None) -> int:
    """Which of `parts` publishing processes sends a line: the one of its client's partition
    (the client as the door will see it), or by line number where no client can be told (a
    dead letter). The usual line's one `"client_id":"…"` without escapes is read inline, as
    services.partition.batches does; every other line goes through partition.client_of."""
    i = line.find(_ID)
    end = line.find(b'"', i + 13)
    raw = line[i + 13:end]
    client: bytes | None = raw
    if not (i >= 0 and end > 0 and line[i + 11:i + 13] == b':"' and b"\\" not in raw
            and line.find(_ID, end) < 0):
        told = client_of(line, key)
        client = None if told is None else told.encode("utf-8", "surrogatepass")
    if client is None:
        return n % parts
    return prod.partition(topics.EVENTS, client) % parts
