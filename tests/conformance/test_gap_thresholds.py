"""SPEC.md 3: every gap type at exactly T days (no gap) and T + 1 days (a gap), open and closed.

A gap is a maximal run s..e (e <= A); ended_on = e + 1 if e < A else NULL; a gap only when
length_days > T. Defaults: HANDOFF_MISSING 14, SERVICE_BREAK 30, NO_RESPONSIBLE_WORKER 14,
ATTENDANCE_SILENCE 21, REFERRAL_STALLED 28 (mental_health, substance_abuse) and 60 (the rest).
"""

from datetime import date, timedelta

import pytest

from tests.helpers import (
    OULU,
    WBA,
    assigned,
    attendance,
    ended,
    gaps_of,
    referral_closed,
    referral_made,
    referral_started,
    run_core,
    signed,
    transferred,
)

from .conftest import Replay

C = date(2023, 1, 1)


def plus(day: date | str, n: int) -> date:
    return (day if isinstance(day, date) else date.fromisoformat(day)) + timedelta(days=n)


# --- HANDOFF_MISSING (T = 14) -----------------------------------------------------------------

def handoff_events(transfer_on: date | None) -> list[dict[str, object]]:
    evs = [signed("k1", "2022-09-01"), assigned("w1", OULU, "2022-09-01"),
           assigned("w9", WBA, "2022-12-01")]
    if transfer_on is not None:
        evs.append(transferred("k1", transfer_on))
    return evs


def test_handoff_missing_for_exactly_14_days_is_not_a_gap() -> None:
    r = run_core(handoff_events(plus(C, 14)), as_of="2023-03-31")
    assert r.of("HANDOFF_MISSING") == []


def test_handoff_missing_for_15_days_is_a_closed_gap_ending_on_the_transfer_day() -> None:
    r = run_core(handoff_events(plus(C, 15)), as_of="2023-03-31")
    assert r.of("HANDOFF_MISSING") == [(C, plus(C, 15), 15)]


def test_handoff_missing_still_running_on_the_as_of_day_is_an_open_gap() -> None:
    r = run_core(handoff_events(None), as_of=plus(C, 14))
    assert r.of("HANDOFF_MISSING") == [(C, None, 15)]


def test_handoff_missing_of_14_days_up_to_the_as_of_day_is_not_a_gap() -> None:
    assert run_core(handoff_events(None), as_of=plus(C, 13)).of("HANDOFF_MISSING") == []


def test_handoff_missing_counts_no_day_before_the_cutover() -> None:
    r = run_core(handoff_events(None), as_of="2023-03-31")
    assert r.of("HANDOFF_MISSING") == [(C, None, 90)]


def test_handoff_missing_counts_sosku_but_not_nupa() -> None:
    sosku = run_core([signed("k1", "2022-09-01", service="SOSKU")], as_of="2023-02-01")
    nupa = run_core([signed("k1", "2022-09-01", service="NUPA")], as_of="2023-02-01")
    assert sosku.of("HANDOFF_MISSING") == [(C, None, 32)]
    assert nupa.of("HANDOFF_MISSING") == []


def test_handoff_missing_ignores_contracts_organised_by_the_wellbeing_area() -> None:
    r = run_core([signed("k1", "2022-09-01", organizer=WBA)], as_of="2023-02-01")
    assert r.of("HANDOFF_MISSING") == []


def test_handoff_missing_holds_for_a_municipal_contract_started_after_the_cutover() -> None:
    r = run_core([signed("k1", "2023-02-01")], as_of="2023-02-20")
    assert r.of("HANDOFF_MISSING") == [(date(2023, 2, 1), None, 20)]


def test_handoff_missing_stops_when_the_contract_ends() -> None:
    r = run_core([signed("k1", "2022-09-01"), ended("k1", "2023-01-20")], as_of="2023-03-31")
    assert r.of("HANDOFF_MISSING") == [(C, date(2023, 1, 21), 20)]


def test_handoff_missing_holds_again_after_a_transfer_back_to_a_municipality() -> None:
    r = run_core([signed("k1", "2022-09-01"), transferred("k1", "2023-01-05"),
                  transferred("k1", "2023-02-01", frm=WBA, to="municipality:139")],
                 as_of="2023-02-28")
    assert r.of("HANDOFF_MISSING") == [(date(2023, 2, 1), None, 28)]


def test_handoff_missing_uses_the_configured_cutover_date() -> None:
    from streams.core import Rules
    r = run_core([signed("k1", "2022-09-01")], as_of="2023-03-31",
                 rules=Rules(cutover=date(2023, 3, 1)))
    assert r.of("HANDOFF_MISSING") == [(date(2023, 3, 1), None, 31)]


# --- SERVICE_BREAK (T = 30) -------------------------------------------------------------------

END = date(2023, 1, 31)  # last day of k1; the break starts 2023-02-01


def break_events(next_start: date | None, reason: str = "completed") -> list[dict[str, object]]:
    evs = [signed("k1", "2022-09-01", organizer=WBA), ended("k1", END, reason=reason)]
    if next_start is not None:
        evs.append(signed("k2", next_start, organizer=WBA))
    return evs


