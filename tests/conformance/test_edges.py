"""Edges of SPEC.md that the other files do not reach: runs ending on the as-of day, ties,
several organisers, field limits, configuration."""

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from schemas.door import DeadLetter, admit
from streams.core import Rules
from tests.helpers import (
    KEY,
    OULU,
    WBA,
    amended,
    assigned,
    attendance,
    ended,
    event,
    producer,
    referral_made,
    referral_started,
    resumed,
    run_core,
    signed,
    suspended,
    transferred,
    unassigned,
)

D = date.fromisoformat


# --- runs that reach the as-of day ------------------------------------------------------------

def test_a_run_whose_last_day_is_the_as_of_day_is_open() -> None:
    # the contract's last day is A itself: e = A, so ended_on is NULL
    r = run_core([signed("k1", "2022-09-01"), ended("k1", "2023-01-20")], as_of="2023-01-20")
    assert r.of("HANDOFF_MISSING") == [(D("2023-01-01"), None, 20)]


def test_a_run_ending_the_day_before_the_as_of_day_is_closed_on_the_as_of_day() -> None:
    r = run_core([signed("k1", "2022-09-01"), ended("k1", "2023-01-19")], as_of="2023-01-20")
    assert r.of("HANDOFF_MISSING") == [(D("2023-01-01"), D("2023-01-20"), 19)]


def test_no_service_break_before_the_day_after_the_last_day() -> None:
    r = run_core([signed("k1", "2022-09-01", organizer=WBA), ended("k1", "2023-01-31")],
                 as_of="2023-01-31")
    assert r.of("SERVICE_BREAK") == []


def test_a_nupa_contract_ending_last_can_open_a_service_break() -> None:
    r = run_core([signed("k1", "2022-09-01", service="NUPA"), ended("k1", "2023-01-31")],
                 as_of="2023-03-31")
    assert r.of("SERVICE_BREAK") == [(D("2023-02-01"), None, 59)]


def test_an_as_of_day_before_the_cutover_has_no_handoff_gap_and_a_pending_handoff() -> None:
    r = run_core([signed("k1", "2022-09-01"), assigned("w1", OULU, "2022-09-01")],
                 as_of="2022-12-15")
    assert r.of("HANDOFF_MISSING") == []
    assert [h.status for h in r.handoffs] == ["pending"]


def test_a_referral_started_on_its_made_on_day_never_stalls() -> None:
    r = run_core([referral_made("r1", "2023-01-01"), referral_started("r1", "2023-01-01")],
                 as_of="2023-12-31")
    assert r.of("REFERRAL_STALLED") == []


def test_a_referral_made_after_the_as_of_day_does_not_stall() -> None:
    r = run_core([referral_made("r1", "2023-07-01")], as_of="2023-06-30")
    assert r.of("REFERRAL_STALLED") == []


def test_a_referral_start_after_the_as_of_day_does_not_end_the_stall() -> None:
    r = run_core([referral_made("r1", "2023-01-01"), referral_started("r1", "2023-07-01")],
                 as_of="2023-06-30")
    assert r.of("REFERRAL_STALLED") == [(D("2023-01-01"), None, 181)]


# --- ties and the order of facts --------------------------------------------------------------

def test_assignment_and_unassignment_on_one_day_the_later_occurred_at_wins() -> None:
    base = [signed("k1", "2023-02-01", organizer=WBA)]
    off_last = [assigned("w1", WBA, "2023-02-01", occurred_at="2023-02-01T09:00:00+00:00"),
                unassigned("w1", WBA, "2023-02-01", occurred_at="2023-02-01T10:00:00+00:00")]
    on_last = [assigned("w1", WBA, "2023-02-01", occurred_at="2023-02-01T11:00:00+00:00"),
               unassigned("w1", WBA, "2023-02-01", occurred_at="2023-02-01T10:00:00+00:00")]
    assert run_core(base + off_last, as_of="2023-02-28").of("NO_RESPONSIBLE_WORKER") == [
        (D("2023-02-01"), None, 28)]
    assert run_core(base + on_last, as_of="2023-02-28").of("NO_RESPONSIBLE_WORKER") == []


def test_the_latest_assignment_is_the_one_with_the_latest_on_date_not_the_latest_record(
) -> None:
    # an unassignment recorded late but effective earlier does not undo a later assignment
    evs = [signed("k1", "2023-02-01", organizer=WBA),
           assigned("w1", WBA, "2023-02-01", occurred_at="2023-02-01T09:00:00+00:00"),
           unassigned("w1", WBA, "2023-02-10", occurred_at="2023-03-20T09:00:00+00:00"),
           assigned("w1", WBA, "2023-03-01", occurred_at="2023-03-01T09:00:00+00:00")]
    r = run_core(evs, as_of="2023-03-31")
    assert r.of("NO_RESPONSIBLE_WORKER") == [(D("2023-02-10"), D("2023-03-01"), 19)]


