"""The one DuckDB writer. It owns the file, creates the relations, and appends in Arrow batches
inside a transaction, so a failed run leaves the file as it was."""

import contextlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from analytics import relations as rel
from analytics.relations import create_all
from schemas.errors import StoreError
from schemas.reference import municipalities

# Rows per transaction of a rebuild's appends. DuckDB writes the row groups of a big transaction
# straight to the file; small autocommitted inserts go through the write-ahead log and its
# checkpoints as well, which measured twice the CPU. One transaction for a whole national file
# would hold too much in memory, hence batches.
TX_ROWS = 200_000


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except (duckdb.IOException, duckdb.Error) as e:
        raise StoreError(
            f"cannot open the DuckDB file {path}: {e}. Check the path, and that no other "
            "jatkumo process (replay, sink) is writing it."
        ) from e


class Store:
    def __init__(self, path: str | Path, memory_limit: str | None = None) -> None:
        self.path = Path(path)
        self.con = connect(path)
        self._tx_rows: int | None = None  # rows in the open append transaction, if any
        if memory_limit:
            # Without a limit DuckDB keeps a whole replay's transaction in memory (6 GiB on the
            # national file); with one it writes row groups to the file and spills the rest.
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
            self.con.execute("SET preserve_insertion_order = false")

    def insert(self, relation: str, tbl: pa.Table) -> None:
        if tbl.num_rows:
            self.con.register("_batch", tbl)
            # by name: a column's position in a batch never matters
            self.con.execute(f"INSERT INTO {relation} BY NAME SELECT * FROM _batch")
            self.con.unregister("_batch")

    def insert_events(self, tbl: pa.Table, only_new: bool = False) -> None:
        """Append valid, pseudonymised events (columns.event_lines). A row's payload is its
        text as given, else DuckDB cuts it out of the event's JSON line (vectorised) instead
        of Python re-serialising it.
        `only_new`: skip events whose event_id is there already (the live sink, which may
        be given an event again)."""
        if not tbl.num_rows:
            return
        _batch = tbl  # read by name below (DuckDB's replacement scan: no view to register
        # and drop, 0.5 ms a statement, which the live sink pays on every write)
        self.con.execute(f"""
            INSERT INTO events BY NAME
            SELECT event_id, event_type, occurred_at, effective_date, source, client_id,
                   coalesce(payload::JSON, json_extract(line, '$.payload')) AS payload
            FROM _batch b
            {"WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = b.event_id)"
             if only_new else ""}""").fetchall()

    def latest_effective_date(self) -> date | None:
        row = self.con.execute("SELECT max(effective_date) FROM events").fetchone()
        return None if row is None else row[0]

    def insert_rows(self, relation: rel.Relation, rows: Sequence[Any]) -> None:
        """Rows whose values are in the relation's declared column order."""
        self.insert(relation.name, relation.table(rows))

    def begin_rebuild(self, transaction: bool = True) -> None:
        """Drop and create every relation; by default inside a transaction the caller commits
        (without one, every later insert commits on its own)."""
        if transaction:
            self.con.begin()
        create_all(self.con)
        self.insert_rows(rel.MUNICIPALITIES, [
            (m.code, m.name_fi, m.name_sv, m.region_code, m.region_name_fi, m.internal_area,
             m.population) for m in municipalities().values()])

    def set_as_of(self, as_of: date) -> None:
        self.con.execute("DELETE FROM as_of")
        self.con.execute("INSERT INTO as_of VALUES (?)", [as_of])

    def insert_tables(self, tables: dict[str, pa.Table]) -> None:
        for relation, tbl in tables.items():
            if relation == "events":
                self.insert_events(tbl)
            else:
                self.insert(relation, tbl)

    def append(self, tables: dict[str, pa.Table]) -> None:
        """insert_tables in transactions of about TX_ROWS rows (see there); `commit_appends`
        ends the last one. For a rebuild that began without a transaction of its own."""
        if self._tx_rows is None:
            self.con.begin()
            self._tx_rows = 0
        self.insert_tables(tables)
        self._tx_rows += sum(t.num_rows for t in tables.values())
        if self._tx_rows >= TX_ROWS:
            self.commit_appends()

    def commit_appends(self) -> None:
        if self._tx_rows is not None:
            self._tx_rows = None
            self.con.commit()

    def checkpoint(self) -> None:
        self.commit_appends()
        self.con.execute("CHECKPOINT")

    def commit(self) -> None:
        self.con.commit()

    def rollback_quietly(self) -> None:
        # Called while another error propagates; that error is the one worth reporting.
        with contextlib.suppress(duckdb.Error):
            self.con.rollback()

    def close(self) -> None:
        self.con.close()  # closing twice is harmless
