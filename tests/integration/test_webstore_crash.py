"""The dashboard's own file after a kill -9: it opens again with every entry it took.

DuckDB 2.0 replays a WAL holding a default expression only after downloading its
core_functions extension (no network here, none on a closed server): the file would stay shut.
"""

import subprocess
import sys
from pathlib import Path

from services.web.webstore import WebStore

WRITE_AND_DIE = """
import os, sys
from services.scope import Scope
from services.web.webstore import WebStore
store = WebStore(__import__("pathlib").Path(sys.argv[1]))
store.log("aila", "admin", "view", "access_log", scope=Scope(frozenset({"Lakeus"}), frozenset()))
store.log("root", "admin", "view", "gaps")
os._exit(9)  # no close, no checkpoint: what a kill -9 leaves
"""


def test_a_killed_dashboard_file_opens_again_with_its_entries(tmp_path: Path, root: Path
                                                              ) -> None:
    path = tmp_path / "live.web.duckdb"
    done = subprocess.run([sys.executable, "-c", WRITE_AND_DIE, str(path)], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    assert path.with_name(path.name + ".wal").exists()  # the entries are in the WAL only
    store = WebStore(path)
    rows = store.execute("SELECT user_name, scope_areas, scope_municipalities FROM access_log "
                         "ORDER BY logged_at")
    store.close()
    assert rows == [("aila", ["Lakeus"], []), ("root", [], [])]


def test_the_access_logs_arrow_answer_warns_of_nothing(tmp_path: Path) -> None:
    """A DB-API result's Arrow copy made DuckDB 2 warn in the server's log at every look at
    the access log (attack, 2026-12-05): a relation's does not."""
    import warnings

    from services.web.webstore import COLUMNS

    store = WebStore(tmp_path / "w.web.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = store.arrow(f"SELECT {COLUMNS} FROM access_log WHERE user_name = ?", ["x"])
    assert got.num_rows == 0 and "user_name" in got.column_names
