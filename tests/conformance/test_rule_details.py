"""SPEC.md 2 and 3 in detail: SERVICE_BREAK's conditions, responsible workers, attendance,
suspensions, expiry and transfers."""

from datetime import date

import pytest

from tests.helpers import (
    OULU,
    WBA,
    amended,
    assigned,
    attendance,
    ended,
    referral_made,
    resumed,
    run_core,
    signed,
    suspended,
    transferred,
    unassigned,
)

D = date.fromisoformat
A = "2023-06-30"


def k1_ended(reason: str, last: str = "2023-01-31") -> list[dict[str, object]]:
    return [signed("k1", "2022-09-01", organizer=WBA), ended("k1", last, reason=reason)]


# --- SERVICE_BREAK ----------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["education", "employment", "moved_away"])
def test_a_contract_ended_for_a_settled_reason_leaves_no_service_break(reason: str) -> None:
    assert run_core(k1_ended(reason), as_of=A).of("SERVICE_BREAK") == []


@pytest.mark.parametrize("reason", ["completed", "interrupted", "other"])
def test_a_contract_ended_for_another_reason_opens_a_service_break(reason: str) -> None:
    assert run_core(k1_ended(reason), as_of=A).of("SERVICE_BREAK") == [
        (D("2023-02-01"), None, 150)]


def test_an_expired_contract_opens_a_service_break() -> None:
    r = run_core([signed("k1", "2022-09-01", organizer=WBA, planned_end="2023-01-31")], as_of=A)
    assert r.of("SERVICE_BREAK") == [(D("2023-02-01"), None, 150)]


def test_a_referral_made_on_the_last_day_prevents_the_service_break() -> None:
    r = run_core([*k1_ended("completed"), referral_made("r1", "2023-01-31")], as_of=A)
    assert r.of("SERVICE_BREAK") == []


def test_a_referral_made_the_day_before_the_last_day_does_not_count() -> None:
    r = run_core([*k1_ended("completed"), referral_made("r1", "2023-01-30", target="education")],
                 as_of="2023-03-31")
    assert r.of("SERVICE_BREAK") == [(D("2023-02-01"), None, 59)]


def test_a_referral_made_during_the_break_ends_it_on_its_made_on_day() -> None:
    r = run_core([*k1_ended("interrupted"), referral_made("r1", "2023-03-10")], as_of=A)
    assert r.of("SERVICE_BREAK") == [(D("2023-02-01"), D("2023-03-10"), 37)]


def test_a_referral_made_within_30_days_of_the_end_leaves_no_service_break() -> None:
    r = run_core([*k1_ended("other"), referral_made("r1", "2023-03-02")], as_of=A)
    assert r.of("SERVICE_BREAK") == []  # days 02-01..03-01: 29 days


def test_a_new_contract_starting_ends_the_service_break() -> None:
    r = run_core([*k1_ended("completed"), signed("k2", "2023-04-01", service="NUPA")], as_of=A)
    assert r.of("SERVICE_BREAK") == [(D("2023-02-01"), D("2023-04-01"), 59)]


def test_no_service_break_while_another_contract_is_active() -> None:
    r = run_core([*k1_ended("completed"), signed("k2", "2023-01-15", organizer=WBA)], as_of=A)
    assert r.of("SERVICE_BREAK") == []


def test_a_client_who_never_had_a_contract_has_no_service_break() -> None:
    assert run_core([referral_made("r1", "2023-01-01", client="c9")], as_of=A).of(
        "SERVICE_BREAK") == []


def test_an_open_contract_never_makes_a_service_break() -> None:
    assert run_core([signed("k1", "2022-09-01")], as_of=A).of("SERVICE_BREAK") == []


def test_contracts_sharing_the_greatest_last_day_need_only_one_unsettled_reason() -> None:
    r = run_core([*k1_ended("education"),
        signed("k2", "2022-10-01", organizer=WBA, service="SOSKU"),
        ended("k2", "2023-01-31", reason="completed")], as_of=A)
    assert r.of("SERVICE_BREAK") == [(D("2023-02-01"), None, 150)]


def test_contracts_sharing_the_greatest_last_day_all_settled_leave_no_service_break() -> None:
    r = run_core([*k1_ended("education"),
        signed("k2", "2022-10-01", organizer=WBA, service="SOSKU"),
        ended("k2", "2023-01-31", reason="moved_away")], as_of=A)
    assert r.of("SERVICE_BREAK") == []


