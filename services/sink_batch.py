"""What the sink collects from one poll window (Batch) and how it lands in DuckDB (Writer):
one transaction per batch, holding the rows and the offsets that produced them."""

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from analytics import cube_store
from analytics import relations as rel
from analytics.columns import event_lines
from analytics.store import Store
from schemas.door import DeadLetter, admitted, dead_letter
from services import sink_ids
from streams import topics
from streams.core.state import rank_of

log = logging.getLogger("jatkumo.sink")
EPOCH = date(1970, 1, 1)
CHECKPOINT_LIMIT = "64MB"  # DuckDB checkpoints in a commit past this much WAL
IDLE_CHECKPOINT_BYTES = 1 << 20  # an idle sink checkpoints a WAL of at least this much
# A batch of at most this many clients the file has deletes their rows by a list of values,
# which DuckDB looks up in the index on client_id (`Writer.__init__`); a larger one by a join
# with the batch, a scan of each relation. On a file of the national decade (bench/sink.py),
# the DELETEs of 10 clients took 10.6 ms by the list against 41 by the join; of 200, 54
# against 65; of 1,000, 184 against 66 (a lookup each).
LOOKUP_CLIENTS = 128



def _header(record: Any, name: str) -> str | None:
    for k, v in record.headers or ():
        if k == name and v is not None:
            return bytes(v).decode("utf-8", errors="replace")
    return None


MAX_DAY = (date.max - EPOCH).days  # the last as_of a snapshot can name


class Unwritable(ValueError):
    """A client's snapshot that cannot become rows (its reason is the message)."""


def snapshot_problem(doc: Any) -> str | None:
    """Why a client result cannot be written as it is, or None. The worker writes these
    (topics.result_message), but the sink takes nothing on trust: a record of another shape
    failed the whole batch's transaction, and the sink stopped on it at every restart. What
    the values are (types, NOT NULL) is Arrow's to find (result_tables)."""
    if not isinstance(doc, dict):
        return "not a JSON object"
    client = doc.get("client_id")
    if not isinstance(client, str) or not client:
        return "client_id is not a pseudonym"
    as_of = doc.get("as_of")
    if type(as_of) is not int or not 0 <= as_of <= MAX_DAY:
        return "as_of is not a day"
    rows = doc.get("rows")
    if not isinstance(rows, dict):
        return "rows is not an object"
    for name, relation in topics.RESULT_RELATIONS.items():
        got = rows.get(name, [])
        if not isinstance(got, list):
            return f"rows of {name} are not a list"
        width, at = len(relation.columns), relation.names.index("client_id")
        for row in got:
            if not isinstance(row, list) or len(row) != width:
                return f"a row of {name} has not its {width} columns"
            if row[at] != client:
                return f"a row of {name} is another client's"
    return None


def result_tables(docs: Iterable[Any]) -> dict[str, pa.Table]:
    """The rows of these snapshots, an Arrow table per result relation; Unwritable when a
    value is not of its column's type or a NOT NULL column has a null."""
    rows: dict[str, list[Any]] = {name: [] for name in topics.RESULT_RELATIONS}
    for doc in docs:
        for name, relation_rows in doc["rows"].items():
            if name in rows:
                rows[name] += relation_rows
    out = {}
    for name, relation in topics.RESULT_RELATIONS.items():
        try:
            tbl = relation.table(rows[name])
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as e:
            raise Unwritable(f"a value of {name} is not of its column's type ({e})") from e
        for column in relation.columns:
            if not column.nullable and tbl.column(column.name).null_count:
                raise Unwritable(f"{name}.{column.name} is null")
        out[name] = tbl
    return out