def test_service_break_of_exactly_30_days_is_not_a_gap() -> None:
    r = run_core(break_events(plus(END, 31)), as_of="2023-06-30")
    assert r.of("SERVICE_BREAK") == []


def test_service_break_of_31_days_is_a_gap_that_a_new_contract_ends() -> None:
    r = run_core(break_events(plus(END, 32)), as_of="2023-06-30")
    assert r.of("SERVICE_BREAK") == [(plus(END, 1), plus(END, 32), 31)]


def test_service_break_still_running_on_the_as_of_day_is_an_open_gap() -> None:
    r = run_core(break_events(None), as_of=plus(END, 31))
    assert r.of("SERVICE_BREAK") == [(plus(END, 1), None, 31)]


def test_service_break_of_30_days_up_to_the_as_of_day_is_not_a_gap() -> None:
    assert run_core(break_events(None), as_of=plus(END, 30)).of("SERVICE_BREAK") == []


# --- NO_RESPONSIBLE_WORKER (T = 14) -----------------------------------------------------------

START = date(2023, 2, 1)


def worker_events(first_worker: date | None) -> list[dict[str, object]]:
    evs = [signed("k1", START, organizer=WBA)]
    if first_worker is not None:
        evs.append(assigned("w9", WBA, first_worker))
    return evs


def test_no_responsible_worker_for_exactly_14_days_is_not_a_gap() -> None:
    r = run_core(worker_events(plus(START, 14)), as_of="2023-04-30")
    assert r.of("NO_RESPONSIBLE_WORKER") == []


def test_no_responsible_worker_for_15_days_is_a_gap_ended_by_the_assignment() -> None:
    r = run_core(worker_events(plus(START, 15)), as_of="2023-04-30")
    assert r.of("NO_RESPONSIBLE_WORKER") == [(START, plus(START, 15), 15)]


def test_no_responsible_worker_still_running_on_the_as_of_day_is_an_open_gap() -> None:
    r = run_core(worker_events(None), as_of=plus(START, 14))
    assert r.of("NO_RESPONSIBLE_WORKER") == [(START, None, 15)]
    assert run_core(worker_events(None), as_of=plus(START, 13)).of("NO_RESPONSIBLE_WORKER") == []


# --- ATTENDANCE_SILENCE (T = 21) --------------------------------------------------------------

def silence_events(next_present: date | None) -> list[dict[str, object]]:
    evs = [signed("k1", START, organizer=WBA), attendance("k1", START, True)]
    if next_present is not None:
        evs.append(attendance("k1", next_present, True))
    return evs


def test_attendance_silence_of_exactly_21_days_is_not_a_gap() -> None:
    r = run_core(silence_events(plus(START, 22)), as_of=plus(START, 22))
    assert r.of("ATTENDANCE_SILENCE") == []


def test_attendance_silence_of_22_days_is_a_gap_per_contract_ended_by_presence() -> None:
    r = run_core(silence_events(plus(START, 23)), as_of=plus(START, 30))
    gaps = [g for g in r.gaps if g.gap_type == "ATTENDANCE_SILENCE"]
    assert [(g.subject_id, g.started_on, g.ended_on, g.length_days) for g in gaps] == [
        ("k1", plus(START, 1), plus(START, 23), 22)]


def test_attendance_silence_still_running_on_the_as_of_day_is_an_open_gap() -> None:
    r = run_core(silence_events(None), as_of=plus(START, 22))
    assert r.of("ATTENDANCE_SILENCE") == [(plus(START, 1), None, 22)]
    assert run_core(silence_events(None), as_of=plus(START, 21)).of("ATTENDANCE_SILENCE") == []


# --- REFERRAL_STALLED (T = 28 for mental_health and substance_abuse, 60 for the rest) ---------

MADE = date(2023, 2, 1)


@pytest.mark.parametrize("target,t", [
    ("mental_health", 28), ("substance_abuse", 28), ("education", 60), ("employment", 60),
    ("health", 60), ("other", 60)])
def test_referral_stalled_for_exactly_t_days_is_not_a_gap(target: str, t: int) -> None:
    r = run_core([referral_made("r1", MADE, target=target),
                  referral_started("r1", plus(MADE, t))], as_of="2023-12-31")
    assert r.of("REFERRAL_STALLED") == []


@pytest.mark.parametrize("target,t", [
    ("mental_health", 28), ("substance_abuse", 28), ("education", 60), ("other", 60)])
def test_referral_stalled_for_t_plus_1_days_is_a_gap_ended_by_the_start(target: str, t: int
                                                                       ) -> None:
    r = run_core([referral_made("r1", MADE, target=target),
                  referral_started("r1", plus(MADE, t + 1))], as_of="2023-12-31")
    gaps = [g for g in r.gaps if g.gap_type == "REFERRAL_STALLED"]
    assert [(g.subject_id, g.started_on, g.ended_on, g.length_days) for g in gaps] == [
        ("r1", MADE, plus(MADE, t + 1), t + 1)]