def test_a_late_recorded_resumption_still_takes_effect_from_its_on_date() -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA), attendance("k1", "2023-02-01"),
           suspended("k1", "2023-02-02", occurred_at="2023-02-02T09:00:00+00:00"),
           resumed("k1", "2023-03-01", occurred_at="2023-01-01T09:00:00+00:00")]
    r = run_core(evs, as_of="2023-03-31")
    assert r.of("ATTENDANCE_SILENCE") == [(D("2023-03-01"), None, 31)]


def test_two_transfers_effective_on_one_day_the_later_occurred_at_wins() -> None:
    evs = [signed("k1", "2022-09-01"),
           transferred("k1", "2023-01-05", to="municipality:139",
                       occurred_at="2023-01-05T10:00:00+00:00"),
           transferred("k1", "2023-01-05", occurred_at="2023-01-05T09:00:00+00:00")]
    r = run_core(evs, as_of="2023-01-31")
    assert r.contracts[0].organizer == "municipality:139"
    assert r.of("HANDOFF_MISSING") == [(D("2023-01-01"), None, 31)]


def test_a_corrected_contract_signing_the_later_occurred_at_wins() -> None:
    evs = [signed("k1", "2022-09-01", occurred_at="2022-09-01T09:00:00+00:00"),
           signed("k1", "2022-10-01", service="SOSKU", organizer=WBA,
                  occurred_at="2022-09-02T09:00:00+00:00")]
    c = run_core(evs, as_of="2023-01-31").contracts
    assert [(x.start_date, x.service, x.organizer) for x in c] == [
        (D("2022-10-01"), "SOSKU", WBA)]


def test_an_amended_producer_is_the_contracts_producer_as_of_the_as_of_day() -> None:
    evs = [signed("k1", "2022-09-01", organizer=WBA),
           amended("k1", "2023-02-01", new_producer=producer("third_sector", "SRK-2", "139"))]
    before = run_core(evs, as_of="2023-01-31").contracts[0]
    after = run_core(evs, as_of="2023-02-01").contracts[0]
    assert (before.producer_id, before.producer_kind, before.municipality) == (
        "PAJA-1", "municipal", "564")
    assert (after.producer_id, after.producer_kind, after.municipality) == (
        "SRK-2", "third_sector", "139")


# --- several contracts ------------------------------------------------------------------------

def test_each_active_contract_needs_a_worker_of_its_own_organiser() -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA), assigned("w9", WBA, "2023-02-01"),
           signed("k2", "2023-02-10", organizer=OULU, service="SOSKU")]
    r = run_core(evs, as_of="2023-03-31")
    assert r.of("NO_RESPONSIBLE_WORKER") == [(D("2023-02-10"), None, 50)]


def test_handoff_missing_holds_while_any_contract_is_still_municipal() -> None:
    evs = [signed("k1", "2022-09-01"), transferred("k1", "2023-01-03"),
           signed("k2", "2022-09-01", service="SOSKU"), transferred("k2", "2023-01-25")]
    r = run_core(evs, as_of="2023-03-31")
    assert r.of("HANDOFF_MISSING") == [(D("2023-01-01"), D("2023-01-25"), 24)]


def test_overlapping_runs_of_two_contracts_make_one_client_gap() -> None:
    evs = [signed("k1", "2022-09-01"), ended("k1", "2023-01-10"),
           signed("k2", "2023-01-08"), ended("k2", "2023-01-20")]
    r = run_core(evs, as_of="2023-03-31")
    assert r.of("HANDOFF_MISSING") == [(D("2023-01-01"), D("2023-01-21"), 20)]


# --- configuration ----------------------------------------------------------------------------

def test_a_configured_cutover_moves_handoff_and_compliance() -> None:
    rules = replace(Rules(), cutover=date(2023, 3, 1))
    evs = [signed("k1", "2023-01-15"), transferred("k1", "2023-03-15"),
           signed("k2", "2023-03-01", client="c2")]
    r = run_core(evs, as_of="2023-03-31", rules=rules)
    assert [(h.contract_id, h.status) for h in r.handoffs] == [("k1", "transferred")]
    assert [(v.contract_id, v.violation_type) for v in r.violations] == [
        ("k2", "MUNICIPAL_ORGANIZER_AFTER_CUTOVER")]


