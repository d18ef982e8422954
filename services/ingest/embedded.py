"""The live embedded mode: one process is the one writer of a DuckDB file. Every valid version
of every event is kept in `event_log`; the relations are those of replay (SPEC.md 5) for the
as-of date, updated for the clients each batch touches, with the same door and pure core.

A batch is one transaction: its log rows, events, dead letters and the touched clients' rows
commit together or not at all, and the caller answers only after the commit, so an event
answered `accepted` survives `kill -9` (DuckDB's write-ahead log). A restart reads the log back
through the door and the ledger (SPEC.md 1.4 is order-independent) and rewrites every derived
relation, so the file is again what replay of the same events gives."""

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from analytics import columns, cube_store
from analytics.relations import DERIVED
from analytics.store import Store
from schemas.door import DeadLetter, admit, dead_letter
from schemas.errors import UsageError
from schemas.events import Event
from services.config import Settings
from services.ingest.ledger import Ledger, Verdict
from streams.core import ClientState, evaluate
from streams.core.event_ids import CONFLICT, Version, passed_on, version_of
from streams.core.horizon import next_change
from streams.core.results import ClientResult, IssueRow
from streams.core.state import add_fact, holds_nothing, rank_of, retract

LOG_DDL = """CREATE TABLE IF NOT EXISTS event_log (
    seq BIGINT NOT NULL, event_id VARCHAR NOT NULL, client_id VARCHAR NOT NULL,
    line VARCHAR NOT NULL)"""
CLIENT_KEYED = tuple(r for r in DERIVED if r != "as_of")


@dataclass(frozen=True)
class Item:
    raw: bytes
    origin: str
    source: str | None = None  # the token's source; the event's must equal it


@dataclass(frozen=True)
class Answer:
    status: str  # accepted, duplicate, dead_letter
    event_id: str | None = None
    reason: str | None = None
    issue: str | None = None  # conflicting_event_id: kept, listed in data_issues, not taken


