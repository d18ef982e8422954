"""Loading event lines (a file, or one client partition of it) through the door into client
states. Used in process by a small replay and by each worker process of a large one."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from analytics import columns
from schemas.door import (
    DeadLetter,
    closer_look,
    dead_letter,
    needs_look,
    pseudonymised,
    refused,
    validate_json,
)
from schemas.events import Event
from services.partition import Numbered
from streams.core import ClientState
from streams.core.plain import plain
from streams.core.state import add_fact, add_plain

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
    # SPEC.md 1.4, events that share an id. While loading, a line whose id was seen with other
    # text is not applied: it is counted here and its id noted; services/event_ids.py decides
    # afterwards which content is taken, over all partitions.
    pending: int = 0
    conflicted: set[str] = field(default_factory=set)
    conflicts: int = 0  # contents not taken (data issues conflicting_event_id), once decided

    def merge(self, other: "LoadCounts") -> None:
        self.lines += other.lines
        self.taken += other.taken
        self.duplicates += other.duplicates
        self.blank += other.blank
        self.pending += other.pending
        self.conflicted |= other.conflicted
        self.conflicts += other.conflicts
        self.dead_letters.update(other.dead_letters)
        if other.latest is not None and (self.latest is None or other.latest > self.latest):
            self.latest = other.latest


def dead_letter_kind(reason: str) -> str:
    """The first failing field and message, for grouping dead letters in a summary."""
    return reason.split("; ", 1)[0]


class _Buffer:
    """Valid event lines and dead letters waiting to be emitted as Arrow batches. The columns
    are plain lists whose bound `append`s the loading loop calls directly."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.columns: tuple[list[Any], ...] = tuple([] for _ in columns.EVENT_LINES)
        self.dead: list[tuple[str, str, str]] = []

    def flush(self) -> None:
        self.emit("events", columns.event_lines(*self.columns))
        self.emit("dead_letters", columns.table(columns.DEAD_LETTERS, self.dead))
        for column in self.columns:  # cleared in place: the loop holds their appends
            column.clear()
        self.dead.clear()


def load(lines: Numbered, origin: str, key: bytes | None, emit: Emit,
         ) -> tuple[dict[str, ClientState], LoadCounts]:
    """Numbered lines of a file called `origin` through the door into the clients' states.
    This loop runs once per event of a replay, so it is written for speed: the door's steps
    and the buffer's appends inline, and no attribute looked up twice."""
    states: dict[str, ClientState] = {}
    counts = LoadCounts()
    seen: dict[str, int] = {}  # event id -> hash of the line that brought it
    buf = _Buffer(emit)
    ids, types, times, days, sources, clients, raws = (c.append for c in buf.columns)
    full = buf.columns[-1]
    latest = 0
    read = 0
    conflicted = counts.conflicted
    for n, line in lines:
        read += 1
        event: Event | None = None
        got = plain(line)  # the usual line, without pydantic (streams/core/plain.py)
        if got is not None:
            event_id, etype, micros, source, client, pl = got
            text = hash(line)
        else:  # the whole door: the same verdict, reason and values as every other driver
            try:
                event = validate_json(line)
            except ValidationError as error:
                if not line or line.isspace():
                    counts.blank += 1
                else:
                    _dead(buf, counts, refused(line, error, ""), origin, n)
                continue
            if needs_look(line, event):  # an identity code or a key given twice? (door)
                reason = closer_look(line)
                if reason is not None:
                    _dead(buf, counts, dead_letter(line, reason, ""), origin, n)
                    continue
            text = hash(line)
            if event.client_hetu is not None:
                admitted = pseudonymised(event, line, "", key)
                if isinstance(admitted, DeadLetter):
                    _dead(buf, counts, admitted, origin, n)
                    continue
                event = admitted
                # A line that carried an identity code is never handed on: its event is
                # re-serialised.
                line = event.model_dump_json(exclude_none=True).encode()
            event_id, etype, source = event.event_id, event.event_type, event.source
            client = event.client_id  # type: ignore[assignment]
            # A float timestamp of today's dates carries ~0.2 µs of error, so rounding is exact.
            micros = round(event.occurred_at.timestamp() * 1_000_000)
        first = seen.get(event_id)
        if first is not None:
            if first == text:  # the same line again: a duplicate (SPEC.md 1.4)
                counts.duplicates += 1
            else:  # other text under the id: decided after loading, over every partition
                counts.pending += 1
                conflicted.add(event_id)
            continue
        seen[event_id] = text
        state = states.get(client)
        if state is None:
            state = states[client] = ClientState(client)
        rank = (micros, event_id)
        day = (add_plain(state, etype, pl, rank) if event is None
               else add_fact(state, event, rank))
        ids(event_id)
        types(etype)
        times(micros)
        days(day)
        sources(source)
        clients(client)
        raws(line)
        if day > latest:
            latest = day
        if len(full) >= BATCH:
            buf.flush()
    buf.flush()
    counts.lines = read
    counts.taken = len(seen)
    counts.latest = date.fromordinal(latest) if latest else None
    return states, counts


def _dead(buf: _Buffer, counts: LoadCounts, letter: DeadLetter, origin: str, n: int) -> None:
    counts.dead_letters[dead_letter_kind(letter.reason)] += 1
    buf.dead.append((letter.raw, letter.reason, f"{origin}:{n}"))
