"""analytics.dashboard.materialise: the heavy views become tables of the same name and rows,
and every dash_* view a manager reads answers exactly as before (the threshold still works)."""

import shutil
from pathlib import Path

import duckdb

from analytics.dashboard import MATERIALISED, materialise
from analytics.relations import VIEWS
from services.web.db import SUPPRESS_VAR

DASH = [v for v in VIEWS if v.startswith("dash_")]


def answers(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {v: sorted(con.execute(f"SELECT * FROM {v}").fetchall(), key=repr)
            for v in (*DASH, *MATERIALISED)}


def test_stored_aggregates_answer_exactly_as_the_views(web_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(web_db, db)
    con = duckdb.connect(str(db))
    before = {}
    for k in (5, 10):
        con.execute(f"SET VARIABLE {SUPPRESS_VAR} = {k}")
        before[k] = answers(con)
    materialise(con)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert set(MATERIALISED) <= tables
    for k, seen in before.items():
        con.execute(f"SET VARIABLE {SUPPRESS_VAR} = {k}")
        assert answers(con) == seen
    con.close()
