"""`jatkumo demo` and `jatkumo simulate` through the real command line."""

import subprocess
import sys
from pathlib import Path

import duckdb

from services.simulate import FAILURE_KINDS

ROOT = Path(__file__).resolve().parents[2]


def _jatkumo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"})


def test_demo_simulates_replays_and_shows_every_injected_failure_found(tmp_path: Path) -> None:
    done = _jatkumo("demo", "--seed", "3", "--out", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    for title in ("Handoff of KTT and SOSKU", "Open continuity gaps by type and internal area",
                  "The ten longest open gaps", "Injected failures found"):
        assert title in done.stdout
    db = tmp_path / "demo" / "jatkumo.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    areas = {r[0] for r in con.execute("SELECT DISTINCT internal_area FROM gaps_by_place")
             .fetchall()}
    con.close()
    assert {"Oulu", "Lakeus", "Eteläinen"} <= areas
    found = {}
    for line in done.stdout.splitlines():  # rows "│ late transfer │ 22 │ 22 │"
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if len(cells) == 3 and cells[0].replace(" ", "_") in FAILURE_KINDS:
            found[cells[0]] = (cells[1], cells[2])
    assert len(found) == len(FAILURE_KINDS)
    assert all(f == n for f, n in found.values()), found


def test_bad_simulate_arguments_exit_2_with_what_to_do(tmp_path: Path) -> None:
    out = str(tmp_path / "e.jsonl")
    rate = _jatkumo("simulate", "--out", out, "--rate-late-transfer", "1.5")
    assert rate.returncode == 2 and "between 0 and 1" in rate.stderr
    clients = _jatkumo("simulate", "--out", out, "--clients", "many")
    assert clients.returncode == 2 and "whole number" in clients.stderr
    folder = _jatkumo("simulate", "--out", str(tmp_path / "missing" / "e.jsonl"))
    assert folder.returncode == 2 and "does not exist" in folder.stderr


def test_simulate_writes_the_file_and_the_truth(tmp_path: Path) -> None:
    out, truth = tmp_path / "e.jsonl", tmp_path / "t.jsonl"
    done = _jatkumo("simulate", "--seed", "2", "--clients", "300", "--out", str(out),
                    "--truth", str(truth), "--quiet")
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0 and truth.stat().st_size > 0
