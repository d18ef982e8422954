"""The organiser an alert names (services/alerts/service.py OPEN_GAPS): the one in charge on
the gap's first day, read from the replayed file as the alert service reads it."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from services.alerts.service import OPEN_GAPS
from tests import helpers as h

ROOT = Path(__file__).resolve().parents[2]
LOW, HIGH = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"


@pytest.mark.parametrize("raahe_id", [LOW, HIGH])
def test_of_two_transfers_of_one_day_and_instant_the_greater_event_id_is_named(
        tmp_path: Path, raahe_id: str) -> None:
    """SPEC.md 1.4: ties by event_id. Two transfers of one day sent at one instant: the alert
    named the first organiser the database happened to give, not the contract's organiser."""
    wba_id = HIGH if raahe_id == LOW else LOW
    src = h.write_jsonl(tmp_path / "e.jsonl", [
        h.signed("k1", "2022-09-01"), h.assigned("w1", h.OULU, "2022-09-01"),
        h.transferred("k1", "2023-01-05", to="municipality:678", event_id=raahe_id),
        h.transferred("k1", "2023-01-05", to=h.WBA, event_id=wba_id)])
    db = tmp_path / "g.duckdb"
    subprocess.run([sys.executable, "-m", "services.cli", "replay", str(src), "--db", str(db),
                    "--as-of", "2023-03-31"], check=True, capture_output=True, cwd=ROOT,
                   env={"PATH": "/usr/bin:/bin"}, timeout=120)
    con = duckdb.connect(str(db), read_only=True)
    try:
        organiser = con.execute("SELECT organizer FROM contracts").fetchall()
        named = {r[1]: r[7] for r in con.execute(OPEN_GAPS).fetchall()}
    finally:
        con.close()
    winner = "municipality:678" if raahe_id == HIGH else h.WBA
    assert organiser == [(winner,)]
    # the worker of Oulu goes with Oulu's charge on the transfer's day
    assert named["NO_RESPONSIBLE_WORKER"] == winner, named
