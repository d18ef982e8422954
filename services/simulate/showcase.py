"""What `jatkumo demo` shows after a replay: the handoff by internal area, open gaps by type and
area (the gaps_by_place view), the longest open gaps, and how many of the injected failures
jatkumo found. Read-only queries on the DuckDB file the replay wrote."""

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import orjson
from rich.console import Console
from rich.table import Table

from schemas.hetu import pseudonymise
from services.simulate.config import FAILURE_KINDS
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
    GROUP BY ALL"""
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


def recall(con: duckdb.DuckDBPyConnection, truth: Path, key: bytes) -> dict[str, tuple[int, int]]:
    """Per failure kind: (found, injected)."""
    gaps: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for client, gap_type, subject, start, end in con.execute(
            "SELECT client_id, gap_type, subject_id, started_on::VARCHAR, ended_on::VARCHAR "
            "FROM continuity_gaps").fetchall():
        gaps.setdefault((client, gap_type), []).append((subject, start, end))
    violations = {tuple(r) for r in con.execute(
        "SELECT client_id, contract_id, violation_type, on_date::VARCHAR "
        "FROM compliance_violations").fetchall()}
    out: dict[str, list[int]] = {kind: [0, 0] for kind in FAILURE_KINDS}
    for line in truth.read_bytes().splitlines():
        row = orjson.loads(line)
        if row["kind"] not in out:
            continue  # noise, counted by the replay itself
        client = row.get("client_id") or pseudonymise(row["client_hetu"], key)
        if "gap_type" in row:
            day, subject = row["from"], row["subject_id"]
            found = any((subject is None or s == subject) and start <= day
                        and (end is None or end > day)
                        for s, start, end in gaps.get((client, row["gap_type"]), []))
        else:
            found = (client, row["contract_id"], row["violation_type"], row["from"]) in violations
        out[row["kind"]][0] += found
        out[row["kind"]][1] += 1
    return {kind: (f, n) for kind, (f, n) in out.items() if n}


def show(db: Path, truth: Path, key: bytes, console: Console) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        console.print(_pivot(con.execute(HANDOFF_BY_AREA).fetchall(), STATUSES,
                             "Handoff of KTT and SOSKU contracts on 1.1.2023, by internal area",
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
        found = Table(title="Injected failures found by jatkumo (from the --truth file)")
        for name in ("failure", "found", "injected"):
            found.add_column(name, justify="left" if name == "failure" else "right")
        for kind, (f, n) in recall(con, truth, key).items():
            found.add_row(kind.replace("_", " "), f"{f:,}", f"{n:,}",
                          style=None if f == n else "red")
        console.print(found)
    finally:
        con.close()