@pytest.mark.parametrize("target,t", [("substance_abuse", 28), ("health", 60)])
def test_referral_stalled_on_the_as_of_day_is_an_open_gap_only_past_t(target: str, t: int
                                                                     ) -> None:
    evs = [referral_made("r1", MADE, target=target)]
    assert run_core(evs, as_of=plus(MADE, t - 1)).of("REFERRAL_STALLED") == []
    assert run_core(evs, as_of=plus(MADE, t)).of("REFERRAL_STALLED") == [(MADE, None, t + 1)]


def test_a_closed_referral_stops_stalling_on_its_closing_day() -> None:
    r = run_core([referral_made("r1", MADE), referral_closed("r1", plus(MADE, 29))],
                 as_of="2023-12-31")
    assert r.of("REFERRAL_STALLED") == [(MADE, plus(MADE, 29), 29)]
    r = run_core([referral_made("r1", MADE), referral_closed("r1", plus(MADE, 28))],
                 as_of="2023-12-31")
    assert r.of("REFERRAL_STALLED") == []


def test_the_earlier_of_start_and_closing_ends_a_stalled_referral() -> None:
    r = run_core([referral_made("r1", MADE), referral_closed("r1", plus(MADE, 40)),
                  referral_started("r1", plus(MADE, 35))], as_of="2023-12-31")
    assert r.of("REFERRAL_STALLED") == [(MADE, plus(MADE, 35), 35)]


def test_each_referral_is_its_own_subject() -> None:
    r = run_core([referral_made("r1", MADE), referral_made("r2", plus(MADE, 1))],
                 as_of=plus(MADE, 40))
    got = sorted((g.subject_id, g.started_on, g.ended_on) for g in r.gaps)
    assert got == [("r1", MADE, None), ("r2", plus(MADE, 1), None)]


def test_per_client_gaps_have_no_subject_id() -> None:
    r = run_core(handoff_events(None) + break_events(None), as_of="2023-06-30")
    per_client = [g for g in r.gaps if g.gap_type in (
        "HANDOFF_MISSING", "SERVICE_BREAK", "NO_RESPONSIBLE_WORKER")]
    assert per_client and all(g.subject_id is None for g in per_client)


def test_configured_thresholds_move_the_boundary() -> None:
    from dataclasses import replace

    from streams.core import Rules
    rules = Rules()
    rules = replace(rules, thresholds={**rules.thresholds, "SERVICE_BREAK": 45},
                    referral_thresholds={**rules.referral_thresholds, "mental_health": 10})
    assert run_core(break_events(None), as_of=plus(END, 45), rules=rules).of(
        "SERVICE_BREAK") == []
    assert run_core(break_events(None), as_of=plus(END, 46), rules=rules).of(
        "SERVICE_BREAK") == [(plus(END, 1), None, 46)]
    r = run_core([referral_made("r1", "2023-06-01")], as_of="2023-06-11", rules=rules)
    assert r.of("REFERRAL_STALLED") == [(date(2023, 6, 1), None, 11)]
    r = run_core([referral_made("r1", "2023-06-01")], as_of="2023-06-10", rules=rules)
    assert r.of("REFERRAL_STALLED") == []


# --- the same boundaries in the DuckDB relation: ended_on and is_open -------------------------

CASES = {  # gap_type: (events of a closed gap, as-of, expected row) and the open variant
    "HANDOFF_MISSING": (handoff_events(plus(C, 15)), None, C, plus(C, 15), 15),
    "SERVICE_BREAK": (break_events(plus(END, 32)), None, plus(END, 1), plus(END, 32), 31),
    "NO_RESPONSIBLE_WORKER": (worker_events(plus(START, 15)), None, START, plus(START, 15), 15),
    "ATTENDANCE_SILENCE": (silence_events(plus(START, 23)), "k1", plus(START, 1),
                           plus(START, 23), 22),
    "REFERRAL_STALLED": ([referral_made("r1", MADE), referral_started("r1", plus(MADE, 29))],
                         "r1", MADE, plus(MADE, 29), 29),
}


@pytest.mark.parametrize("gap_type", list(CASES))
def test_a_closed_gap_has_ended_on_the_day_after_its_last_day_and_is_not_open(
        rel: Replay, gap_type: str) -> None:
    events, subject, s, e1, length = CASES[gap_type]
    r = rel(events, as_of=e1)  # the run ends the day before the as-of day
    assert gaps_of(r, gap_type) == [(subject, s, e1, length, False)]


@pytest.mark.parametrize("gap_type", list(CASES))
def test_a_gap_still_running_on_the_as_of_day_has_no_ended_on_and_is_open(
        rel: Replay, gap_type: str) -> None:
    events, subject, s, e1, length = CASES[gap_type]
    r = rel(events, as_of=plus(e1, -1))  # the as-of day is the run's last day
    assert gaps_of(r, gap_type) == [(subject, s, None, length, True)]
