"""SPEC.md 4: handoff_status and compliance_violations, read from the DuckDB relations."""

from datetime import date

import pytest

from tests.helpers import (
    WBA,
    amended,
    ended,
    producer,
    signed,
    transferred,
)

from .conftest import Replay

D = date.fromisoformat
A = "2023-03-31"


def status(rel: Replay, events: list[dict[str, object]], as_of: str = A
           ) -> list[tuple[object, ...]]:
    return rel(events, as_of)["handoff_status"]


def one_status(rel: Replay, events: list[dict[str, object]], as_of: str = A
               ) -> tuple[object, object]:
    rows = status(rel, events, as_of)
    assert len(rows) == 1, rows
    return rows[0][5], rows[0][6]


K1 = signed("k1", "2022-09-01", producer_id="PAJA-1")


def test_a_transfer_effective_exactly_14_days_after_the_cutover_is_transferred(rel: Replay
                                                                               ) -> None:
    assert one_status(rel, [K1, transferred("k1", "2023-01-15")]) == (
        "transferred", D("2023-01-15"))


def test_a_transfer_effective_before_the_cutover_is_transferred(rel: Replay) -> None:
    assert one_status(rel, [K1, transferred("k1", "2022-12-15")]) == (
        "transferred", D("2022-12-15"))


def test_a_transfer_effective_15_days_after_the_cutover_is_transferred_late(rel: Replay
                                                                            ) -> None:
    assert one_status(rel, [K1, transferred("k1", "2023-01-16")]) == (
        "transferred_late", D("2023-01-16"))


@pytest.mark.parametrize("last", ["municipality:678", WBA])
def test_a_transfer_corrected_on_its_own_day_counts_as_its_correction_says(
        rel: Replay, last: str) -> None:
    """SPEC.md 1.4: of two transfers of one contract and day the later `occurred_at` wins, as
    organizer(k, d) reads them. An attack (2026-12-06) saw the one corrected to another
    municipality still counted as handed over on time, beside an open HANDOFF_MISSING gap."""
    first = WBA if last != WBA else "municipality:678"
    evs = [K1, transferred("k1", "2023-01-05", to=first, occurred_at="2023-01-05T08:00:00+00:00"),
           transferred("k1", "2023-01-05", to=last, occurred_at="2023-01-06T08:00:00+00:00")]
    got = rel(evs, A)
    assert [r[5:7] for r in got["handoff_status"]] == (
        [("transferred", D("2023-01-05"))] if last == WBA else [("pending", None)])
    assert [r[1] for r in got["continuity_gaps"] if r[1] == "HANDOFF_MISSING"] == (
        [] if last == WBA else ["HANDOFF_MISSING"])


def test_a_contract_that_ended_untransferred_by_the_as_of_day(rel: Replay) -> None:
    assert one_status(rel, [K1, ended("k1", "2023-02-28")]) == ("ended_untransferred", None)


def test_a_contract_that_expired_untransferred_by_the_as_of_day(rel: Replay) -> None:
    evs = [signed("k1", "2022-09-01", planned_end="2023-03-31")]
    assert one_status(rel, evs) == ("ended_untransferred", None)
    assert one_status(rel, evs, as_of="2023-03-30") == ("pending", None)


def test_an_open_untransferred_contract_is_pending(rel: Replay) -> None:
    assert one_status(rel, [K1]) == ("pending", None)


def test_a_transfer_effective_after_the_as_of_day_leaves_the_contract_pending(rel: Replay
                                                                              ) -> None:
    assert one_status(rel, [K1, transferred("k1", "2023-04-01")]) == ("pending", None)


def test_the_first_transfer_to_a_wellbeing_area_counts_not_one_to_a_municipality(rel: Replay
                                                                                 ) -> None:
    evs = [K1, transferred("k1", "2023-01-05", to="municipality:139"),
           transferred("k1", "2023-02-01", frm="municipality:139"),
           transferred("k1", "2023-03-01", frm=WBA, to="municipality:564"),
           transferred("k1", "2023-03-10")]
    assert one_status(rel, evs) == ("transferred_late", D("2023-02-01"))


def test_the_handoff_row_names_the_signed_organisers_municipality(rel: Replay) -> None:
    evs = [signed("k1", "2022-09-01", service="SOSKU", organizer="municipality:139",
                  producer_id="SRK-7", kind="third_sector", producer_municipality="564",
                  client="c7")]
    assert status(rel, evs) == [("k1", "c7", "SOSKU", "139", "SRK-7", "pending", None)]


