"""`jatkumo demo` and `jatkumo simulate` through the real command line."""

import argparse
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from services.simulate import FAILURE_KINDS
from services.simulate.verify import compare, load_truth

KEY = b"cli-test-key"

ROOT = Path(__file__).resolve().parents[2]


def _jatkumo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "COLUMNS": "120",
                                                    "JATKUMO_PSEUDONYM_KEY": KEY.decode()})


def _table(stdout: str, first: Callable[[str], bool], width: int) -> dict[str, list[str]]:
    """Rows of `width` cells of the printed rich tables whose first cell satisfies `first`."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if len(cells) == width and cells[0] and first(cells[0]):
            rows[cells[0]] = cells[1:]
    return rows


def test_demo_simulates_replays_and_proves_every_row(tmp_path: Path) -> None:
    done = _jatkumo("demo", "--seed", "3", "--clients", "1500", "--clean-clients", "400",
                    "--out", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stdout + done.stderr
    for title in ("Each handoff's story", "Handoff 2023 of KTT and SOSKU",
                  "Open continuity gaps by type and internal area", "The ten longest open gaps",
                  "The truth against jatkumo, row by row", "Injected failures found exactly",
                  "A failure-free run"):
        assert title in done.stdout, title
    assert done.stdout.count("equals the truth, and the truth has no other row") == 2
    db = tmp_path / "demo" / "jatkumo.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    areas = {r[0] for r in con.execute("SELECT DISTINCT internal_area FROM gaps_by_place")
             .fetchall()}
    con.close()
    assert {"Oulu", "Lakeus", "Eteläinen"} <= areas
    scores = _table(done.stdout, lambda c: c.isupper() and "_" in c, 6)  # gap types, recall…
    assert "SERVICE_BREAK" in scores and "HANDOFF_MISSING" in scores
    for name, (truth, found, exact, recall, precision) in scores.items():
        assert truth == found == exact and recall == precision == "100.0 %", name
    failures = _table(done.stdout, lambda c: c.replace(" ", "_") in FAILURE_KINDS, 3)
    assert len(failures) >= 6 and all(n == exact for n, exact in failures.values()), failures


def test_demo_exits_1_when_the_truth_differs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A truth derived with another SERVICE_BREAK threshold: the demo must say so and fail."""
    from services.commands import demo
    from services.simulate.expect import Thresholds

    def other(gaps: Any, referrals: Any) -> Thresholds:
        return Thresholds(dict(gaps) | {"SERVICE_BREAK": 0}, referrals)

    monkeypatch.setattr(demo, "Thresholds", other)
    monkeypatch.setenv("COLUMNS", "160")
    args = argparse.Namespace(seed=3, clients=300, clean_clients=0, second_handoff=None,
                              out=str(tmp_path / "demo"), serve=False, port=0)
    assert demo.run(args) == 1
    out = capsys.readouterr().out
    assert "does not prove what it claims" in out and "SERVICE_BREAK" in out


def test_two_handoffs_end_to_end_through_the_command_line(tmp_path: Path) -> None:
    """CI's two-handoff run: simulate with --second-handoff, replay with the handoffs file it
    wrote, and the relations equal the truth row by row, with rows for both handoffs."""
    events, truth, handoffs = tmp_path / "e.jsonl", tmp_path / "t.jsonl", tmp_path / "h.toml"
    db = tmp_path / "g.duckdb"
    done = _jatkumo("simulate", "--seed", "5", "--clients", "1500", "--second-handoff",
                    "2024-06-01", "--out", str(events), "--truth", str(truth),
                    "--handoffs-out", str(handoffs), "--rate-late-transfer", "0.15",
                    "--rate-missing-transfer", "0.06", "--rate-no-worker-after-handoff",
                    "0.12", "--rate-wellbeing-ktt-after-handoff", "0.3")
    assert done.returncode == 0, done.stderr
    assert f"--handoffs {handoffs} --as-of 2025-05-31" in " ".join(done.stdout.split())
    assert 'name = "ktt-back"' in handoffs.read_text()
    done = _jatkumo("replay", str(events), "--db", str(db), "--handoffs", str(handoffs),
                    "--as-of", "2025-05-31")
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    per_handoff = dict(con.execute("SELECT handoff, count(*) FROM handoff_status GROUP BY ALL")
                       .fetchall())
    c = compare(con, load_truth(truth), KEY)
    con.close()
    assert per_handoff.keys() == {"2023", "ktt-back"} and min(per_handoff.values()) > 20
    assert c.ok, [str(d) for d in c.differences[:10]]
    assert c.scores["handoff ktt-back"].matched == per_handoff["ktt-back"]
    for kind in ("late_transfer", "missing_transfer", "no_worker_after_handoff",
                 "wellbeing_ktt_after_handoff"):
        exact, n = c.kinds[f"{kind}@ktt-back"]
        assert exact == n > 0, kind


def test_bad_simulate_arguments_exit_2_with_what_to_do(tmp_path: Path) -> None:
    out = str(tmp_path / "e.jsonl")
    rate = _jatkumo("simulate", "--out", out, "--rate-late-transfer", "1.5")
    assert rate.returncode == 2 and "between 0 and 1" in rate.stderr
    clients = _jatkumo("simulate", "--out", out, "--clients", "many")
    assert clients.returncode == 2 and "whole number" in clients.stderr
    close = _jatkumo("simulate", "--out", out, "--second-handoff", "2023-03-01")
    assert close.returncode == 2 and "too close to the 2023 handoff" in close.stderr
    bad_date = _jatkumo("demo", "--second-handoff", "1.1.2025")
    assert bad_date.returncode == 2 and "give YYYY-MM-DD" in bad_date.stderr
    folder = _jatkumo("simulate", "--out", str(tmp_path / "missing" / "e.jsonl"))
    assert folder.returncode == 2 and "does not exist" in folder.stderr


def test_simulate_writes_the_file_and_the_truth(tmp_path: Path) -> None:
    out, truth = tmp_path / "e.jsonl", tmp_path / "t.jsonl"
    done = _jatkumo("simulate", "--seed", "2", "--clients", "300", "--out", str(out),
                    "--truth", str(truth), "--quiet")
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0 and truth.stat().st_size > 0