def test_only_the_contract_with_the_greatest_last_day_decides() -> None:
    # k1 ends 'completed' on 01-31, k2 (overlapping) ends 'education' on 02-15: after 02-15 the
    # greatest last_day is k2's, a settled end, so no break at all.
    r = run_core([*k1_ended("completed"),
        signed("k2", "2022-10-01", organizer=WBA),
        ended("k2", "2023-02-15", reason="education")],
        as_of=A)
    assert r.of("SERVICE_BREAK") == []


def test_a_later_unsettled_end_reopens_a_break_after_a_settled_one() -> None:
    r = run_core([*k1_ended("education"),
        signed("k2", "2023-03-01", organizer=WBA),
        ended("k2", "2023-04-30", reason="other")],
        as_of=A)
    assert r.of("SERVICE_BREAK") == [(D("2023-05-01"), None, 61)]


def test_a_referral_made_before_a_later_contract_ended_does_not_cover_its_break() -> None:
    r = run_core([*k1_ended("completed"),
        referral_made("r1", "2023-02-05"),
        signed("k2", "2023-03-01", organizer=WBA),
        ended("k2", "2023-03-31", reason="completed")], as_of=A)
    assert r.of("SERVICE_BREAK") == [(D("2023-04-01"), None, 91)]


def test_an_end_reason_correction_decides_the_service_break() -> None:
    r = run_core([*k1_ended("completed"),
        ended("k1", "2023-01-31", reason="employment", occurred_at="2023-02-02T08:00:00+02:00")],
        as_of=A)
    assert r.of("SERVICE_BREAK") == []


# --- NO_RESPONSIBLE_WORKER --------------------------------------------------------------------

def test_a_worker_of_another_organisation_is_not_responsible() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), assigned("w1", OULU, "2023-02-01")],
                 as_of="2023-03-31")
    assert r.of("NO_RESPONSIBLE_WORKER") == [(D("2023-02-01"), None, 59)]


def test_a_worker_of_another_client_is_not_responsible() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA),
                  assigned("w1", WBA, "2023-02-01", client="c2")], as_of="2023-03-31")
    assert r.of("NO_RESPONSIBLE_WORKER") == [(D("2023-02-01"), None, 59)]


def test_an_unassignment_starts_days_without_a_worker_from_its_on_date() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), assigned("w1", WBA, "2023-02-01"),
                  unassigned("w1", WBA, "2023-03-01")], as_of="2023-03-31")
    assert r.of("NO_RESPONSIBLE_WORKER") == [(D("2023-03-01"), None, 31)]


def test_another_worker_of_the_organiser_keeps_the_client_covered() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), assigned("w1", WBA, "2023-02-01"),
                  assigned("w2", WBA, "2023-02-20"), unassigned("w1", WBA, "2023-03-01")],
                 as_of="2023-03-31")
    assert r.of("NO_RESPONSIBLE_WORKER") == []


def test_reassignment_ends_the_days_without_a_worker() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), assigned("w1", WBA, "2023-02-01"),
                  unassigned("w1", WBA, "2023-03-01"), assigned("w1", WBA, "2023-03-20")],
                 as_of="2023-03-31")
    assert r.of("NO_RESPONSIBLE_WORKER") == [(D("2023-03-01"), D("2023-03-20"), 19)]


def test_no_responsible_worker_follows_the_organiser_through_a_transfer() -> None:
    r = run_core([signed("k1", "2022-09-01"), assigned("w1", OULU, "2022-09-01"),
                  transferred("k1", "2023-01-05"), assigned("w9", WBA, "2023-02-01")],
                 as_of="2023-03-31")
    assert r.of("NO_RESPONSIBLE_WORKER") == [(D("2023-01-05"), D("2023-02-01"), 27)]


def test_no_responsible_worker_ignores_nupa_contracts() -> None:
    r = run_core([signed("k1", "2023-02-01", service="NUPA")], as_of="2023-03-31")
    assert r.of("NO_RESPONSIBLE_WORKER") == []


def test_no_responsible_worker_holds_only_while_a_contract_is_active() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), ended("k1", "2023-02-20")],
                 as_of="2023-03-31")
    assert r.of("NO_RESPONSIBLE_WORKER") == [(D("2023-02-01"), D("2023-02-21"), 20)]


