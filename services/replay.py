"""`jatkumo replay`: the embedded driver. Reads a JSONL file through the door into per-client
states, evaluates every client as of one date with the pure core, and writes the relations."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from analytics import columns
from analytics.store import DEAD_LETTERS, EVENTS, Store
from schemas.door import DeadLetter, admit
from services.config import Settings
from streams.core import ClientState, apply, evaluate
from streams.core.state import rank_of

BATCH = 100_000


@dataclass
class ReplayReport:
    lines: int = 0
    taken: int = 0
    duplicates: int = 0
    blank: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)
    clients: int = 0
    as_of: date | None = None


class _EventBuffer:
    """Column lists of the events relation, flushed to the store in Arrow batches."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.data: dict[str, list[Any]] = {k: [] for k in EVENTS}
        self.dead: list[DeadLetter] = []

    def add(self, rank: tuple[int, str], event: Any) -> None:
        d = self.data
        d["event_id"].append(rank[1])
        d["event_type"].append(event.event_type)
        d["occurred_at"].append(rank[0])
        d["effective_date"].append(event.effective_date.toordinal())
        d["source"].append(event.source)
        d["client_id"].append(event.client_id)
        d["payload"].append(event.payload.model_dump_json())
        if len(d["event_id"]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        self.store.insert("events", columns.arrays(EVENTS, self.data))
        for v in self.data.values():
            v.clear()
        self.store.insert_rows("dead_letters", DEAD_LETTERS,
                               [(d.raw, d.reason, d.origin) for d in self.dead])
        self.dead.clear()


def dead_letter_kind(reason: str) -> str:
    """The first failing field and message, for grouping dead letters in a summary."""
    return reason.split("; ", 1)[0]


def replay(path: Path, db: Path, settings: Settings, as_of: date | None = None,
           on_progress: Callable[[int], None] | None = None) -> ReplayReport:
    report = ReplayReport()
    states: dict[str, ClientState] = {}
    seen: set[str] = set()
    latest = 0
    store = Store(db)
    try:
        store.begin_rebuild()
        buf = _EventBuffer(store)
        key = settings.pseudonym_key
        with path.open("rb") as f:
            for n, line in enumerate(f, start=1):
                report.lines = n
                if on_progress is not None and n % 20_000 == 0:
                    on_progress(f.tell())
                if not line.strip():
                    report.blank += 1
                    continue
                event = admit(line, f"{path}:{n}", key)
                if isinstance(event, DeadLetter):
                    report.dead_letters[dead_letter_kind(event.reason)] += 1
                    buf.dead.append(event)
                    continue
                rank = rank_of(event)
                if rank[1] in seen:
                    report.duplicates += 1
                    continue
                seen.add(rank[1])
                report.taken += 1
                client = event.client
                state = states.get(client)
                if state is None:
                    state = states[client] = ClientState(client)
                apply(state, event)
                buf.add(rank, event)
                latest = max(latest, event.effective_date.toordinal())
        buf.flush()
        report.as_of = as_of or (date.fromordinal(latest) if latest else date.today())
        store.set_as_of(report.as_of)
        rules, day = settings.rules, report.as_of
        store.write_results(evaluate(s, day, rules) for s in states.values())
        report.clients = len(states)
        store.commit()
    except BaseException:
        store.rollback_quietly()
        raise
    finally:
        store.close()
    return report
