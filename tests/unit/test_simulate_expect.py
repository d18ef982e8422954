"""The simulator's truth (services/simulate/expect.py) on hand-made plans: SPEC.md 3's worked
example, the grace boundary, two handoffs of KTT in sequence, and the handoffs file it writes.
The truth is a second reading of the rules, so it is held to the SPEC's own numbers here."""

from datetime import date
from pathlib import Path
from typing import Any

from services.config import read_handoffs
from services.simulate.config import SimConfig
from services.simulate.expect import expected_rows, merge, subtract
from services.simulate.geography import region
from services.simulate.plan import ClientPlan, ContractPlan, Transfer
from services.simulate.workshops import Producer
from services.simulate.world import World

WA = "wellbeing_area:pohjois-pohjanmaa"
OULU = "municipality:564"
PAJA = Producer("PAJA-OULU-1", "municipal", "564", "workshop:PAJA-OULU-1")


def d(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def _world(as_of: str, second: date | None = None) -> World:
    world = World(SimConfig(seed=1, clients=1, second_handoff=second))
    world.end = d(as_of)  # A
    return world


def _plan(*contracts: ContractPlan, workers: list[tuple[int, bool, str, str]]) -> ClientPlan:
    area = region()
    home = next(p for p in area.places if p.code == "564")
    plan = ClientPlan(1, "client_id", "c1", 2000, home, area, "social_work", d("2022-08-20"))
    plan.contracts = list(contracts)
    plan.workers = workers
    return plan


def _ktt(start: str, organizer: str, *transfers: Transfer) -> ContractPlan:
    k = ContractPlan("k1", "KTT", d(start), d("2030-01-01"), "completed", None, organizer, PAJA,
                     3, 5, record_end=False)
    k.transfers = list(transfers)
    return k


def _rows(world: World, plan: ClientPlan, expect: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("client_id", "expect", "why")}
            for r in expected_rows(world, plan) if r["expect"] == expect]


def test_spec_worked_example() -> None:
    k = _ktt("2022-09-01", OULU, Transfer("2023", d("2023-01-20"), OULU, WA, d("2023-01-20")))
    plan = _plan(k, workers=[(d("2022-09-01"), True, "w1", OULU),
                             (d("2023-02-10"), True, "w9", WA)])
    world = _world("2023-03-31")
    assert _rows(world, plan, "gap") == [
        {"gap_type": "HANDOFF_MISSING", "subject_id": None, "started_on": "2023-01-01",
         "ended_on": "2023-01-20", "kind": "natural", "handoff": None},
        {"gap_type": "NO_RESPONSIBLE_WORKER", "subject_id": None, "started_on": "2023-01-20",
         "ended_on": "2023-02-10", "kind": "natural", "handoff": None}]
    assert _rows(world, plan, "handoff_status") == [
        {"handoff": "2023", "contract_id": "k1", "status": "transferred_late",
         "transferred_on": "2023-01-20"}]


def test_a_transfer_on_the_grace_days_last_day_is_on_time_and_no_gap_one_day_later_both() -> None:
    world = _world("2023-03-31")
    workers = [(d("2022-09-01"), True, "w1", OULU), (d("2023-01-01"), True, "w9", WA)]
    for on, status, gaps in (("2023-01-15", "transferred", 0), ("2023-01-16",
                                                                "transferred_late", 1)):
        k = _ktt("2022-09-01", OULU, Transfer("2023", d(on), OULU, WA, d(on)))
        plan = _plan(k, workers=workers)
        assert len(_rows(world, plan, "gap")) == gaps
        assert _rows(world, plan, "handoff_status")[0]["status"] == status


def test_ktt_through_both_handoffs_never_moved_back() -> None:
    world = _world("2024-12-31", second=date(2024, 7, 1))
    k = _ktt("2022-06-01", OULU, Transfer("2023", d("2023-01-01"), OULU, WA, d("2022-12-01")))
    plan = _plan(k, workers=[(d("2022-06-01"), True, "w1", OULU),
                             (d("2023-01-01"), False, "w1", OULU),
                             (d("2023-01-01"), True, "w9", WA)])
    assert _rows(world, plan, "gap") == [
        {"gap_type": "HANDOFF_MISSING", "subject_id": None, "started_on": "2024-07-01",
         "ended_on": None, "kind": "natural", "handoff": None}]
    assert _rows(world, plan, "handoff_status") == [
        {"handoff": "2023", "contract_id": "k1", "status": "transferred",
         "transferred_on": "2023-01-01"},
        {"handoff": "ktt-back", "contract_id": "k1", "status": "pending",
         "transferred_on": None}]


def test_the_wellbeing_area_signing_ktt_after_it_moved_back_is_a_violation() -> None:
    world = _world("2024-12-31", second=date(2024, 7, 1))
    plan = _plan(_ktt("2024-08-01", WA), workers=[(d("2024-08-01"), True, "w9", WA)])
    assert _rows(world, plan, "violation") == [
        {"violation_type": "WELLBEING_AREA_ORGANIZER_AFTER_HANDOFF", "contract_id": "k1",
         "on_date": "2024-08-01", "kind": "natural", "handoff": None}]
    assert [r["started_on"] for r in _rows(world, plan, "gap")] == ["2024-08-01"]


def test_interval_helpers() -> None:
    assert merge([(5, 6), (1, 2), (3, 4), (9, 10)]) == [(1, 6), (9, 10)]  # touching: one
    assert merge([(1, 3), (5, 6)]) == [(1, 3), (5, 6)]
    assert subtract((1, 10), [(0, 2), (5, 5), (9, 12)]) == [(3, 4), (6, 8)]
    assert subtract((1, 10), []) == [(1, 10)]


def test_the_handoffs_file_reads_back_as_the_runs_handoffs(tmp_path: Path) -> None:
    config = SimConfig(second_handoff=date(2025, 1, 1))
    path = tmp_path / "h.toml"
    path.write_text(config.handoffs_toml(), encoding="utf-8")
    read = read_handoffs(str(path))
    assert [(h.name, sorted(h.services), h.from_kind, h.to_kind, h.date) for h in read] == [
        ("2023", ["KTT", "SOSKU"], "municipality", "wellbeing_area", date(2023, 1, 1)),
        ("ktt-back", ["KTT"], "wellbeing_area", "municipality", date(2025, 1, 1))]
    assert config.window == (date(2021, 1, 1), date(2025, 12, 31))
    assert config.n_clients > SimConfig().n_clients  # a longer window, more young people
