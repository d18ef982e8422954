"""The DuckDB relations: their DDL lives in sql/tables and sql/views, one file per relation."""

from importlib import resources

import duckdb

TABLES = (
    "as_of", "events", "dead_letters", "contracts", "gap_rows", "handoff_status",
    "compliance_violations", "data_issues", "clients", "referrals", "municipalities",
)
VIEWS = ("continuity_gaps", "gaps_by_place",  # in dependency order
         "dash_gap_cells", "dash_handoff_cells", "dash_service_cells", "dash_story_cells")
# Relations rebuilt by every evaluation (events and dead letters accumulate instead).
DERIVED = ("as_of", "contracts", "gap_rows", "handoff_status", "compliance_violations",
           "data_issues", "clients", "referrals")


def ddl(kind: str, name: str) -> str:
    return resources.files("analytics").joinpath("sql").joinpath(kind).joinpath(
        f"{name}.sql").read_text(encoding="utf-8")


def create_all(con: duckdb.DuckDBPyConnection) -> None:
    """Drop and create every relation (the caller holds the transaction)."""
    for name in reversed(VIEWS):
        con.execute(f"DROP VIEW IF EXISTS {name}")
    for name in TABLES:
        con.execute(f"DROP TABLE IF EXISTS {name}")
        con.execute(ddl("tables", name))
    for name in VIEWS:
        con.execute(ddl("views", name))
