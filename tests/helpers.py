"""Event builders and runners for tests: synthetic data only.

Every builder returns a plain event dict (the JSON of SPEC.md 1.1) with sensible defaults, so a
test states only what matters to it. `run_core` evaluates events in process with the pure core;
`replay_db` writes JSONL, replays it into a DuckDB file and returns the SPEC.md 5 relations as
sorted lists of tuples.
"""

import asyncio
import importlib.util
import itertools
import json
import os
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import duckdb

from schemas.door import DeadLetter, admit, dead_letter, refused
from streams.core import ClientState, Rules, apply, evaluate
from streams.core.results import (
    ContractRow,
    GapRow,
    HandoffRow,
    IssueRow,
    ViolationRow,
)

KEY = b"test-pseudonym-key"
WBA = "wellbeing_area:pohjois-pohjanmaa"
OULU = "municipality:564"
DayLike = date | str

_ids = itertools.count(1)


@dataclass
class Record:
    """What the sink reads of a consumed Kafka record (services.sink_batch.Batch.add): for
    its writer's tests and bench/sink.py."""
    value: bytes
    offset: int
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    key: bytes | None = None


def new_id() -> str:
    """A fresh, deterministic-per-run event id (a valid UUID)."""
    return str(uuid.UUID(int=(0xE0 << 120) + next(_ids)))


def d(text: DayLike) -> date:
    return text if isinstance(text, date) else date.fromisoformat(text)


def _s(day: DayLike | None) -> str | None:
    return None if day is None else d(day).isoformat()