@pytest.mark.parametrize("why,events", [
    ("NUPA", [signed("k1", "2022-09-01", service="NUPA")]),
    ("starts on the cutover", [signed("k1", "2023-01-01")]),
    ("starts after the cutover", [signed("k1", "2023-02-01")]),
    ("ended before the cutover", [K1, ended("k1", "2022-12-31")]),
    ("expired before the cutover", [signed("k1", "2022-09-01", planned_end="2022-12-31")]),
    ("organised by the wellbeing area", [signed("k1", "2022-09-01", organizer=WBA)]),
])
def test_contracts_that_did_not_have_to_be_handed_over_get_no_row(
        rel: Replay, why: str, events: list[dict[str, object]]) -> None:
    assert status(rel, events) == []


def test_a_contract_ending_on_the_cutover_day_had_to_be_handed_over(rel: Replay) -> None:
    assert one_status(rel, [K1, ended("k1", "2023-01-01")]) == ("ended_untransferred", None)


# --- compliance -------------------------------------------------------------------------------

def violations(rel: Replay, events: list[dict[str, object]], as_of: str = A
               ) -> list[tuple[object, ...]]:
    return [(r[1], r[2], r[3]) for r in rel(events, as_of)["compliance_violations"]]


def test_ktt_bought_from_a_company_is_a_violation_on_its_start_date(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA, kind="company")]
    assert violations(rel, evs) == [("k1", "KTT_FROM_COMPANY", D("2023-02-01"))]


def test_sosku_bought_from_a_company_is_not_a_violation(rel: Replay) -> None:
    assert violations(rel, [signed("k1", "2023-02-01", organizer=WBA, service="SOSKU",
                                   kind="company")]) == []


def test_ktt_whose_producer_is_amended_to_a_company_is_dated_by_its_start_date(rel: Replay
                                                                               ) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA),
           amended("k1", "2023-03-01", new_producer=producer("company", "OY-1"))]
    assert violations(rel, evs) == [("k1", "KTT_FROM_COMPANY", D("2023-02-01"))]


def test_ktt_whose_producer_is_amended_away_from_a_company_is_no_violation(rel: Replay
                                                                         ) -> None:
    """A hunt (2026-12-06): SPEC.md 4 "a KTT contract whose producer kind is company" is the
    producer as SPEC.md 2 has it as of A, the one contracts.producer_kind shows (the schedule
    rule says "ever"; this one does not). Before the amendment, and once an amendment dated
    after A is left out, it is a violation."""
    evs = [signed("k1", "2023-02-01", organizer=WBA, kind="company", producer_id="OY-1"),
           amended("k1", "2023-03-01", new_producer=producer("third_sector", "TS-1"))]
    assert violations(rel, evs) == []
    assert [(c[4], c[5]) for c in rel(evs, A)["contracts"]] == [("TS-1", "third_sector")]
    assert violations(rel, evs, as_of="2023-02-28") == [
        ("k1", "KTT_FROM_COMPANY", D("2023-02-01"))]


def test_handoff_status_names_the_producer_contracts_names(rel: Replay) -> None:
    """A hunt (2026-12-06): SPEC.md 4.1 "if it was signed with a wellbeing area, the producer's
    municipality", and producer_id, are the contract's producer as of A (SPEC.md 2: the latest
    amendment that sets one), as in `contracts`: handoff_status named the signed producer."""
    evs = [signed("k1", "2022-03-01", organizer=WBA, kind="third_sector", producer_id="TS6",
                  producer_municipality="678"),
           transferred("k1", "2022-06-01", frm=WBA, to="municipality:139"),
           amended("k1", "2022-09-01",
                   new_producer=producer("third_sector", "TS6b", "091"))]
    r = rel(evs, A)
    assert [(h[3], h[4]) for h in r["handoff_status"]] == [("091", "TS6b")]
    assert [(c[4], c[6]) for c in r["contracts"]] == [("TS6b", "091")]
    # signed with a municipality: its code, whoever produces it
    r = rel([signed("k2", "2022-03-01", producer_id="P1"),
             amended("k2", "2022-09-01", new_producer=producer("municipal", "P2", "091"))], A)
    assert [(h[3], h[4]) for h in r["handoff_status"]] == [("564", "P2")]