# --- field limits at the door -----------------------------------------------------------------

def door(e: dict[str, Any]) -> str | None:
    got = admit(json.dumps(e), "test:1", KEY)
    return got.reason if isinstance(got, DeadLetter) else None


@pytest.mark.parametrize("field,ok,bad", [
    ("client_id", "c" * 64, "c" * 65), ("client_id", "p:0123abcd.x_y-Z", ""),
    ("source", "s" * 100, "s" * 101), ("source", "s", ""),
])
def test_envelope_string_limits(field: str, ok: str, bad: str) -> None:
    e = attendance("k1", "2023-01-01")
    assert door({**e, field: ok}) is None
    reason = door({**e, field: bad})
    assert reason is not None and field in reason


@pytest.mark.parametrize("field,ok,bad", [
    ("days_per_week", [1, 5], [0, 6]), ("hours_per_day", [1, 8], [0, 9]),
])
def test_schedule_values_outside_their_range_are_dead_letters(field: str, ok: list[int],
                                                              bad: list[int]) -> None:
    for v in ok:
        assert door(event("contract.signed", {**signed("k1", "2023-01-01")["payload"],
                                              field: v})) is None
    for v in bad:
        reason = door(event("contract.signed", {**signed("k1", "2023-01-01")["payload"],
                                                field: v}))
        assert reason is not None and field in reason


@pytest.mark.parametrize("organizer,ok", [
    ("municipality:564", True), ("wellbeing_area:pohjois-pohjanmaa", True),
    ("municipality:56", False), ("municipality:000", False), ("county:x", False),
    ("564", False), ("", False),
])
def test_organiser_ids_are_municipality_nnn_or_wellbeing_area_name(organizer: str, ok: bool
                                                                  ) -> None:
    reason = door(assigned("w1", organizer, "2023-01-01"))
    assert (reason is None) == ok, reason
    if not ok:
        assert reason is not None and "organization" in reason


def test_an_unknown_producer_municipality_is_a_dead_letter() -> None:
    reason = door(signed("k1", "2023-01-01", producer_municipality="999"))
    assert reason is not None and "producer.municipality" in reason


@pytest.mark.parametrize("etype,field,value", [
    ("contract.signed", "service", "KTTX"),
    ("client.registered", "referred_by", "police"),
    ("referral.made", "target", "housing"),
    ("referral.closed", "outcome", "done"),
    ("contract.suspended", "reason", "holiday"),
])
def test_values_outside_an_enumeration_are_dead_letters(etype: str, field: str, value: str
                                                        ) -> None:
    samples = {
        "contract.signed": signed("k1", "2023-01-01"),
        "client.registered": event("client.registered", {
            "birth_year": 2001, "home_municipality": "564", "referred_by": "self",
            "registered_on": "2023-01-01"}),
        "referral.made": referral_made("r1", "2023-01-01"),
        "referral.closed": event("referral.closed", {"referral_id": "r1",
                                                     "closed_on": "2023-01-01",
                                                     "outcome": "declined"}),
        "contract.suspended": suspended("k1", "2023-01-01"),
    }
    e = samples[etype]
    assert door(e) is None
    reason = door({**e, "payload": {**e["payload"], field: value}})
    assert reason is not None and field in reason


def test_the_worked_example_with_a_transfer_on_2023_01_10_has_no_handoff_gap() -> None:
    evs = [signed("k1", "2022-09-01"), assigned("w1", OULU, "2022-09-01"),
           transferred("k1", "2023-01-10"), assigned("w9", WBA, "2023-02-10")]
    r = run_core(evs, as_of="2023-03-31")
    assert r.of("HANDOFF_MISSING") == []
    assert r.of("NO_RESPONSIBLE_WORKER") == [(D("2023-01-10"), D("2023-02-10"), 31)]


def test_a_correction_effective_after_the_as_of_day_is_left_out_and_the_earlier_holds() -> None:
    evs = [signed("k1", "2022-09-01", organizer=WBA),
           ended("k1", "2023-02-15", reason="completed", occurred_at="2023-02-15T09:00:00+00:00"),
           ended("k1", "2023-02-28", reason="education", occurred_at="2023-03-01T09:00:00+00:00")]
    early = run_core(evs, as_of="2023-02-20").contracts[0]
    late = run_core(evs, as_of="2023-03-31").contracts[0]
    assert (early.last_day, early.end_reason) == (D("2023-02-15"), "completed")
    assert (late.last_day, late.end_reason) == (D("2023-02-28"), "education")
