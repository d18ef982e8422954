"""What `jatkumo demo` shows after a replay: each handoff's story, the first handoff by internal
area, open gaps by type and area (the gaps_by_place view), the longest open gaps, and the proof:
the truth against the relations, row by row (verify.py), with recall and precision per type,
the natural gaps and every difference. Read-only queries on the DuckDB file the replay wrote."""

from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from services.simulate.config import SimHandoff
from services.simulate.verify import Comparison, compare, load_truth
from streams.core.rules import GAP_TYPES

STATUSES = ("transferred", "transferred_late", "ended_untransferred", "pending")
# Short column names keep the tables inside an 80-column terminal.
SHORT = {"transferred": "on time", "transferred_late": "late",
         "ended_untransferred": "ended, not moved", "pending": "pending",
         "HANDOFF_MISSING": "handoff", "SERVICE_BREAK": "service",
         "NO_RESPONSIBLE_WORKER": "worker", "ATTENDANCE_SILENCE": "attendance",
         "REFERRAL_STALLED": "referral"}
HANDOFF_BY_AREA = """
    SELECT coalesce(m.internal_area, m.region_name_fi, '?') AS area, h.status, count(*)
    FROM handoff_status h LEFT JOIN municipalities m ON m.code = h.municipality
    WHERE h.handoff = ? GROUP BY ALL"""
HANDOFF_STORY = "SELECT handoff, status, count(*) FROM handoff_status GROUP BY ALL"
SHOWN_DIFFERENCES = 20
OPEN_BY_AREA = """
    SELECT coalesce(internal_area, '?'), gap_type, count(*) FROM gaps_by_place
    WHERE is_open GROUP BY ALL"""
LONGEST_OPEN = """
    SELECT client_id, gap_type, coalesce(service, ''), coalesce(municipality_name, ''),
           started_on, length_days
    FROM gaps_by_place WHERE is_open
    ORDER BY length_days DESC, client_id, gap_type LIMIT 10"""


def _pivot(rows: list[tuple[Any, ...]], columns: tuple[str, ...], title: str,
           first: str) -> Table:
    cells: dict[str, Counter[str]] = {}
    for row_key, col, n in rows:
        cells.setdefault(row_key, Counter())[col] += n
    table = Table(title=title)
    table.add_column(first)
    for col in columns:
        table.add_column(SHORT.get(col, col), justify="right")
    table.add_column("total", justify="right")
    totals: Counter[str] = Counter()
    for row_key in sorted(cells):
        c = cells[row_key]
        totals.update(c)
        table.add_row(row_key, *(f"{c[col]:,}" for col in columns), f"{c.total():,}")
    table.add_row("all", *(f"{totals[col]:,}" for col in columns), f"{totals.total():,}",
                  style="bold")
    return table



def _story(con: duckdb.DuckDBPyConnection, handoffs: Sequence[SimHandoff]) -> Table:
    """Each handoff's story from handoff_status, grouped by its handoff column."""
    counts: dict[str, Counter[str]] = {}
    for name, status, n in con.execute(HANDOFF_STORY).fetchall():
        counts.setdefault(name, Counter())[status] += n
    moves = "; ".join(f"{h.name}: {'+'.join(sorted(h.services))} {h.from_kind} → {h.to_kind}"
                      for h in handoffs)
    table = Table(title="Each handoff's story (handoff_status by its handoff column)",
                  caption=moves)
    for name in ("handoff", "date", "cohort", "on time", "late", "never (ended)", "pending"):
        table.add_column(name, justify="left" if name == "handoff" else "right")
    for h in handoffs:
        c = counts.get(h.name, Counter())
        table.add_row(h.name, date.fromordinal(h.day).isoformat(), f"{c.total():,}",
                      *(f"{c[s]:,}" for s in STATUSES))
    return table


def _percent(x: float) -> str:
    return f"{100 * x:.1f} %"


def proof(comparison: Comparison, console: Console, title: str) -> None:
    """Recall and precision per type, the failures found exactly, the natural gaps, and every
    difference from the truth (the first SHOWN_DIFFERENCES of them)."""
    c = comparison
    table = Table(title=title)
    for name in ("gap, violation or handoff", "truth", "jatkumo", "exact", "recall",
                 "precision"):
        table.add_column(name, justify="left" if name.startswith("gap") else "right")
    for name, score in sorted(c.scores.items()):
        table.add_row(name, f"{score.truth:,}", f"{score.found:,}", f"{score.matched:,}",
                      _percent(score.recall), _percent(score.precision),
                      style=None if score.matched == score.truth == score.found else "red")
    console.print(table)
    if c.kinds:
        found = Table(title="Injected failures found exactly (same start, same end)")
        for name in ("failure", "expected rows", "found exactly"):
            found.add_column(name, justify="left" if name == "failure" else "right")
        for kind, (exact, n) in sorted(c.kinds.items()):
            found.add_row(kind.replace("_", " "), f"{n:,}", f"{exact:,}",
                          style=None if exact == n else "red")
        console.print(found)
    if c.natural:
        natural = Table(title="Gaps no failure caused (in the truth as natural)")
        for name in ("type", "why", "gaps"):
            natural.add_column(name, justify="right" if name == "gaps" else "left")
        for (kind, why), n in sorted(c.natural.items()):
            natural.add_row(kind, why, f"{n:,}")
        console.print(natural)
    for row in c.unobservable:
        console.print(f"[red]An injected {row['kind']} caused nothing jatkumo could find: "
                      f"{row.get('unmatched')}[/red]")
    if c.differences:
        console.print(f"[red]{len(c.differences):,} rows differ from the truth:[/red]")
        for d in c.differences[:SHOWN_DIFFERENCES]:
            console.print(f"  {d}", markup=False)
    else:
        console.print("[green]Every row of continuity_gaps, compliance_violations and "
                      "handoff_status equals the truth, and the truth has no other row.[/green]")


def check(db: Path, truth: Path, key: bytes) -> Comparison:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return compare(con, load_truth(truth), key)
    finally:
        con.close()


def show(db: Path, truth: Path, key: bytes, console: Console,
         handoffs: Sequence[SimHandoff]) -> Comparison:
    con = duckdb.connect(str(db), read_only=True)
    try:
        console.print(_story(con, handoffs))
        first = handoffs[0]
        console.print(_pivot(con.execute(HANDOFF_BY_AREA, [first.name]).fetchall(), STATUSES,
                             f"Handoff {first.name} of KTT and SOSKU contracts by internal area",
                             "internal area"))
        console.print(_pivot(con.execute(OPEN_BY_AREA).fetchall(), GAP_TYPES,
                             "Open continuity gaps by type and internal area", "internal area"))
        console.print("  handoff = HANDOFF_MISSING, service = SERVICE_BREAK, worker = "
                      "NO_RESPONSIBLE_WORKER,\n  attendance = ATTENDANCE_SILENCE, referral = "
                      "REFERRAL_STALLED (SPEC.md 3)")
        longest = Table(title="The ten longest open gaps")
        for name in ("client", "gap", "service", "municipality", "since", "days"):
            longest.add_column(name, justify="right" if name == "days" else "left")
        for client, gap_type, service, place, since, days in con.execute(
                LONGEST_OPEN).fetchall():
            longest.add_row(client, SHORT[gap_type], service, place, str(since), f"{days:,}")
        console.print(longest)
        comparison = compare(con, load_truth(truth), key)
    finally:
        con.close()
    proof(comparison, console, "The truth against jatkumo, row by row (from the --truth file)")
    return comparison
