"""The simulator against the real replay and DuckDB, row by row: every gap, violation and
handoff status in the truth is in the relations with the same dates, and nothing else is
(services/simulate/verify.py). Then the comparison itself is attacked: a threshold off by one, a
gap three days early or thirty days late, and a false gap must each show as a difference — by
altering the truth or the relations here, never the core."""

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from services.config import Settings, parse_thresholds
from services.replay import replay
from services.simulate import FAILURE_KINDS, RATES, SimConfig, simulate
from services.simulate.expect import Thresholds
from services.simulate.verify import Comparison, compare, load_truth
from streams.core.rules import DEFAULT_REFERRAL_THRESHOLDS, DEFAULT_THRESHOLDS, Rules

KEY = b"test-pseudonym-key"
AS_OF = date(2024, 12, 31)
# Higher than the defaults, so that a small cohort has every kind of failure, boundary cases
# (a transfer exactly 15 days late, a 14-day transfer within the grace) included.
RATES_HIGH = {name: default for name, (default, _) in RATES.items()} | {
    "late_transfer": 0.2, "missing_transfer": 0.06, "no_worker_after_handoff": 0.15,
    "ktt_from_company": 0.03, "stalled_referral": 0.3}
CONFIG = SimConfig(seed=7, clients=1_500, rates=RATES_HIGH)


class Run:
    def __init__(self, tmp: Path, config: SimConfig) -> None:
        self.tmp, self.config = tmp, config
        self.events, self.truth_path, self.db = tmp / "e.jsonl", tmp / "t.jsonl", tmp / "g.duckdb"
        simulate(config, self.events, self.truth_path)
        self.truth = load_truth(self.truth_path)
        self.report = replay(self.events, self.db, Settings(pseudonym_key=KEY), AS_OF)

    def compare(self, truth: list[dict[str, Any]] | None = None,
                db: Path | None = None) -> Comparison:
        con = duckdb.connect(str(db or self.db), read_only=True)
        try:
            return compare(con, self.truth if truth is None else truth, KEY)
        finally:
            con.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return Run(tmp_path_factory.mktemp("sim"), CONFIG)


def _days(row: dict[str, Any]) -> int:
    end = row["ended_on"] or (AS_OF + timedelta(days=1)).isoformat()
    return (date.fromisoformat(end) - date.fromisoformat(row["started_on"])).days


def test_the_small_seed_run_equals_the_truth_row_by_row(run: Run) -> None:
    c = run.compare()
    assert c.differences == [] and c.unobservable == []
    assert c.ok
    gap_types = {name for name, s in c.scores.items() if s.truth and name.isupper()}
    assert {"HANDOFF_MISSING", "SERVICE_BREAK", "NO_RESPONSIBLE_WORKER", "ATTENDANCE_SILENCE",
            "REFERRAL_STALLED", "KTT_FROM_COMPANY",
            "MUNICIPAL_ORGANIZER_AFTER_CUTOVER"} <= gap_types
    for name, score in c.scores.items():
        assert score.truth == score.found == score.matched > 0, name
    # Every kind of failure was injected and each of its rows found with its exact dates.
    injected = {k for k in FAILURE_KINDS if k != "wellbeing_ktt_after_handoff"}
    assert set(c.kinds) == injected
    assert all(exact == n > 0 for exact, n in c.kinds.values()), c.kinds


def test_the_truth_has_boundary_cases_that_a_threshold_off_by_one_would_move(run: Run) -> None:
    """Preconditions of the mutation tests below, so they cannot pass for lack of cases."""
    lengths = Counter((r["gap_type"], _days(r)) for r in run.truth if r.get("expect") == "gap")
    assert lengths[("HANDOFF_MISSING", DEFAULT_THRESHOLDS["HANDOFF_MISSING"] + 1)] > 0
    assert lengths[("NO_RESPONSIBLE_WORKER", DEFAULT_THRESHOLDS["NO_RESPONSIBLE_WORKER"] + 1)] > 0
    assert lengths[("REFERRAL_STALLED", DEFAULT_REFERRAL_THRESHOLDS["mental_health"] + 1)] > 0
    at_grace = [r for r in run.truth if r.get("expect") == "handoff_status"
                and r["transferred_on"] == "2023-01-15"]  # a 14-day run: one short of a gap
    assert at_grace