# --- suspensions ------------------------------------------------------------------------------

def test_suspension_does_not_stop_the_first_three_rules() -> None:
    r = run_core([signed("k1", "2022-09-01"), suspended("k1", "2022-12-01")], as_of="2023-02-28")
    assert r.of("HANDOFF_MISSING") == [(D("2023-01-01"), None, 59)]
    assert r.of("NO_RESPONSIBLE_WORKER") == [(D("2022-09-01"), None, 181)]
    assert r.of("SERVICE_BREAK") == []


def test_suspended_days_are_not_attendance_silence() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), attendance("k1", "2023-02-01"),
                  suspended("k1", "2023-02-02"), resumed("k1", "2023-05-01")],
                 as_of="2023-05-22")
    assert r.of("ATTENDANCE_SILENCE") == [(D("2023-05-01"), None, 22)]


def test_a_suspension_and_resumption_on_the_same_day_leave_the_contract_not_suspended() -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA), attendance("k1", "2023-02-01"),
           resumed("k1", "2023-02-02", occurred_at="2023-01-01T00:00:00+00:00"),
           suspended("k1", "2023-02-02", occurred_at="2023-03-01T00:00:00+00:00")]
    r = run_core(evs, as_of="2023-02-28")
    assert r.of("ATTENDANCE_SILENCE") == [(D("2023-02-02"), None, 27)]


def test_a_suspension_without_resumption_lasts_to_the_as_of_day() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), attendance("k1", "2023-02-01"),
                  suspended("k1", "2023-02-10")], as_of="2023-06-30")
    assert r.of("ATTENDANCE_SILENCE") == []


def test_a_later_suspension_after_a_resumption_counts_again() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), attendance("k1", "2023-02-01"),
                  suspended("k1", "2023-02-02"), resumed("k1", "2023-02-10"),
                  suspended("k1", "2023-03-10")], as_of="2023-06-30")
    assert r.of("ATTENDANCE_SILENCE") == [(D("2023-02-10"), D("2023-03-10"), 28)]


# --- attendance -------------------------------------------------------------------------------

def test_a_contract_without_attendance_records_has_no_attendance_silence() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA)], as_of="2023-06-30")
    assert r.of("ATTENDANCE_SILENCE") == []


def test_absence_records_are_silence_and_make_the_contract_watched() -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA)]
    evs += [attendance("k1", f"2023-02-{n:02d}", False) for n in range(1, 23)]
    r = run_core(evs, as_of="2023-02-22")
    assert r.of("ATTENDANCE_SILENCE") == [(D("2023-02-01"), None, 22)]


def test_attendance_silence_counts_only_days_the_contract_is_active() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), attendance("k1", "2023-01-01"),
                  ended("k1", "2023-03-31")], as_of="2023-06-30")
    assert r.of("ATTENDANCE_SILENCE") == [(D("2023-02-01"), D("2023-04-01"), 59)]


def test_attendance_silence_is_per_contract() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), attendance("k1", "2023-02-01"),
                  signed("k2", "2023-02-01", organizer=WBA), attendance("k2", "2023-02-20")],
                 as_of="2023-03-31")
    got = sorted((g.subject_id, g.started_on, g.ended_on, g.length_days)
                 for g in r.gaps if g.gap_type == "ATTENDANCE_SILENCE")
    assert got == [("k1", D("2023-02-02"), None, 58), ("k2", D("2023-02-21"), None, 39)]


def test_an_attendance_record_after_the_as_of_day_does_not_make_the_contract_watched() -> None:
    r = run_core([signed("k1", "2023-02-01", organizer=WBA), attendance("k1", "2023-07-01")],
                 as_of="2023-06-30")
    assert r.of("ATTENDANCE_SILENCE") == []


# --- expiry and amendments --------------------------------------------------------------------

def contract_row(r: object, contract: str = "k1") -> tuple[object, ...]:
    rows = [c for c in r.contracts if c.contract_id == contract]  # type: ignore[attr-defined]
    assert len(rows) == 1
    c = rows[0]
    return (c.start_date, c.last_day, c.end_reason)


