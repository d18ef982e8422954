"""Loading event lines (a file, or one client partition of it) through the door into client
states. Used in process by a small replay and by each worker process of a large one."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
from pydantic import ValidationError

from analytics import columns
from schemas.door import (
    MAX_LINE_BYTES,
    DeadLetter,
    closer_look,
    dead_letter,
    line_bytes,
    needs_look,
    origin_text,
    oversized,
    pseudonymised,
    refused,
    validate_json,
)
from schemas.events import Event
from services.partition import Numbered
from streams.core import ClientState
from streams.core.event_ids import passed_on
from streams.core.loadloop import Columns, load_lines

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
    are filled by the compiled loop (streams/core/loadloop.py)."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.columns = Columns()
        self.dead: list[tuple[str, str, str]] = []

    def flush(self) -> None:
        self.emit("events", columns.event_lines(*self.columns.all(), canonical=True))
        self.emit("dead_letters", columns.table(columns.DEAD_LETTERS, self.dead))
        self.columns.clear()  # cleared in place: the loop holds the lists
        self.dead.clear()


def load(lines: Numbered, origin: str, key: bytes | None, emit: Emit, fast: bool = True,
         ) -> tuple[dict[str, ClientState], LoadCounts]:
    """Numbered lines of a file called `origin` through the door into the clients' states.
    The per-line loop is compiled with the core (streams/core/loadloop.py): it takes the usual
    line through the door's fast path (streams/core/plain.py) and hands every other one to
    `door` below, the whole door, which gives the same verdict, reason and values as every
    other driver. `fast=False`: every line through the whole door (for tests)."""
    # a file may be named after a person (SPEC.md 1.2), and with bytes that are not UTF-8
    origin = origin_text(origin)
    states: dict[str, ClientState] = {}
    counts = LoadCounts()
    seen: dict[str, int] = {}  # event id -> hash of the line that brought it
    buf = _Buffer(emit)

    def door(n: int, line: bytes) -> tuple[Event, bytes] | None:
        # measured as the door measures it (without the line's end, a second CR too: a
        # review found a line of the largest size plus CR CR LF refused here only)
        judged = line_bytes(line)
        if len(judged) > MAX_LINE_BYTES and not line.isspace():
            _dead(buf, counts, oversized(judged, ""), origin, n)  # a blank: counted below
            return None
        try:
            event = validate_json(line)
        except ValidationError as error:
            if not line or line.isspace():
                counts.blank += 1
            else:
                _dead(buf, counts, refused(line, error, ""), origin, n)
            return None
        if needs_look(line, event):  # an identity code or a key given twice? (door)
            reason = closer_look(line)
            if reason is not None:
                _dead(buf, counts, dead_letter(line, reason, ""), origin, n)
                return None
        if event.client_hetu is not None:
            admitted = pseudonymised(event, line, "", key)
            if isinstance(admitted, DeadLetter):
                _dead(buf, counts, admitted, origin, n)
                return None
            # A line that carried an identity code is never handed on: the door's object
            # is, the code replaced by the pseudonym (what publish sends the workers).
            return admitted, passed_on(admitted, line)
        return event, line

    tally = load_lines(lines, states, seen, counts.conflicted, buf.columns, door, buf.flush,
                       BATCH, fast, key)
    buf.flush()
    counts.lines = tally.read
    counts.duplicates = tally.duplicates
    counts.pending = tally.pending
    counts.taken = len(seen)
    counts.latest = date.fromordinal(tally.latest) if tally.latest else None
    return states, counts


def _dead(buf: _Buffer, counts: LoadCounts, letter: DeadLetter, origin: str, n: int) -> None:
    counts.dead_letters[dead_letter_kind(letter.reason)] += 1
    buf.dead.append((letter.raw, letter.reason, f"{origin}:{n}"))