@pytest.mark.parametrize("gap_type,shift", [
    ("HANDOFF_MISSING", +1), ("HANDOFF_MISSING", -1), ("NO_RESPONSIBLE_WORKER", +1),
    ("REFERRAL_STALLED", +1), ("REFERRAL_STALLED", -1)])
def test_a_truth_with_a_threshold_off_by_one_differs(run: Run, tmp_path: Path, gap_type: str,
                                                     shift: int) -> None:
    gaps = dict(DEFAULT_THRESHOLDS)
    referrals = dict(DEFAULT_REFERRAL_THRESHOLDS)
    if gap_type == "REFERRAL_STALLED":
        referrals["mental_health"] += shift
    else:
        gaps[gap_type] += shift
    truth = tmp_path / "t.jsonl"
    simulate(CONFIG, tmp_path / "e.jsonl", truth, thresholds=Thresholds(gaps, referrals))
    c = run.compare(load_truth(truth))
    assert not c.ok
    wrong = {d.type for d in c.differences}
    assert wrong == {gap_type}
    assert {d.what for d in c.differences} == ({"missed"} if shift < 0 else {"false"})


def test_relations_from_a_core_threshold_off_by_one_differ(run: Run, tmp_path: Path) -> None:
    """The attack on the old demo: jatkumo run with T + 1 still showed every failure found."""
    rules = parse_thresholds("HANDOFF_MISSING=15,REFERRAL_STALLED.mental_health=29", Rules())
    db = tmp_path / "shifted.duckdb"
    replay(run.events, db, Settings(pseudonym_key=KEY, rules=rules), AS_OF)
    c = run.compare(db=db)
    assert {(d.what, d.type) for d in c.differences} == {
        ("missed", "HANDOFF_MISSING"), ("missed", "REFERRAL_STALLED")}
    assert c.scores["HANDOFF_MISSING"].recall < 1.0


@pytest.mark.parametrize("field,days", [("started_on", -3), ("ended_on", 30)])
def test_a_gap_three_days_early_or_thirty_days_late_differs(run: Run, field: str,
                                                            days: int) -> None:
    truth = [dict(r) for r in run.truth]
    row = next(r for r in truth if r.get("kind") == "late_transfer")
    old = row[field]
    row[field] = (date.fromisoformat(old) + timedelta(days=days)).isoformat()
    c = run.compare(truth)
    assert len(c.differences) == 1
    d = c.differences[0]
    assert (d.what, d.type, d.kind) == ("differs", "HANDOFF_MISSING", "late_transfer")
    assert d.found is not None and old in d.found and row[field] in (d.expected or ())
    assert c.kinds["late_transfer"][0] == c.kinds["late_transfer"][1] - 1


