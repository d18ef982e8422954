"""The dashboard's views on a file written before them. A small module of its own: the analyst
SQL process imports it, and should not pay for more than DuckDB and the DDL files."""

from importlib import resources

import duckdb

from analytics.relations import VIEWS


def _dash_views() -> list[str]:
    return [v for v in VIEWS if v.startswith("dash_")]


def add_missing_views(con: duckdb.DuckDBPyConnection) -> None:
    """A file written before the dash_* views (or the count views beneath them) existed gets
    them as temporary views, so serve works on it without a rebuild (a read-only file cannot
    take new views)."""
    have = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() UNION ALL "
                                      "SELECT table_name FROM duckdb_tables()").fetchall()}
    for name in _dash_views():
        sql = resources.files("analytics").joinpath("sql", "views", f"{name}.sql")
        for statement in sql.read_text(encoding="utf-8").split("CREATE VIEW ")[1:]:
            view = statement.split(None, 1)[0]
            if view not in have:
                con.execute("CREATE TEMP VIEW " + statement)
