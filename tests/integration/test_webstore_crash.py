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