def _with_extra_gap(run: Run, client: str) -> duckdb.DuckDBPyConnection:
    """The relations with one gap jatkumo never derived (views over the attached file)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{run.db}' AS g (READ_ONLY)")
    con.execute("CREATE VIEW continuity_gaps AS SELECT client_id, gap_type, subject_id, "
                "started_on, ended_on FROM g.continuity_gaps UNION ALL SELECT $client, "
                "'NO_RESPONSIBLE_WORKER', NULL, DATE '2024-03-01', DATE '2024-04-01'"
                .replace("$client", f"'{client}'"))
    for rel in ("compliance_violations", "handoff_status"):
        con.execute(f"CREATE VIEW {rel} AS SELECT * FROM g.{rel}")
    return con


def test_an_extra_false_gap_differs_and_lowers_precision(run: Run) -> None:
    client = next(r["client_id"] for r in run.truth if "client_id" in r)
    con = _with_extra_gap(run, client)
    try:
        c = compare(con, run.truth, KEY)
    finally:
        con.close()
    assert [(d.what, d.type, d.client) for d in c.differences] == [
        ("false", "NO_RESPONSIBLE_WORKER", client)]
    score = c.scores["NO_RESPONSIBLE_WORKER"]
    assert score.found == score.truth + 1 and score.precision < 1.0 and score.recall == 1.0


def test_a_natural_gap_left_out_of_the_truth_is_a_false_gap(run: Run) -> None:
    """Precision is over every gap: the truth must explain the natural ones too."""
    truth = list(run.truth)
    natural = next(i for i, r in enumerate(truth) if r.get("kind") == "natural")
    del truth[natural]
    c = run.compare(truth)
    assert [(d.what, d.type) for d in c.differences] == [("false", "SERVICE_BREAK")]


def test_without_failures_only_natural_service_breaks_occur_all_in_the_truth(
        tmp_path: Path) -> None:
    rates = dict.fromkeys(RATES, 0.0)
    clean = Run(tmp_path, SimConfig(seed=21, clients=1_500, rates=rates))
    assert clean.report.duplicates == 0 and not clean.report.dead_letters
    assert not [r for r in clean.truth if r.get("kind") not in (None, "natural")]
    c = clean.compare()
    assert c.ok and not c.kinds
    kinds_found = {name for name, s in c.scores.items() if s.found}
    assert kinds_found == {"SERVICE_BREAK", "handoff 2023"}
    assert {why.split(" (")[0] for _, why in c.natural} == {"a period ended"}
    statuses = Counter(r["status"] for r in clean.truth if r.get("expect") == "handoff_status")
    assert set(statuses) == {"transferred"} and statuses["transferred"] > 100


def test_two_handoffs_in_process(tmp_path: Path) -> None:
    config = replace(CONFIG, clients=1_200, second_handoff=date(2024, 7, 1),
                     rates=RATES_HIGH | {"wellbeing_ktt_after_handoff": 0.3})
    events, truth, db = tmp_path / "e.jsonl", tmp_path / "t.jsonl", tmp_path / "g.duckdb"
    simulate(config, events, truth)
    rules = Rules(configured_handoffs=tuple(_core(h) for h in config.handoffs))
    replay(events, db, Settings(pseudonym_key=KEY, rules=rules), config.window[1])
    con = duckdb.connect(str(db), read_only=True)
    c = compare(con, load_truth(truth), KEY)
    con.close()
    assert c.ok, [str(d) for d in c.differences[:5]]
    assert c.scores["handoff ktt-back"].matched > 20
    assert c.scores["WELLBEING_AREA_ORGANIZER_AFTER_HANDOFF"].matched > 0
    for kind in ("late_transfer", "missing_transfer", "no_worker_after_handoff",
                 "wellbeing_ktt_after_handoff"):
        exact, n = c.kinds[f"{kind}@ktt-back"]
        assert exact == n > 0, kind


def _core(h: Any) -> Any:
    from streams.core.rules import Handoff

    return Handoff(h.name, h.services, h.from_kind, h.to_kind, date.fromordinal(h.day),
                   h.grace_days)


def test_a_violation_date_or_a_handoff_status_that_differs_is_named(run: Run) -> None:
    truth = [dict(r) for r in run.truth]
    violation = next(r for r in truth if r.get("expect") == "violation")
    violation["on_date"] = "2020-01-01"
    status = next(r for r in truth if r.get("expect") == "handoff_status"
                  and r["status"] == "transferred")
    status["status"], status["transferred_on"] = "pending", None
    c = run.compare(truth)
    assert sorted((d.what, d.relation) for d in c.differences) == [
        ("differs", "compliance_violations"), ("differs", "handoff_status")]
    text = " ".join(str(d) for d in c.differences)
    assert "expected on 2020-01-01" in text and "expected pending, found transferred" in text