def test_a_signed_planned_end_date_makes_the_contract_expire() -> None:
    r = run_core([signed("k1", "2023-01-01", planned_end="2023-03-31")], as_of=A)
    assert contract_row(r) == (D("2023-01-01"), D("2023-03-31"), "expired")


def test_the_amendment_with_the_latest_amended_on_sets_the_planned_end() -> None:
    r = run_core([
        signed("k1", "2023-01-01", planned_end="2023-03-31"),
        amended("k1", "2023-03-01", planned_end="2023-05-31",
                occurred_at="2023-02-01T00:00:00+00:00"),
        amended("k1", "2023-02-01", planned_end="2023-04-30",
                occurred_at="2023-03-15T00:00:00+00:00")], as_of=A)
    assert contract_row(r) == (D("2023-01-01"), D("2023-05-31"), "expired")


def test_amendments_on_the_same_day_are_ordered_by_occurred_at() -> None:
    r = run_core([
        signed("k1", "2023-01-01"),
        amended("k1", "2023-02-01", planned_end="2023-05-31",
                occurred_at="2023-02-01T10:00:00+00:00"),
        amended("k1", "2023-02-01", planned_end="2023-04-30",
                occurred_at="2023-02-01T09:00:00+00:00")], as_of=A)
    assert contract_row(r) == (D("2023-01-01"), D("2023-05-31"), "expired")


def test_an_amendment_that_does_not_set_the_planned_end_keeps_the_earlier_one() -> None:
    r = run_core([signed("k1", "2023-01-01", planned_end="2023-03-31"),
                  amended("k1", "2023-02-01", planned_end="2023-04-30"),
                  amended("k1", "2023-02-15", days=3)], as_of=A)
    assert contract_row(r) == (D("2023-01-01"), D("2023-04-30"), "expired")


def test_a_contract_ended_event_wins_over_the_planned_end() -> None:
    r = run_core([signed("k1", "2023-01-01", planned_end="2023-03-31"),
                  ended("k1", "2023-02-28", reason="employment")], as_of=A)
    assert contract_row(r) == (D("2023-01-01"), D("2023-02-28"), "employment")


def test_a_contract_without_end_or_planned_end_is_open() -> None:
    r = run_core([signed("k1", "2023-01-01")], as_of=A)
    assert contract_row(r) == (D("2023-01-01"), None, None)


def test_an_amendment_effective_after_the_as_of_day_is_left_out() -> None:
    r = run_core([signed("k1", "2023-01-01", planned_end="2023-03-31"),
                  amended("k1", "2023-07-01", planned_end="2023-12-31")], as_of=A)
    assert contract_row(r) == (D("2023-01-01"), D("2023-03-31"), "expired")


def test_an_expired_contract_is_not_active_after_its_planned_end() -> None:
    r = run_core([signed("k1", "2022-09-01", planned_end="2023-01-05")], as_of=A)
    assert r.of("HANDOFF_MISSING") == []  # only 5 days after the cutover


# --- responsibility transfers -----------------------------------------------------------------

def test_the_contracts_organiser_is_the_one_as_of_the_as_of_day() -> None:
    evs = [signed("k1", "2022-09-01"), transferred("k1", "2023-01-10")]
    assert run_core(evs, as_of="2023-01-09").contracts[0].organizer == OULU
    assert run_core(evs, as_of="2023-01-10").contracts[0].organizer == WBA


def test_the_latest_transfer_by_effective_date_sets_the_organiser() -> None:
    evs = [signed("k1", "2022-09-01"),
           transferred("k1", "2023-02-01", frm=WBA, to="municipality:139",
                       occurred_at="2023-01-01T00:00:00+00:00"),
           transferred("k1", "2023-01-10", occurred_at="2023-02-05T00:00:00+00:00")]
    assert run_core(evs, as_of="2023-03-31").contracts[0].organizer == "municipality:139"
    assert run_core(evs, as_of="2023-01-31").contracts[0].organizer == WBA


def test_the_contract_row_carries_the_producer_and_its_municipality() -> None:
    r = run_core([signed("k1", "2022-09-01", kind="third_sector", producer_id="SRK-7",
                         producer_municipality="139")], as_of=A)
    c = r.contracts[0]
    assert (c.contract_id, c.client_id, c.service, c.producer_id, c.producer_kind,
            c.municipality) == ("k1", "c1", "KTT", "SRK-7", "third_sector", "139")
