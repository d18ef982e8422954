"""Loading an event file (or one client partition of it) through the door into client states.
Used in process by a small replay and by each worker process of a large one."""

import re
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from analytics import columns
from schemas.door import DeadLetter, admit
from schemas.events import Event
from schemas.hetu import hetu_problem, pseudonymise
from streams.core import ClientState, apply

BATCH = 50_000  # events per Arrow batch: the writer starts on one while the next fills
Emit = Callable[[str, pa.Table], None]
_CLIENT = re.compile(rb'"client_(id|hetu)"\s*:\s*"((?:[^"\\]|\\.)*)"')


def partition_of(line: bytes, n: int, parts: int, key: bytes | None) -> int:
    """Which of `parts` workers owns this line: all lines of one client go to one worker.
    Identity codes hash by their pseudonym, so a client sent both ways stays together; a line
    with no client at all goes by its number (it will be a dead letter, written once)."""
    m = _CLIENT.search(line)
    if m is None:
        return n % parts
    client = m.group(2)
    if b"\\" in client:  # JSON escapes: hash the decoded text, as the door will see it
        try:
            client = orjson.loads(b'"' + client + b'"').encode()
        except orjson.JSONDecodeError:
            return n % parts
    if m.group(1) == b"hetu" and key is not None and hetu_problem(client.decode()) is None:
        client = pseudonymise(client.decode(), key).encode()
    return zlib.crc32(client) % parts


@dataclass
class LoadCounts:
    lines: int = 0
    taken: int = 0
    duplicates: int = 0
    blank: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)
    latest: date | None = None  # the latest effective date among valid events

    def merge(self, other: "LoadCounts") -> None:
        self.lines = max(self.lines, other.lines)  # every worker reads every line
        self.taken += other.taken
        self.duplicates += other.duplicates
        self.blank += other.blank
        self.dead_letters.update(other.dead_letters)
        if other.latest is not None and (self.latest is None or other.latest > self.latest):
            self.latest = other.latest


def dead_letter_kind(reason: str) -> str:
    """The first failing field and message, for grouping dead letters in a summary."""
    return reason.split("; ", 1)[0]


class _Buffer:
    """Valid event lines and dead letters waiting to be emitted as Arrow batches."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.data: dict[str, list[Any]] = {name: [] for name in columns.EVENT_LINES}
        self.dead: list[tuple[str, str, str]] = []

    def add(self, event: Event, day: date, line: bytes) -> None:
        d = self.data
        d["event_id"].append(event.event_id)
        d["event_type"].append(event.event_type)
        d["occurred_at"].append(event.occurred_at)
        d["effective_date"].append(day)
        d["source"].append(event.source)
        d["client_id"].append(event.client_id)
        # A line that carried an identity code is never handed on: its event is re-serialised.
        d["line"].append(event.model_dump_json() if b"client_hetu" in line else line)
        if len(d["line"]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        self.emit("events", columns.event_lines(self.data))
        self.emit("dead_letters", columns.table(columns.DEAD_LETTERS, self.dead))
        self.data = {name: [] for name in columns.EVENT_LINES}
        self.dead = []


def load(path: Path, key: bytes | None, emit: Emit, part: int = 0, parts: int = 1,
         on_progress: Callable[[int], None] | None = None,
         ) -> tuple[dict[str, ClientState], LoadCounts]:
    """Every line of `path` (of this partition) through the door into the clients' states."""
    states: dict[str, ClientState] = {}
    counts = LoadCounts()
    seen: set[str] = set()
    buf = _Buffer(emit)
    latest = date.min
    n = 0
    with path.open("rb") as f:
        for n, line in enumerate(f, start=1):
            if on_progress is not None and n % 20_000 == 0:
                on_progress(f.tell())
            if parts > 1 and partition_of(line, n, parts, key) != part:
                continue
            if line.isspace():
                counts.blank += 1
                continue
            event = admit(line, "", key)
            if isinstance(event, DeadLetter):
                counts.dead_letters[dead_letter_kind(event.reason)] += 1
                buf.dead.append((event.raw, event.reason, f"{path}:{n}"))
                continue
            if event.event_id in seen:
                counts.duplicates += 1
                continue
            seen.add(event.event_id)
            client = event.client
            state = states.get(client)
            if state is None:
                state = states[client] = ClientState(client)
            apply(state, event)
            day = event.effective_date
            buf.add(event, day, line)
            if day > latest:
                latest = day
    counts.lines = n
    buf.flush()
    counts.taken = len(seen)
    counts.latest = None if latest == date.min else latest
    return states, counts

