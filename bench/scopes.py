"""The price of areas of one's own: how long the server takes to build each internal area's own
database file (services/web/scopedb.py) from a DuckDB file, and how much of the file it
holds. The build runs once per version of the data and scope, in the background soon after
the data changes; a scoped user's first page waits for it only when it is not done yet.

Prints, per area: seconds, rows of continuity_gaps and events kept, and the ratio of the
build to the 1 s page-time target.

    .venv/bin/python bench/scopes.py --db /tmp/jnat/national.duckdb
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.scope import Scope  # noqa: E402
from services.web.scopedb import build  # noqa: E402

TARGET_SECONDS = 1.0


def counts(path: Path) -> tuple[int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        gaps = con.execute("SELECT count(*) FROM continuity_gaps").fetchall()[0][0]
        events = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        return int(gaps), int(events)
    finally:
        con.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, type=Path)
    args = ap.parse_args()
    con = duckdb.connect(str(args.db), read_only=True)
    try:
        areas = [r[0] for r in con.execute(
            "SELECT DISTINCT internal_area FROM municipalities WHERE internal_area IS NOT NULL "
            "ORDER BY 1").fetchall()]
    finally:
        con.close()
    all_gaps, all_events = counts(args.db)
    print(f"{args.db}: {all_gaps} gaps, {all_events} events, {len(areas)} areas")
    with tempfile.TemporaryDirectory(prefix="jatkumo-scopes-") as tmp:
        for area in areas:
            target = Path(tmp) / "scope.duckdb"
            started = time.perf_counter()
            build(args.db, target, Scope(frozenset({area})))
            seconds = time.perf_counter() - started
            gaps, events = counts(target)
            print(f"{area:14} build {seconds:6.2f} s ({seconds / TARGET_SECONDS:5.1f}x the page "
                  f"target)  gaps {gaps:7} ({gaps / max(all_gaps, 1):5.1%})  events {events:8} "
                  f"({events / max(all_events, 1):5.1%})")
            target.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