def event(event_type: str, payload: dict[str, Any], *, client: str = "c1",
          occurred_at: str = "2023-01-01T12:00:00+00:00", event_id: str | None = None,
          source: str = "test:unit", hetu: str | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {
        "event_id": event_id or new_id(), "event_type": event_type, "schema_version": 1,
        "occurred_at": occurred_at, "source": source,
    }
    if hetu is not None:
        e["client_hetu"] = hetu
    else:
        e["client_id"] = client
    e["payload"] = {k: v for k, v in payload.items() if v is not None}
    return e


def registered(on: DayLike = "2022-01-01", *, birth_year: int = 2001, home: str = "564",
               referred_by: str = "self", **kw: Any) -> dict[str, Any]:
    return event("client.registered", {"birth_year": birth_year, "home_municipality": home,
                                       "referred_by": referred_by, "registered_on": _s(on)}, **kw)


def producer(kind: str = "municipal", pid: str = "PAJA-1", municipality: str = "564"
             ) -> dict[str, str]:
    return {"id": pid, "kind": kind, "municipality": municipality}


def signed(contract: str, start: DayLike, *, service: str = "KTT", organizer: str = OULU,
           kind: str = "municipal", producer_id: str = "PAJA-1", producer_municipality: str = "564",
           planned_end: DayLike | None = None, days: int | None = None, hours: int | None = None,
           **kw: Any) -> dict[str, Any]:
    return event("contract.signed", {
        "contract_id": contract, "service": service, "organizer": organizer,
        "producer": producer(kind, producer_id, producer_municipality), "start_date": _s(start),
        "planned_end_date": _s(planned_end), "days_per_week": days, "hours_per_day": hours,
    }, **kw)


def amended(contract: str, on: DayLike, *, planned_end: DayLike | None = None,
            days: int | None = None, hours: int | None = None,
            new_producer: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    return event("contract.amended", {
        "contract_id": contract, "amended_on": _s(on), "planned_end_date": _s(planned_end),
        "days_per_week": days, "hours_per_day": hours, "producer": new_producer}, **kw)


def suspended(contract: str, on: DayLike, *, reason: str = "illness", **kw: Any
              ) -> dict[str, Any]:
    return event("contract.suspended",
                 {"contract_id": contract, "from_date": _s(on), "reason": reason}, **kw)


def resumed(contract: str, on: DayLike, **kw: Any) -> dict[str, Any]:
    return event("contract.resumed", {"contract_id": contract, "on_date": _s(on)}, **kw)


def ended(contract: str, last: DayLike, *, reason: str = "completed", **kw: Any
          ) -> dict[str, Any]:
    return event("contract.ended",
                 {"contract_id": contract, "end_date": _s(last), "reason": reason}, **kw)


def transferred(contract: str, on: DayLike, *, to: str = WBA, frm: str = OULU, **kw: Any
                ) -> dict[str, Any]:
    return event("responsibility.transferred", {
        "contract_id": contract, "from_organizer": frm, "to_organizer": to,
        "effective_date": _s(on)}, **kw)


def assigned(worker: str, org: str, on: DayLike, **kw: Any) -> dict[str, Any]:
    return event("worker.assigned",
                 {"worker_id": worker, "organization": org, "on_date": _s(on)}, **kw)


def unassigned(worker: str, org: str, on: DayLike, **kw: Any) -> dict[str, Any]:
    return event("worker.unassigned",
                 {"worker_id": worker, "organization": org, "on_date": _s(on)}, **kw)


def attendance(contract: str, day: DayLike, present: bool = True, **kw: Any) -> dict[str, Any]:
    return event("attendance.recorded",
                 {"contract_id": contract, "date": _s(day), "present": present}, **kw)


def referral_made(referral: str, made_on: DayLike, *, target: str = "mental_health",
                  **kw: Any) -> dict[str, Any]:
    return event("referral.made",
                 {"referral_id": referral, "target": target, "made_on": _s(made_on)}, **kw)


def referral_started(referral: str, on: DayLike, **kw: Any) -> dict[str, Any]:
    return event("referral.started", {"referral_id": referral, "started_on": _s(on)}, **kw)


def referral_closed(referral: str, on: DayLike, *, outcome: str = "declined", **kw: Any
                    ) -> dict[str, Any]:
    return event("referral.closed",
                 {"referral_id": referral, "closed_on": _s(on), "outcome": outcome}, **kw)


# --- running the core in process -------------------------------------------------------------

@dataclass
class CoreResult:
    gaps: list[GapRow] = field(default_factory=list)
    contracts: list[ContractRow] = field(default_factory=list)
    handoffs: list[HandoffRow] = field(default_factory=list)
    violations: list[ViolationRow] = field(default_factory=list)
    issues: list[IssueRow] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)

    def of(self, gap_type: str) -> list[tuple[date, date | None, int]]:
        """(started_on, ended_on, length_days) of the gaps of one type, sorted."""
        return sorted((g.started_on, g.ended_on, g.length_days)
                      for g in self.gaps if g.gap_type == gap_type)


def line(e: dict[str, Any] | str) -> str:
    return e if isinstance(e, str) else json.dumps(e)


def states_of(events: Iterable[dict[str, Any] | str], key: bytes | None = KEY
              ) -> tuple[dict[str, ClientState], list[DeadLetter], int]:
    """Admit and apply events; returns (states, dead letters, latest effective ordinal)."""
    states: dict[str, ClientState] = {}
    dead: list[DeadLetter] = []
    latest = 0
    for n, e in enumerate(events, start=1):
        got = admit(line(e), f"test:{n}", key)
        if isinstance(got, DeadLetter):
            dead.append(got)
            continue
        state = states.setdefault(got.client, ClientState(got.client))
        apply(state, got)
        latest = max(latest, got.effective_date.toordinal())
    return states, dead, latest


def run_core(events: Iterable[dict[str, Any] | str], as_of: DayLike | None = None,
             rules: Rules | None = None) -> CoreResult:
    states, dead, latest = states_of(events)
    a = d(as_of) if as_of is not None else date.fromordinal(latest)
    out = CoreResult(dead=dead)
    for state in states.values():
        r = evaluate(state, a, rules or Rules())
        out.gaps += r.gaps
        out.contracts += r.contracts
        out.handoffs += r.handoffs
        out.violations += r.violations
        out.issues += r.issues
    for rows in (out.gaps, out.contracts, out.handoffs, out.violations, out.issues):
        rows.sort(key=lambda r: tuple((x is None, str(x)) for x in r))
    return out


# --- replaying into DuckDB --------------------------------------------------------------------

SECTION_5 = {
    "as_of": "as_of_date",
    "events": "event_id, event_type, occurred_at, effective_date, source, client_id, payload",
    "dead_letters": "raw, reason, origin",
    "contracts": "contract_id, client_id, service, organizer, producer_id, producer_kind, "
                 "municipality, start_date, last_day, end_reason",
    "continuity_gaps": "client_id, gap_type, subject_id, started_on, ended_on, length_days, "
                       "is_open",
    "handoff_status": "contract_id, client_id, service, municipality, producer_id, status, "
                      "transferred_on",
    "compliance_violations": "client_id, contract_id, violation_type, on_date",
    "data_issues": "event_id, issue",
}


# SPEC.md 4.1's handoff_status, with the handoff each row belongs to (kept apart from section 5's
# columns so that the tests written before 4.1 read the rows they always read)
HANDOFFS_41 = ("handoff_status_41", "handoff_status",
               "handoff, contract_id, client_id, service, municipality, producer_id, status, "
               "transferred_on")


def write_jsonl(path: Path, events: Sequence[dict[str, Any] | str]) -> Path:
    path.write_text("".join(line(e) + "\n" for e in events), encoding="utf-8")
    return path


# The relations the README adds to SPEC.md 5's, which every path must leave equal as well (a
# hunt found a clients row under the embedded ingest that replay does not make)
README_RELATIONS = (("clients", "clients", "*"), ("referrals", "referrals", "*"))


def read_relations(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every SPEC.md 5 relation, and the README's clients and referrals, as sorted rows (NULLs
    sort first)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        reads = [(name, name, cols) for name, cols in SECTION_5.items()] + [HANDOFFS_41,
                                                                            *README_RELATIONS]
        for name, table, cols in reads:
            rows = con.execute(f"SELECT {cols} FROM {table}").fetchall()
            out[name] = sorted(rows, key=lambda r: tuple((x is not None, str(x)) for x in r))
        return out
    finally:
        con.close()


def replay_db(tmp_path: Path, events: Sequence[dict[str, Any] | str],
              as_of: DayLike | None = None, rules: Rules | None = None,
              key: bytes | None = KEY, name: str = "events", **replay_kw: Any
              ) -> dict[str, list[tuple[Any, ...]]]:
    """Replay events (in the given order) into a fresh DuckDB file; return its relations.
    `replay_kw` goes to services.replay.replay (e.g. workers=2)."""
    from services.config import Settings  # imported here so core-only tests need no DuckDB
    from services.replay import replay

    src = write_jsonl(tmp_path / f"{name}.jsonl", events)
    db = tmp_path / f"{name}.duckdb"
    settings = Settings(pseudonym_key=key, rules=rules or Rules())
    replay(src, db, settings, d(as_of) if as_of is not None else None, **replay_kw)
    return read_relations(db)


def gaps_of(rel: dict[str, list[tuple[Any, ...]]], gap_type: str
            ) -> list[tuple[Any, ...]]:
    """(subject_id, started_on, ended_on, length_days, is_open) of one gap type."""
    return sorted(((r[2], r[3], r[4], r[5], r[6]) for r in rel["continuity_gaps"]
                   if r[1] == gap_type), key=lambda r: tuple(str(x) for x in r))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a running process has used so far (Linux /proc): the
    benchmarks' share of a core for the broker, a worker or the sink."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def script(relative: str, name: str) -> ModuleType:
    """A script of the repository (bench/replay.py, deploy/build_core.py), loaded by path:
    putting bench/ on sys.path would make its kafka.py shadow the kafka package for every
    test collected after."""
    path = Path(__file__).resolve().parent.parent / relative
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_apart(make: Callable[[], Awaitable[Any]]) -> Any:
    """A coroutine run to its end on a loop of its own in a thread of its own: a browser test
    in the same process may have left this thread's loop marked running, where asyncio.run
    refuses to start."""
    out: dict[str, Any] = {}

    def go() -> None:
        try:
            out["result"] = asyncio.run(make())  # type: ignore[arg-type]
        except BaseException as e:  # handed to the test's thread
            out["error"] = e

    t = threading.Thread(target=go)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out.get("result")


def dead_letters_once(make: Callable[[str | bytes, str, str], DeadLetter],
                      ) -> Callable[[str | bytes, str, str], DeadLetter]:
    """`make` (schemas.door.dead_letter: a pure function of the line, the reason and the
    origin) that makes each dead letter once: a dead letter's masking costs some 1.5 ms, and
    the tests that compare two paths through the door ask for the same ones twice."""
    letters: dict[tuple[str | bytes, str, str], DeadLetter] = {}

    def once(raw: str | bytes, reason: str, origin: str) -> DeadLetter:
        got = letters.get((raw, reason, origin))
        if got is None:
            got = letters[(raw, reason, origin)] = make(raw, reason, origin)
        return got

    return once


def same_load_fast_and_slow(lines: list[bytes]) -> tuple[dict[str, ClientState], Any,
                                                         dict[str, Any]]:
    """Load `lines` with replay's fast path and without it, assert that the client states,
    the counts, the dead letters written and the events as stored are the same, and return
    the fast load's states, counts and tables (Arrow, by relation name)."""
    import pyarrow as pa

    from services import loader

    def loaded(fast: bool) -> tuple[Any, ...]:
        tables: dict[str, list[pa.Table]] = {}
        states, counts = loader.load(list(enumerate(lines, 1)), "f", KEY,
                                     lambda n, t: tables.setdefault(n, []).append(t), fast)
        return states, counts, {k: pa.concat_tables(v) for k, v in tables.items()}

    # Both loads ask the door for the dead letters of the lines the fast path leaves: the
    # second load is handed the first one's (refused and dead_letter are pure functions of
    # the line, its reason and origin; the model's error follows from the line), so a dead
    # letter's masking (some 1.5 ms) is paid once. Which lines reach them is each load's own.
    refusals: dict[tuple[bytes, str], DeadLetter] = {}  # by line and origin

    def refused_once(line: bytes, error: Any, origin: str) -> DeadLetter:
        got = refusals.get((line, origin))
        if got is None:
            got = refusals[(line, origin)] = refused(line, error, origin)
        return got

    with mock.patch.object(loader, "refused", refused_once), \
            mock.patch.object(loader, "dead_letter", dead_letters_once(dead_letter)):
        fast, slow = loaded(True), loaded(False)
    assert fast[0] == slow[0] and vars(fast[1]) == vars(slow[1])
    assert fast[2]["dead_letters"].equals(slow[2]["dead_letters"])
    # the events as stored: the fast path hands payloads over cut out of their lines
    # (streams.core.loadloop.payload_text), the door every line whole
    assert stored_events(fast[2]["events"]) == stored_events(slow[2]["events"])
    return fast[0], fast[1], dict(fast[2])


def stored_events(events: Any) -> list[tuple[Any, ...]]:
    """The events relation's rows, in order, once the Arrow table `events`
    (analytics.columns.event_lines) is inserted, payloads as text."""
    from analytics.relations import EVENTS
    from analytics.store import Store

    store = Store(":memory:")
    try:
        store.begin_rebuild()
        store.insert_events(events)
        rows = store.con.execute(f"SELECT {', '.join(EVENTS.names)} FROM events").fetchall()
    finally:
        store.close()
    assert len(rows) == len(events)
    return rows