@pytest.mark.parametrize("service", ["KTT", "SOSKU"])
def test_a_municipal_organiser_from_the_cutover_on_is_a_violation(rel: Replay, service: str
                                                                  ) -> None:
    evs = [signed("k1", "2023-01-01", service=service),
           signed("k2", "2023-03-01", service=service, client="c2")]
    assert violations(rel, evs) == [
        ("k1", "MUNICIPAL_ORGANIZER_AFTER_CUTOVER", D("2023-01-01")),
        ("k2", "MUNICIPAL_ORGANIZER_AFTER_CUTOVER", D("2023-03-01"))]


def test_a_municipal_organiser_before_the_cutover_nupa_or_the_wellbeing_area_is_fine(
        rel: Replay) -> None:
    evs = [signed("k1", "2022-12-31"), signed("k2", "2023-02-01", service="NUPA"),
           signed("k3", "2023-02-01", organizer=WBA)]
    assert violations(rel, evs) == []


def test_4_days_a_week_of_4_hours_is_within_the_ktt_limits(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA, days=4, hours=4),
           signed("k2", "2023-02-01", organizer=WBA, days=1, hours=8)]
    assert violations(rel, evs) == []


@pytest.mark.parametrize("days,hours", [(5, 4), (4, 3), (5, None), (None, 3), (5, 1)])
def test_ktt_signed_for_5_days_or_3_hours_is_out_of_limits_from_its_start(
        rel: Replay, days: int | None, hours: int | None) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA, days=days, hours=hours)]
    assert violations(rel, evs) == [("k1", "KTT_SCHEDULE_OUT_OF_LIMITS", D("2023-02-01"))]


def test_missing_schedule_values_are_not_a_violation(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA),
           signed("k2", "2023-02-01", organizer=WBA, days=3),
           signed("k3", "2023-02-01", organizer=WBA, hours=6)]
    assert violations(rel, evs) == []


def test_sosku_for_5_days_is_not_a_ktt_schedule_violation(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA, service="SOSKU", days=5, hours=2)]
    assert violations(rel, evs) == []


def test_an_amendment_to_5_days_is_dated_by_its_amended_on(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA, days=4, hours=4),
           amended("k1", "2023-03-01", days=5)]
    assert violations(rel, evs) == [("k1", "KTT_SCHEDULE_OUT_OF_LIMITS", D("2023-03-01"))]


def test_an_amendment_to_3_hours_combines_with_the_signed_days(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA, days=4, hours=4),
           amended("k1", "2023-02-10", days=3), amended("k1", "2023-03-01", hours=3)]
    assert violations(rel, evs) == [("k1", "KTT_SCHEDULE_OUT_OF_LIMITS", D("2023-03-01"))]


def test_the_first_day_out_of_limits_is_reported_once(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA, days=4, hours=4),
           amended("k1", "2023-03-10", days=5, occurred_at="2023-01-01T00:00:00+00:00"),
           amended("k1", "2023-02-20", hours=2, occurred_at="2023-03-20T00:00:00+00:00"),
           amended("k1", "2023-03-20", hours=5, days=2)]
    assert violations(rel, evs) == [("k1", "KTT_SCHEDULE_OUT_OF_LIMITS", D("2023-02-20"))]


def test_a_schedule_fixed_by_amendment_was_still_out_of_limits_when_signed(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA, days=5, hours=4),
           amended("k1", "2023-02-15", days=4)]
    assert violations(rel, evs) == [("k1", "KTT_SCHEDULE_OUT_OF_LIMITS", D("2023-02-01"))]


def test_an_amendment_after_the_as_of_day_is_not_a_violation_yet(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA, days=4, hours=4),
           amended("k1", "2023-04-01", days=5)]
    assert violations(rel, evs) == []


def test_one_contract_can_break_several_rules_one_row_each(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", kind="company", days=5, hours=3),
           amended("k1", "2023-03-01", days=5, hours=2)]
    got = rel(evs, A)["compliance_violations"]
    assert got == [
        ("c1", "k1", "KTT_FROM_COMPANY", D("2023-02-01")),
        ("c1", "k1", "KTT_SCHEDULE_OUT_OF_LIMITS", D("2023-02-01")),
        ("c1", "k1", "MUNICIPAL_ORGANIZER_AFTER_CUTOVER", D("2023-02-01"))]
