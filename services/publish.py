"""`jatkumo publish`: a JSONL file onto Kafka. Every line goes through the door first, so an
identity code is pseudonymised before anything is sent and never enters Kafka; what the door
refuses goes to jatkumo.dead-letters (reason and origin in headers), not to jatkumo.events."""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from schemas.door import DeadLetter, admit
from schemas.errors import JatkumoError
from schemas.events import Event
from services.config import KafkaSettings, Settings
from services.fork_server import fork_server
from services.kafka_batches import BatchProducer
from services.partition import Numbered, client_of, numbered
from streams import topics
from streams.core.event_ids import passed_on
from streams.core.plain import coded as plain_coded
from streams.core.plain import plain


class PublishError(JatkumoError):
    """Kafka did not take some messages."""


@dataclass
class PublishReport:
    lines: int = 0
    events: int = 0
    dead_letters: int = 0
    blank: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0  # of the publishing process(es), from their first line to the last ack


def event_message(event: Any, line: bytes) -> tuple[bytes, bytes]:
    """(key, value) of a validated, pseudonymised event: keyed by client so one worker sees
    all of a client's events in order; the value is the text the door passes on
    (streams.core.event_ids.passed_on)."""
    return event.client.encode(), passed_on(event, line)


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


EventsSink = Callable[[list[bytes], list[bytes]], None]  # events' keys and values, in order
DeadSink = Callable[[bytes, list[tuple[str, bytes]]], None]  # a dead letter's value, headers
CHUNK = 4096  # events handed on at a time


def door_lines(lines: Numbered, origin: str, key: bytes | None, events: EventsSink,
               dead: DeadSink, mine: Callable[[bytes, int], bool] | None = None,
               ) -> PublishReport:
    """Every line (of those `mine` says are this process's) through the door, as replay's
    loader does it (services/loader.py): the fast path (streams.core.plain) takes the usual
    line, and the whole door (schemas.door.admit) judges every line it leaves. A line the fast
    path takes is one the door takes with the same values (tests/conformance/
    test_door_fast_path.py) and no identity code (it leaves `client_hetu` and any escape to
    the door, and looks at every free text with the door's own seen_code), so its message is
    `event_message`'s without asking pydantic: the line as written, keyed by its client_id.
    The events go to `events` in the file's order, CHUNK at a time (BatchProducer.extend
    encodes them in C-level passes); each dead letter to `dead` at once (another topic: no
    order between the two). Publish sends what this gives; bench/publish.py runs it with
    sinks that drop everything (the door's own speed)."""
    report = PublishReport()
    dead_letters = blank = n = 0
    keys: list[bytes] = []
    values: list[bytes] = []
    for n, line in lines:
        if mine is not None and not mine(line, n):
            continue
        got = plain(line)
        if got is not None:
            keys.append(got[4].encode())
            values.append(line.rstrip(b"\r\n"))
        elif not line or line.isspace():
            blank += 1
            continue
        else:
            message = coded(line, key) if key is not None else None
            if message is None:
                verdict = admit(line, f"{origin}:{n}", key)
                if isinstance(verdict, DeadLetter):
                    dead(*dead_letter_message(verdict))
                    dead_letters += 1
                    continue
                message = event_message(verdict, line)
            keys.append(message[0])
            values.append(message[1])
        if len(keys) >= CHUNK:
            report.events += len(keys)
            events(keys, values)
            keys, values = [], []
    if keys:
        report.events += len(keys)
        events(keys, values)
    report.lines, report.dead_letters, report.blank = n, dead_letters, blank
    return report


def coded(line: bytes, key: bytes) -> tuple[bytes, bytes] | None:
    """`event_message` of a usual line that names its client by a valid identity code, judged
    without pydantic (streams.core.plain.coded), or None: then only the door can tell."""
    got = plain_coded(line, key)
    return None if got is None else (got[0][4].encode(), got[1])


def publish(path: Path, settings: Settings, kafka: KafkaSettings,
            on_progress: Callable[[int], None] | None = None,
            processes: int = 1) -> PublishReport:
    """The file onto Kafka, by `processes` processes at once: each reads every line and takes
    those whose client's partition of jatkumo.events is its own (partition % processes), so
    every partition has one writer and each client's events keep the file's order."""
    if processes <= 1:
        report = _publish(path, settings, kafka, on_progress, 0, 1)
    else:
        context = fork_server(__name__)
        with context.Pool(processes) as pool:
            parts = pool.starmap(_publish, [(path, settings, kafka, None, i, processes)
                                            for i in range(processes)])
        report = PublishReport()
        for part in parts:
            report.lines = max(report.lines, part.lines)
            report.events += part.events
            report.dead_letters += part.dead_letters
            report.blank += part.blank
            report.cpu_seconds += part.cpu_seconds
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
    cpu = time.process_time()
    prod = BatchProducer(kafka.bootstrap, "jatkumo-publish")
    key = settings.pseudonym_key

    def dead(value: bytes, headers: list[tuple[str, bytes]]) -> None:
        prod.add(topics.DEAD_LETTERS, None, value, headers)

    try:
        report = door_lines(numbered(path, on_progress), str(path), key,
                            partial(prod.extend, topics.EVENTS), dead,
                            None if parts <= 1 else owner(prod, key, part, parts))
        prod.flush()
    finally:
        prod.close()
    report.failures.update(prod.failures)
    report.cpu_seconds = time.process_time() - cpu
    return report


_ID = b'"client_id":"'


def owner(prod: BatchProducer, key: bytes | None, part: int, parts: int,
          ) -> Callable[[bytes, int], bool]:
    """Whether a line is for publishing process `part` of `parts`: the one of its client's
    partition (the client as the door will see it), or by line number where no client can be
    told (a dead letter). Every process asks this of every line, and exactly one says yes.
    The usual line's first `"client_id":"…"` without escapes is its client, answered once per
    client (where the door takes another client, the line is refused: a key given twice, an
    extra key in the payload); any other line goes through partition.client_of (a parse)."""
    known: dict[bytes, bool] = {}

    def mine(line: bytes, n: int) -> bool:
        i = line.find(_ID)
        if i >= 0:
            end = line.find(b'"', i + 13)
            raw = line[i + 13:end]
            if end > 0 and raw.find(b"\\") < 0:
                got = known.get(raw)
                if got is None:
                    got = known[raw] = prod.partition(topics.EVENTS, raw) % parts == part
                return got
        told = client_of(line, key)
        if told is None:
            return n % parts == part
        return prod.partition(topics.EVENTS, told.encode("utf-8", "surrogatepass")) \
            % parts == part

    return mine
