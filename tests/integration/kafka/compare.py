"""Reading two DuckDB files' relations for a row-for-row comparison (sorted rows, payloads as
text: both ways write them with sorted keys; dead letters without their origin, which differs
by design)."""

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

RELATIONS = ("as_of", "events", "dead_letters", "contracts", "continuity_gaps",
             "handoff_status", "compliance_violations", "data_issues", "clients", "referrals")


def relations(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for name in RELATIONS:
            cols = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
            if name == "dead_letters":
                cols = [c for c in cols if c != "origin"]
            rows = con.execute(f"SELECT {', '.join(cols)} FROM {name}").fetchall()
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def differences(a: Path, b: Path) -> dict[str, str]:
    """Relation -> a short description of how it differs; empty when all are equal."""
    ra, rb = relations(a), relations(b)
    diffs = {}
    for name in RELATIONS:
        if ra[name] != rb[name]:
            # counted, not as sets: a row written twice is a difference too (a crash test
            # once saw "199332 vs 199334 rows" with nothing only in either)
            ca, cb = Counter(ra[name]), Counter(rb[name])
            more_a, more_b = list((ca - cb).items())[:3], list((cb - ca).items())[:3]
            diffs[name] = (f"{len(ra[name])} vs {len(rb[name])} rows; more often in first "
                           f"(row, times): {more_a}; more often in second: {more_b}")
    return diffs
