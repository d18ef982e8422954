"""Loading event lines (a file, or one client partition of it) through the door into client
states. Used in process by a small replay and by each worker process of a large one."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from analytics import columns
from schemas.door import DeadLetter, admit
from schemas.events import Event
from services.partition import Numbered
from streams.core import ClientState, apply

BATCH = 50_000  # events per Arrow batch: the writer starts on one while the next fills
Emit = Callable[[str, pa.Table], None]


@dataclass
class LoadCounts:
    lines: int = 0
    taken: int = 0
    duplicates: int = 0
    blank: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)
    latest: date | None = None  # the latest effective date among valid events

    def merge(self, other: "LoadCounts") -> None:
        self.lines += other.lines
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
        d["line"].append(event.model_dump_json(exclude_none=True) if b"client_hetu" in line
                         else line)
        if len(d["line"]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        self.emit("events", columns.event_lines(self.data))
        self.emit("dead_letters", columns.table(columns.DEAD_LETTERS, self.dead))
        self.data = {name: [] for name in columns.EVENT_LINES}
        self.dead = []


def _counting(lines: Numbered, counts: LoadCounts) -> Numbered:
    for item in lines:
        counts.lines += 1
        yield item


def load(lines: Numbered, origin: str, key: bytes | None, emit: Emit,
         ) -> tuple[dict[str, ClientState], LoadCounts]:
    """Numbered lines of a file called `origin` through the door into the clients' states."""
    states: dict[str, ClientState] = {}
    counts = LoadCounts()
    lines = _counting(lines, counts)
    seen: set[str] = set()
    buf = _Buffer(emit)
    latest = date.min
    for n, line in lines:
        if line.isspace():
            counts.blank += 1
            continue
        event = admit(line, "", key)
        if isinstance(event, DeadLetter):
            counts.dead_letters[dead_letter_kind(event.reason)] += 1
            buf.dead.append((event.raw, event.reason, f"{origin}:{n}"))
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
    buf.flush()
    counts.taken = len(seen)
    counts.latest = None if latest == date.min else latest
    return states, counts

