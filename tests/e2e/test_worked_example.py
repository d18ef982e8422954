"""SPEC.md's worked example through the real CLI and a real DuckDB file."""

import json
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]


def test_replay_of_the_worked_example_gives_the_spec_gaps_and_handoff(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "replay",
         str(ROOT / "examples/worked-example.jsonl"), "--db", str(db), "--as-of", "2023-03-31"],
        capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    expected = json.loads((ROOT / "examples/worked-example.expected.json").read_text())
    con = duckdb.connect(str(db), read_only=True)
    gaps = con.execute(
        "SELECT client_id, gap_type, subject_id, strftime(started_on, '%Y-%m-%d'), "
        "strftime(ended_on, '%Y-%m-%d'), length_days FROM continuity_gaps ORDER BY 1, 2"
    ).fetchall()
    want = [(g["client_id"], g["gap_type"], g["subject_id"], g["started_on"], g["ended_on"],
             g["length_days"]) for g in expected["continuity_gaps"]]
    assert gaps == sorted(want)
    handoff = con.execute(
        "SELECT contract_id, client_id, service, municipality, status, "
        "strftime(transferred_on, '%Y-%m-%d') FROM handoff_status").fetchall()
    assert handoff == [tuple(h.values()) for h in expected["handoff_status"]]
