"""The published cube stored in the DuckDB file, beside the relations it was built from.

Building the cube the dashboard publishes to managers (services/web/published.py: the dash_*
cells summed and suppressed jointly, analytics/disclosure.py) costs about a second of CPU on a
national file, and every manager page waits for it. So the writer builds it once, in the same
transaction as the relations it reads, and stores it here (relations `published_cube` and
`published_cells`, declared in analytics/relations.py); the web only reads it.

Never stale, by two rules:
- every writer that changes the relations either stores the cube again or `invalidate`s it in
  the same transaction (replay at its end, the live snapshot before each copy; the sink's flush
  and the embedded ingest's commit and as-of move invalidate, and the snapshot stores it);
- the stored row names what it was built from (`built_from`: the as-of date and the row counts
  of the relations the cube reads, a cheap check at each read), the threshold k and the
  handoff configuration. A reader whose k or handoffs differ, or whose file no longer matches
  `built_from`, gets None and builds the cube itself.

This module only moves rows; what a cell means is the web's (services/web/published.py)."""

from collections.abc import Iterable
from typing import Any

import duckdb
import orjson

# What the cube reads, in a form cheap to recompute on every read (counts are table metadata
# scans: tens of milliseconds on a national file, where a content hash took most of a second).
BUILT_FROM = """SELECT concat_ws('|', (SELECT max(as_of_date) FROM as_of),
    (SELECT count(*) FROM gap_rows), (SELECT count(*) FROM contracts),
    (SELECT count(*) FROM clients), (SELECT count(*) FROM handoff_status),
    (SELECT count(*) FROM municipalities))"""
CELL_PARTS = 5  # kind and up to four key parts (published.py's keys have 4 or 5 elements)

Cells = dict[tuple[str, ...], str]


def built_from(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(BUILT_FROM).fetchone()
    return str(row[0]) if row else ""


# Cubes stored by this process (`write` calls, whether their transaction committed or not):
# what an Invalidation remembers holds only while this has not moved.
_stores = 0


def write(con: duckdb.DuckDBPyConnection, k: int, handoffs: str, layout: dict[str, Any],
          cells: Cells) -> None:
    """Replace the stored cube (the caller holds the transaction that changed the relations,
    or the writer's lock between two of them)."""
    global _stores
    _stores += 1
    _create_missing(con)
    invalidate(con)
    import pyarrow as pa  # the writers have it loaded already; the web's readers need not

    cols: list[list[str | None]] = [[] for _ in range(CELL_PARTS)]
    shown: list[str] = []
    for key, text in cells.items():
        if not 4 <= len(key) <= CELL_PARTS:
            raise ValueError(f"a published cell's key has {len(key)} parts: {key!r}")
        for i in range(CELL_PARTS):
            cols[i].append(str(key[i]) if i < len(key) else None)
        shown.append(text)
    names = ("kind", "key1", "key2", "key3", "key4")
    tbl = pa.table({**{n: pa.array(c, pa.string()) for n, c in zip(names, cols, strict=True)},
                    "shown": pa.array(shown, pa.string())})
    con.register("_cells", tbl)
    try:
        con.execute("INSERT INTO published_cells BY NAME SELECT * FROM _cells").fetchall()
    finally:
        con.unregister("_cells")
    con.execute("INSERT INTO published_cube (suppress_below, handoffs, built_from, layout) "
                "VALUES (?, ?, ?, ?)",
                [k, handoffs, built_from(con), orjson.dumps(layout).decode()]).fetchall()


def read(con: duckdb.DuckDBPyConnection, k: int, handoffs: str
         ) -> tuple[dict[str, Any], Cells] | None:
    """The stored cube's layout and cells, if one is stored for this k and handoffs and the
    file still holds what it was built from; else None (the caller builds it)."""
    try:
        rows = con.execute("SELECT built_from, layout FROM published_cube "
                           "WHERE suppress_below = ? AND handoffs = ?", [k, handoffs]
                           ).fetchall()
    except duckdb.CatalogException:  # a file written before the cube was stored
        return None
    if len(rows) != 1 or rows[0][0] != built_from(con):
        return None
    cells = cells_of(con.execute("SELECT kind, key1, key2, key3, key4, shown "
                                 "FROM published_cells").fetchall())
    layout: dict[str, Any] = orjson.loads(rows[0][1])
    return layout, cells


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name IN "
        "('published_cube', 'published_cells') AND schema_name = 'main'").fetchall()}


def _create_missing(con: duckdb.DuckDBPyConnection) -> None:
    """A file a live writer opened from before the stored cube (the sink, the embedded
    ingest keep their file) gets the two relations when it first stores one."""
    from analytics import relations as rel

    have = _tables(con)
    for relation in (rel.PUBLISHED_CUBE, rel.PUBLISHED_CELLS):
        if relation.name not in have:
            con.execute(relation.ddl())
            for comment in relation.comments():
                con.execute(comment)


def invalidate(con: duckdb.DuckDBPyConnection, tables: set[str] | None = None) -> None:
    """Forget the stored cube: for a writer that changes the relations and leaves the cube's
    rebuild to later (the next snapshot, or the web). A file without the tables is left as
    it is. `tables`: which of the two the file has, if the caller knows."""
    for name in sorted(_tables(con) if tables is None else tables):
        con.execute(f"DELETE FROM {name}").fetchall()


class Invalidation:
    """`invalidate` for a writer that changes the relations many times a second (the live
    sink): the look for the tables and the two DELETEs cost some 1.8 ms of each write (of 17
    on a quiet machine), while the cube is stored again only now and then (the live
    snapshot, every few seconds; a closing writer). After an invalidation that committed,
    nothing is done until a cube is stored again in this process: only this process writes
    the file (DuckDB's lock), and every store goes through `write`."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.tables: set[str] = set()
        self.cleared_at: int | None = None  # `_stores` when the tables were last emptied

    def invalidate(self) -> None:
        """In the writer's transaction: forget the stored cube, if one may be stored."""
        if self.cleared_at == _stores:
            return
        if len(self.tables) < 2:  # they appear with the first cube stored, never go
            self.tables = _tables(self.con)
        invalidate(self.con, self.tables)
        self.cleared_at = _stores

    def rolled_back(self) -> None:
        """The transaction of the last `invalidate` did not commit: the cube may be there."""
        self.cleared_at = None


def cells_of(rows: Iterable[tuple[Any, ...]]) -> Cells:
    """Cells from (kind, key1, key2, key3, key4, shown) rows."""
    return {(kind, a, b, c) if d is None else (kind, a, b, c, d): text
            for kind, a, b, c, d, text in rows}