class Batch:
    def __init__(self, key: bytes | None) -> None:
        self.key = key
        # event_id -> (event_id, event_type, occurred_us, effective_day, source, client, line):
        # the version the id stage took last (SPEC.md 1.4); DuckDB cuts the payload out of
        # the line, as in replay
        self.events: dict[str, tuple[str, str, int, int, str, str, bytes]] = {}
        # the event ids of `events` the file may have a row of: all but those whose record
        # is the id's first ever (streams.tables.pack_id), which need no DELETE
        self.again: set[str] = set()
        self.dead: dict[str, tuple[str, str, str]] = {}  # origin -> row
        self.results: dict[str, Any] = {}  # client -> its latest snapshot
        self.as_of: int | None = None  # the latest as-of date the worker sent alone
        self.origins: dict[str, tuple[bytes, str]] = {}  # client -> that record, its origin
        self.offsets: dict[tuple[str, int], int] = {}
        self.size = 0

    def add(self, topic: str, partition: int, records: list[Any]) -> None:
        """One partition's records of a fetch, in offset order."""
        if not records:
            return
        self.size += len(records)
        self.offsets[(topic, partition)] = records[-1].offset + 1
        if topic == topics.EVENT_IDS_CHANGELOG:
            self._events(records)
        elif topic == topics.CLIENT_RESULTS:
            for record in records:
                origin = f"{topic}/{partition}/{record.offset}"
                try:
                    doc = orjson.loads(record.value or b"")
                except orjson.JSONDecodeError:
                    self.refuse(record.value or b"", "not JSON", origin)
                    continue
                if record.key == topics.AS_OF_KEY:  # topics.as_of_message
                    day = doc.get("as_of") if isinstance(doc, dict) else None
                    if type(day) is not int or not 0 <= day <= MAX_DAY or len(doc) != 1:
                        self.refuse(record.value, "as_of is not a day", origin)
                    else:
                        self.as_of = max(day, self.as_of or 0)
                    continue
                problem = snapshot_problem(doc)
                if problem is not None:
                    self.refuse(record.value, problem, origin)
                    continue
                self.results[doc["client_id"]] = doc
                self.origins[doc["client_id"]] = (record.value, origin)
        elif topic == topics.DEAD_LETTERS:
            for record in records:
                origin = _header(record, "origin") or f"{topic}/{partition}/{record.offset}"
                # masked again: the worker masks what it sends, but whoever else can write
                # the topic must not put an identity code into the file through it
                self._dead(dead_letter(record.value or b"",
                                       _header(record, "reason") or "unknown", origin))

    def refuse(self, raw: bytes, problem: str, origin: str) -> None:
        """A client result that cannot be written: a dead letter (identity codes masked, as
        every dead letter's), so that it is seen and nothing stops the sink."""
        d = dead_letter(raw, f"client result: {problem}; the client's rows are as they were",
                        origin)
        log.warning("a client result at %s cannot be written: %s", origin, d.reason)  # masked
        self._dead(d)

    def _dead(self, d: DeadLetter) -> None:
        """A dead letter of the batch, once per origin."""
        self.dead.setdefault(d.origin, (d.raw, d.reason, d.origin))

    def writable_results(self) -> dict[str, pa.Table]:
        """The Arrow tables of the batch's snapshots. A snapshot whose values cannot be
        written goes to the dead letters, and the rest are written: the look per snapshot
        costs only when the batch's tables cannot be made."""
        try:
            return result_tables(self.results.values())
        except Unwritable:
            pass
        for client, doc in list(self.results.items()):
            try:
                result_tables([doc])
            except Unwritable as e:
                del self.results[client]
                raw, origin = self.origins[client]
                self.refuse(raw, str(e), origin)
        return result_tables(self.results.values())

    def _events(self, records: list[Any]) -> None:
        """Records of the id stage's table changelog: per event id, the version taken so far
        (a later record of an id, in the same partition, replaces an earlier one). Its
        columns come with it ("m", as the worker's door read them); an entry written before
        they did goes through the door again."""
        events, key = self.events, self.key
        for record in records:
            try:
                doc = orjson.loads(record.value)
                text: str = doc["x"]
                meta = doc.get("m")
                if meta is not None:
                    eid, kind, day, source = meta
                    events[eid] = (eid, kind, doc["t"], day, source, doc["c"], text.encode())
                    # a later record of the id comes after it, never before; anything but
                    # the integer 1 (true, 1.0, "1") takes the safe path and looks for the row
                    if type(doc.get("n")) is int and doc["n"] == 1:
                        self.again.discard(eid)
                    else:
                        self.again.add(eid)
                    continue
                line = text.encode()
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError):
                log.warning("skipped an unreadable event id record at offset %d", record.offset)
                continue
            event = admitted(line, key)  # the door's canonical text: valid, no identity code
            if event is None:
                continue
            events[event.event_id] = (
                event.event_id, event.event_type, rank_of(event)[0],
                event.effective_date.toordinal(), event.source, event.client, line)
            self.again.add(event.event_id)


