"""The simulator against the real replay and DuckDB: with no failures injected, the handoff
is clean; with the default rates, every injected failure is found (recall 100 % by kind)."""

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from schemas.hetu import pseudonymise
from services.config import Settings
from services.replay import ReplayReport, replay
from services.simulate import FAILURE_KINDS, RATES, SimConfig, simulate

KEY = b"test-pseudonym-key"
AS_OF = date(2024, 12, 31)
FIND_GAP = """
    SELECT count(*) FROM continuity_gaps
    WHERE client_id = ? AND gap_type = ? AND (? IS NULL OR subject_id = ?)
      AND started_on <= ?::DATE AND (ended_on IS NULL OR ended_on > ?::DATE)"""
FIND_VIOLATION = """
    SELECT count(*) FROM compliance_violations
    WHERE client_id = ? AND contract_id = ? AND violation_type = ? AND on_date = ?::DATE"""


def _run(tmp: Path, config: SimConfig) -> tuple[list[dict[str, Any]], ReplayReport, Path]:
    events, truth, db = tmp / "e.jsonl", tmp / "t.jsonl", tmp / "g.duckdb"
    simulate(config, events, truth)
    report = replay(events, db, Settings(pseudonym_key=KEY), AS_OF)
    return [orjson.loads(x) for x in truth.read_bytes().splitlines()], report, db


def _found(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> bool:
    client = row.get("client_id") or pseudonymise(row["client_hetu"], KEY)
    if "gap_type" in row:
        subject = row["subject_id"]
        args = [client, row["gap_type"], subject, subject, row["from"], row["from"]]
        hit = con.execute(FIND_GAP, args).fetchone()
    else:
        args = [client, row["contract_id"], row["violation_type"], row["from"]]
        hit = con.execute(FIND_VIOLATION, args).fetchone()
    return hit is not None and hit[0] > 0


def test_with_no_failures_the_handoff_is_clean(tmp_path: Path) -> None:
    rates = dict.fromkeys(RATES, 0.0)
    truth, report, db = _run(tmp_path, SimConfig(seed=21, clients=2_500, rates=rates))
    assert truth == [] and report.duplicates == 0 and not report.dead_letters
    con = duckdb.connect(str(db), read_only=True)
    gaps = dict(con.execute("SELECT gap_type, count(*) FROM continuity_gaps GROUP BY ALL")
                .fetchall())
    violations = con.execute("SELECT count(*) FROM compliance_violations").fetchone()
    statuses = dict(con.execute("SELECT status, count(*) FROM handoff_status GROUP BY ALL")
                    .fetchall())
    con.close()
    for gap_type in ("HANDOFF_MISSING", "NO_RESPONSIBLE_WORKER", "ATTENDANCE_SILENCE",
                     "REFERRAL_STALLED"):
        assert gaps.get(gap_type, 0) == 0, gap_type
    assert gaps.get("SERVICE_BREAK", 0) > 0  # some young people still exit to nothing
    assert violations == (0,)
    assert set(statuses) == {"transferred"} and statuses["transferred"] > 100


@pytest.mark.parametrize("seed", [7])
def test_every_injected_failure_is_found_as_its_gap_or_violation(tmp_path: Path,
                                                                 seed: int) -> None:
    truth, report, db = _run(tmp_path, SimConfig(seed=seed, clients=3_000))
    con = duckdb.connect(str(db), read_only=True)
    injected: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    for row in truth:
        if row["kind"] in FAILURE_KINDS:
            injected[row["kind"]] += 1
            missed[row["kind"]] += not _found(con, row)
    con.close()
    assert set(injected) == set(FAILURE_KINDS)  # every kind was injected at least once
    assert +missed == Counter(), f"missed {dict(+missed)} of {dict(injected)}"
    noise = Counter(row["kind"] for row in truth if row["kind"] not in FAILURE_KINDS)
    assert sum(report.dead_letters.values()) == noise["malformed_line"] > 0
    assert report.duplicates == noise["duplicate_delivery"] > 0


def test_the_region_has_over_550_young_people_in_municipal_workshops_in_2021(
        tmp_path: Path) -> None:
    report = simulate(SimConfig(seed=1, noise=False), tmp_path / "e.jsonl")
    assert report.clients == 5_000
    assert report.municipal_first_year > 550  # the region's own figure for 2021