class Embedded:
    def __init__(self, path: Path, settings: Settings, today: Callable[[], date]) -> None:
        self.settings, self.today = settings, today
        self.store = Store(path)
        self.con = self.store.con
        self.lock = threading.Lock()  # one batch at a time: the ledger and states are shared
        self.ledger = Ledger()
        self.states: dict[str, ClientState] = {}
        # client -> the next day its rows can change by more than open gaps growing
        # (streams.core.horizon): the daily move re-evaluates only the clients due.
        self.next_change: dict[str, int] = {}
        self.as_of = today()
        self.seq = 0
        self.dead_letters = 0  # written since start: they change the data as events do
        # event id -> hash of the text of its first version, or None once another text came
        # under the id: the events relation then holds the canonical text of the version
        # taken, as replay's does (services/resolve.py), whatever the order of the texts
        self.texts: dict[str, int | None] = {}

    # --- start and the daily move ------------------------------------------------------------

    def open(self) -> int:
        """Create the relations if the file has none, else rebuild the state from the log and
        rewrite every derived relation. Returns the number of events in the log."""
        with self.lock:
            tables = {r[0] for r in self.con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()}
            if "event_log" not in tables and self._written_elsewhere(tables):
                raise UsageError(
                    f"--db {self.store.path} holds relations that replay or the sink wrote, "
                    "and no event log of its own: serve --ingest keeps every event it takes "
                    "in its log and rewrites the relations from it, so they would be emptied. "
                    "Give --ingest a new file, or serve this one without --ingest")
            self.con.begin()
            if "event_log" not in tables:
                self.store.begin_rebuild(transaction=False)
                self.con.execute(LOG_DDL)
            taken = self._load_log()
            self.con.execute("DELETE FROM events")
            _events_table(self.store, taken.values())
            self._rewrite_all()
            cube_store.invalidate(self.con)  # the snapshot stores it again
            self.con.commit()
            return self.seq

    def _written_elsewhere(self, tables: set[str]) -> bool:
        """Whether a file without an event log holds events or dead letters: a file replay or
        the sink wrote. Opened as the ingest's, its relations were rewritten from an empty log
        without a word (a hunt, 2026-12-06: 78 gap rows gone)."""
        return any(self.con.execute(f"SELECT count(*) > 0 FROM {t}").fetchone() == (True,)
                   for t in ("events", "dead_letters") if t in tables)

    def _load_log(self) -> dict[str, tuple[Event, bytes]]:
        """Ledger and states from the stored log; the taken version's event and line by id."""
        self.ledger, self.states, self.seq, self.texts = Ledger(), {}, 0, {}
        taken: dict[str, tuple[Event, bytes]] = {}
        for seq, line in self.con.execute("SELECT seq, line FROM event_log ORDER BY seq"
                                          ).fetchall():
            raw = line.encode()
            event = admit(raw, "event_log", self.settings.pseudonym_key)
            assert not isinstance(event, DeadLetter), "the log holds only valid events"
            self._note(event.event_id, raw)
            if self._see(event, orjson.loads(raw))[0] is Verdict.TAKEN:
                taken[event.event_id] = (event, raw)
            self.seq = seq
        for event_id in [i for i in taken if self.texts[i] is None]:
            taken[event_id] = self._canonical(event_id)
        return taken

    def _note(self, event_id: str, line: bytes) -> bool:
        """Note the text of a version; whether it is the first other text under its id."""
        h = hash(line)
        first = self.texts.setdefault(event_id, h)
        if first is None or first == h:
            return False
        self.texts[event_id] = None
        return True

    def _canonical(self, event_id: str) -> tuple[Event, bytes]:
        """The version taken under an id, as its canonical text (valid: the door's output)."""
        text = self.ledger.taken[event_id].canonical.encode()
        event = admit(text, "event_log", self.settings.pseudonym_key)
        assert not isinstance(event, DeadLetter), "a canonical text is a valid event"
        return event, text

    def move_as_of(self, day: date) -> int:
        """Move the as-of date and the relations with it; returns how many clients were
        evaluated again. Forward (the daily move), only the clients whose next breakpoint has
        come are; every other client's open gaps are older by the days that passed, which one
        UPDATE says. Backward, everything is rewritten."""
        with self.lock:
            later = day.toordinal() - self.as_of.toordinal()
            self.as_of = day
            self.con.begin()
            if later < 0:
                self._rewrite_all()
                due = len(self.next_change)
            elif later > 0:
                self.store.set_as_of(day)
                self.con.execute("UPDATE gap_rows SET length_days = length_days + ? "
                                 "WHERE ended_on IS NULL", [later])
                a = day.toordinal()
                clients = {c for c, nxt in self.next_change.items() if nxt <= a}
                clients |= {v.client for vs in self.ledger.losers.values() for v in vs.values()
                            if v.client not in self.states}
                self._rewrite(clients)
                due = len(clients)
            else:
                due = 0
            cube_store.invalidate(self.con)  # in the move's transaction
            self.con.commit()
            return due

    def _rewrite_all(self) -> None:
        self.store.set_as_of(self.as_of)
        for relation in CLIENT_KEYED:
            self.con.execute(f"DELETE FROM {relation}")
        self.next_change = {}
        clients = set(self.states) | {v.client for vs in self.ledger.losers.values()
                                      for v in vs.values()}
        self.store.insert_tables(columns.result_tables(self._results(clients)))

    # --- a batch -----------------------------------------------------------------------------

    def take(self, items: Sequence[Item]) -> list[Answer]:
        """Take a batch in one transaction; the answers say exactly what was stored."""
        with self.lock:
            try:
                self.con.begin()
                answers = self._take(items)
                # the relations changed: so does the stored published cube, in the same
                # transaction (the dashboard's snapshot stores it again, services/web/live.py)
                cube_store.invalidate(self.con)
                self.con.commit()
                return answers
            except BaseException:
                self.store.rollback_quietly()
                # Nothing of the batch was stored: the memory is read back from the file.
                self._load_log()
                raise

    def _take(self, items: Sequence[Item]) -> list[Answer]:
        key = self.settings.pseudonym_key
        answers: list[Answer] = []
        touched: set[str] = set()
        taken: dict[str, tuple[Event, bytes]] = {}  # event id -> its version taken now
        replaced: set[str] = set()  # ids whose earlier taken version lost to one taken now
        retext: set[str] = set()  # ids whose first other text came now (see self.texts)
        dead: list[tuple[str, str, str]] = []
        log: list[tuple[int, str, str, str]] = []
        for item in items:
            got = admit(item.raw, item.origin, key)
            if not isinstance(got, DeadLetter) and item.source is not None \
                    and got.source != item.source:
                got = dead_letter(item.raw, f"source: must be {item.source!r}, the source "
                                  "system of the token", item.origin)
            if isinstance(got, DeadLetter):
                dead.append((got.raw, got.reason, got.origin))
                answers.append(Answer("dead_letter", None, got.reason))
                continue
            obj = orjson.loads(item.raw)
            # what replay stores: the line, or, if it carried a code, the door's object (the
            # code replaced by the pseudonym, nothing else changed: event_ids.passed_on)
            line = passed_on(got, item.raw) if "client_hetu" in obj else item.raw.strip()
            if self._note(got.event_id, line):
                retext.add(got.event_id)
            verdict, dethroned = self._see(got, obj)
            if verdict is Verdict.DUPLICATE:
                answers.append(Answer("duplicate", got.event_id))
                if got.event_id not in retext:
                    continue
                # logged all the same, though not taken: a restart must see the other text
                self.seq += 1
                log.append((self.seq, got.event_id, got.client, line.decode()))
                continue
            self.seq += 1
            log.append((self.seq, got.event_id, got.client, line.decode()))
            touched.add(got.client)
            if dethroned is not None:
                touched.add(dethroned.client)
                replaced.add(got.event_id)
            if verdict is Verdict.TAKEN:
                taken[got.event_id] = (got, line)
            issue = CONFLICT if verdict is Verdict.LOSER else None
            answers.append(Answer("accepted", got.event_id, None, issue))
        if log:  # an Arrow batch: executemany costs a millisecond a row
            seqs, ids, clients, lines = zip(*log, strict=True)
            self.store.insert("event_log", pa.table({
                "seq": pa.array(seqs, pa.int64()), "event_id": pa.array(ids, pa.string()),
                "client_id": pa.array(clients, pa.string()),
                "line": pa.array(lines, pa.string())}))
        if dead:
            self.store.insert_rows(columns.DEAD_LETTERS, dead)
            self.dead_letters += len(dead)
        for event_id in retext | {i for i in taken if self.texts[i] is None}:
            taken[event_id] = self._canonical(event_id)
            replaced.add(event_id)
        if replaced:  # only a version that beat a taken one has a row to replace (rare)
            self.con.execute("DELETE FROM events WHERE event_id IN (SELECT unnest(?))",
                             [sorted(replaced)])
        if taken:
            _events_table(self.store, taken.values())
        self._rewrite(touched)
        return answers

    def _see(self, event: Event, obj: dict[str, Any]) -> tuple[Verdict, Version | None]:
        client = event.client
        verdict, dethroned = self.ledger.see(event.event_id, version_of(event, obj))
        if dethroned is not None:
            old = self.states.get(dethroned.client)
            if old is not None:
                retract(old, event.event_id)
                if holds_nothing(old):  # nothing left of that client
                    del self.states[dethroned.client]
        if verdict is Verdict.TAKEN:
            state = self.states.get(client)
            if state is None:
                state = self.states[client] = ClientState(client)
            add_fact(state, event, rank_of(event))
        return verdict, dethroned

    def _rewrite(self, clients: set[str]) -> None:
        """The derived rows of the touched clients, replaced."""
        if not clients:
            return
        ids = sorted(clients)
        for relation in CLIENT_KEYED:
            self.con.execute(f"DELETE FROM {relation} WHERE client_id IN (SELECT unnest(?))",
                             [ids])
        self.store.insert_tables(columns.result_tables(self._results(ids)))

    def _results(self, clients: Iterable[str]) -> list[ClientResult]:
        out = []
        for client in sorted(clients):
            state = self.states.get(client)
            issues = [IssueRow(eid, client, CONFLICT) for eid in self.ledger.losers_of(client)]
            if state is not None:
                r = evaluate(state, self.as_of, self.settings.rules)
                self.next_change[client] = next_change(state, self.as_of.toordinal(),
                                                       self.settings.rules)
            elif issues:  # a client known only by versions that lost
                self.next_change.pop(client, None)
                r = ClientResult(client, listed=False)
            else:
                self.next_change.pop(client, None)
                continue
            r.issues = sorted(r.issues + issues)
            out.append(r)
        return out

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def close(self) -> None:
        self.store.close()


def _events_table(store: Store, taken: Iterable[tuple[Event, bytes]]) -> None:
    """Insert the taken versions into the events relation, as replay's loader does."""
    ids: list[str] = []
    types: list[str] = []
    times: list[int] = []
    days: list[int] = []
    sources: list[str] = []
    clients: list[str] = []
    raws: list[bytes] = []
    for event, line in taken:
        ids.append(event.event_id)
        types.append(event.event_type)
        times.append(rank_of(event)[0])
        days.append(event.effective_date.toordinal())
        sources.append(event.source)
        clients.append(event.client)
        raws.append(line)
    store.insert_events(columns.event_lines(ids, types, times, days, sources, clients, raws,
                                            canonical=True))