class Writer:
    def __init__(self, db: Path) -> None:
        self.store = Store(db)
        self.con = self.store.con
        # DuckDB checkpoints inside the commit that takes the WAL past its threshold (16 MB
        # by default): that batch stalled (126 ms against a median of 20 in a run of 600
        # batches), and with it every row behind it. The sink checkpoints when it is idle
        # instead (checkpoint_if_idle); the threshold stays as the bound of a sink that is
        # never idle (what the WAL holds is in memory too, and replayed after a crash).
        self.con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_LIMIT}'")
        tables = {r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        if "kafka_offsets" not in tables:  # a new file: create the relations once
            self.store.begin_rebuild()
            self.con.execute(rel.KAFKA_OFFSETS.ddl())
            self.store.commit()
            tables = {r[0] for r in self.con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()}
        # The live DELETEs find a known client's rows through an index (LOOKUP_CLIENTS): a scan
        # of each relation grew with the file, 41 ms of a batch of 10 clients on a national
        # one. Made here, not by `replay`'s rebuild: that pays for an index per row and reads
        # none. About 0.6 s on a national file that has none yet (one an older sink wrote).
        # The cost: a checkpoint writes the index too (on a national file, after batches of
        # 1,000 clients: 49-70 ms against 8-17), and the sink checkpoints when idle; a
        # commit some 5 ms longer. The file is some 36 MB larger, DuckDB 37 MB more in memory.
        # A relation the file lacks (an older sink's file) is left to fail where it is
        # written, as before.
        for relation in (r for r in rel.RESULTS if r.name in tables):
            self.con.execute(f"CREATE INDEX IF NOT EXISTS {relation.name}_by_client ON "
                             f"{relation.name} (client_id)")
        # Every client the file has rows of (this writer is the file's only one). A client
        # not in it has nothing to replace: its snapshot is inserted without the DELETEs,
        # each a scan of a whole relation that finds nothing (a batch of 90 new clients cost
        # 38 ms instead of 14 on a file of 60,000 clients). About 60 bytes a client. Read
        # from every result relation, not `clients` alone, so that a file whose snapshots
        # lacked a relation's rows (written by hand, or by an older worker) is never taken
        # for one without the client.
        self.known: set[str] = set()
        have = [r.name for r in rel.RESULTS if r.name in tables]
        if have:
            rows = self.con.execute(" UNION ".join(f"SELECT client_id FROM {name}"
                                                    for name in have)).fetchall()
            self.known = {client for (client,) in rows}
        # What the file holds besides, kept here as it is committed: each was a statement of
        # every write (some 1 ms each of a write's 17 on a quiet machine, two to three times
        # that under load). This writer is the file's only one; each is set after a commit.
        self.partitions = set(self.offsets())  # the (topic, partition) rows of kafka_offsets
        got = self.con.execute("SELECT max(as_of_date) FROM as_of").fetchall()
        self.as_of: date | None = got[0][0] if got else None
        self.cube = cube_store.Invalidation(self.con)
        self.seen = sink_ids.SeenIds(self.con)  # the event ids the file has rows of

    def _again(self, batch: Batch, tbl: pa.Table, hashed: Any) -> list[str]:
        """The batch's event ids whose row the file may have: those not marked as their id's
        first, and those so marked whose hash the file has (services.sink_ids)."""
        maybe = self.seen.have(hashed)
        if not maybe.any():  # the usual batch
            return sorted(batch.again)
        again = set(batch.again)
        wrong = [eid for eid in pc.filter(tbl.column("event_id"), pa.array(maybe)).to_pylist()
                 if eid not in again]
        if wrong:
            log.warning("%d event ids marked as their first record may have a row already: "
                        "looked for", len(wrong))
            again.update(wrong)
        return sorted(again)

    def offsets(self) -> dict[tuple[str, int], int]:
        rows = self.con.execute("SELECT topic, partition, next_offset FROM kafka_offsets")
        return {(t, p): o for t, p, o in rows.fetchall()}

    def _over(self, sql: str, tbl: pa.Table) -> None:
        """Run `sql`, which reads the Arrow table as `_batch`, unless the table is empty:
        DuckDB's replacement scan finds it among this frame's variables. register/unregister
        made and dropped a view in the catalog each time, 0.5 ms of each statement."""
        if tbl.num_rows:
            _batch = tbl  # read by name in `sql`
            self.con.execute(sql).fetchall()  # DuckDB 2 wants each result finished

    def write(self, batch: Batch) -> None:
        con = self.con
        tables = batch.writable_results()
        con.begin()
        try:
            if batch.results:
                self._replace_clients(batch, tables)
            if batch.events:  # once per event_id: the id stage's latest choice replaces
                tbl = event_lines(*zip(*batch.events.values(), strict=True))
                hashed = sink_ids.hashes(con, tbl.select(["event_id"]))
                # a scan of the whole relation: only for ids whose row may be there
                self._over("DELETE FROM events WHERE event_id IN (SELECT event_id FROM _batch)",
                           pa.table({"event_id": pa.array(self._again(batch, tbl, hashed),
                                                          pa.string())}))
                self.store.insert_events(tbl)
            self._over("INSERT INTO dead_letters BY NAME SELECT * FROM _batch b WHERE NOT "
                         "EXISTS (SELECT 1 FROM dead_letters d WHERE d.origin = b.origin)",
                         rel.DEAD_LETTERS.table(list(batch.dead.values())))
            # the relations changed: the stored published cube goes in the same transaction
            # (the live snapshot stores it again; a build per batch would throttle the sink)
            self.cube.invalidate()
            self._offsets(batch.offsets)
            as_of = self._as_of(batch)
            con.commit()
        except BaseException:
            self.store.rollback_quietly()
            self.cube.rolled_back()
            raise
        # committed: the file has these clients' rows, events, offsets and as-of date now
        self.known.update(batch.results)
        if batch.events:
            self.seen.add(hashed)
        self.partitions.update(batch.offsets)
        self.as_of = as_of

    def _offsets(self, offsets: dict[tuple[str, int], int]) -> None:
        """The batch's offsets: an UPDATE of the partitions the file has a row of and an
        INSERT of the others, a statement each (executemany ran one per partition: some 30
        of a live batch's 10 to 40 ms under load). INSERT OR REPLACE deleted and inserted
        each row through the key's index: 3.4-4.2 ms for 18 partitions against 2.1-2.2 for
        the UPDATE."""
        old = [(t, p, o) for (t, p), o in offsets.items() if (t, p) in self.partitions]
        new = [(t, p, o) for (t, p), o in offsets.items() if (t, p) not in self.partitions]
        self._over("UPDATE kafka_offsets k SET next_offset = b.next_offset FROM _batch b "
                   "WHERE k.topic = b.topic AND k.partition = b.partition",
                   rel.KAFKA_OFFSETS.table(old))
        self._over("INSERT INTO kafka_offsets BY NAME SELECT * FROM _batch",
                   rel.KAFKA_OFFSETS.table(new))

    def _as_of(self, batch: Batch) -> date | None:
        """Move the as-of relation to the latest date any client of the batch was evaluated
        on or the worker sent alone, if later than the file's; the file's as-of date after
        this."""
        days = [doc["as_of"] for doc in batch.results.values()]
        if batch.as_of is not None:
            days.append(batch.as_of)
        if not days:
            return self.as_of
        new = EPOCH + timedelta(days=max(days))
        if self.as_of is not None and new <= self.as_of:
            return self.as_of
        self.con.execute("DELETE FROM as_of").fetchall()
        self.con.execute("INSERT INTO as_of VALUES (?)", [new]).fetchall()
        return new

    def _replace_clients(self, batch: Batch, tables: dict[str, pa.Table]) -> None:
        """A client's rows are replaced as a whole by its latest snapshot (its rows in
        `tables`): order and repetition of snapshots do not matter."""
        # only clients the file has: a new one has no rows to delete (see __init__)
        known = [c for c in batch.results if c in self.known]
        joined = len(known) > LOOKUP_CLIENTS
        if joined:
            old = pa.table({"client_id": pa.array(known, type=pa.string())})
        listed = ", ".join("?" * len(known))  # placeholders: the ids are values, never SQL
        for name in topics.RESULT_RELATIONS:
            if joined:
                self._over(f"DELETE FROM {name} WHERE client_id IN "
                           "(SELECT client_id FROM _batch)", old)
            elif known:
                self.con.execute(f"DELETE FROM {name} WHERE client_id IN ({listed})",
                                 known).fetchall()
            self._over(f"INSERT INTO {name} BY NAME SELECT * FROM _batch", tables[name])

    def checkpoint_if_idle(self) -> bool:
        """For a sink with nothing to write: move the WAL into the file now, while no row
        waits for it, unless the WAL is small (a trickle of events need not checkpoint
        after every batch). Whether it did."""
        try:
            wal = Path(f"{self.store.path}.wal").stat().st_size
        except FileNotFoundError:
            return False
        if wal < IDLE_CHECKPOINT_BYTES:
            return False
        try:
            self.con.execute("CHECKPOINT")
        except duckdb.Error as e:  # only earlier than DuckDB would: never worth stopping for
            log.warning("no checkpoint while idle: %s", e)
            return False
        return True

    def close(self) -> None:
        """Store the published cube of the final relations (if the last batches changed
        them), so `jatkumo serve` on the file reads it; then close."""
        from services.web import published

        try:
            published.ensure_stored(self.con)
        except duckdb.Error as e:  # a sink stopping on a broken file: it is not needed
            log.warning("the published cube was not stored: %s", e)
        self.store.close()
