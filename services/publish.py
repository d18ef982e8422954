"""`jatkumo publish`: a JSONL file onto Kafka. Every line goes through the door first, so an
identity code is pseudonymised before anything is sent and never enters Kafka; what the door
refuses goes to jatkumo.dead-letters (reason and origin in headers), not to jatkumo.events."""

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
from services.partition import numbered
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


def producer(bootstrap: str) -> Any:
    from kafka import KafkaProducer

    # acks=all + idempotence: a retried send is written once, in order, on every in-sync replica
    return KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                         linger_ms=20, batch_size=512 * 1024, client_id="jatkumo-publish")


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
            on_progress: Callable[[int], None] | None = None) -> PublishReport:
    report = PublishReport()

    def failed(error: Exception) -> None:
        report.failures[type(error).__name__] += 1

    prod = producer(kafka.bootstrap)
    try:
        for n, line in numbered(path, on_progress):
            report.lines = n
            if not line or line.isspace():
                report.blank += 1
                continue
            event = admit(line, f"{path}:{n}", settings.pseudonym_key)
            if isinstance(event, DeadLetter):
                value, headers = dead_letter_message(event)
                prod.send(topics.DEAD_LETTERS, value=value, headers=headers).add_errback(failed)
                report.dead_letters += 1
            else:
                key, value = event_message(event, line)
                prod.send(topics.EVENTS, key=key, value=value).add_errback(failed)
                report.events += 1
        prod.flush()
    finally:
        prod.close()
    if report.failures:
        raise PublishError(
            f"Kafka refused {sum(report.failures.values()):,} messages "
            f"({', '.join(report.failures)}); check the broker at {kafka.bootstrap} and publish "
            "the file again (duplicates are ignored by event_id)")
    return report
