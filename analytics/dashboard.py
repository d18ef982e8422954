"""The dashboard's heavy aggregates as tables: at the end of a replay the file no longer
changes, so the views a page would recompute on every cold view (gaps placed by municipality,
and the unsuppressed dash_* cells the dashboard suppresses in services/web/published.py) are
stored once. Each keeps its name and columns. A file the sink writes keeps them as views: its
data changes with every batch."""

import duckdb

# In dependency order: a count view reads gaps_by_place, so that one is stored first.
MATERIALISED = ("gaps_by_place", "dash_gap_cells", "dash_handoff_cells",
                "dash_service_cells", "dash_story_cells")


def materialise(con: duckdb.DuckDBPyConnection) -> None:
    """Replace each view in MATERIALISED by a table of the same name and rows (the caller
    holds the file; inside or outside a transaction)."""
    for name in MATERIALISED:
        con.execute(f"CREATE TABLE _materialising AS SELECT * FROM {name}")
        con.execute(f"DROP VIEW {name}")
        con.execute(f"ALTER TABLE _materialising RENAME TO {name}")
