"""SPEC.md 1.4 and 5: dead letters, duplicates, corrections, the as-of date and data issues."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    OULU,
    WBA,
    amended,
    assigned,
    attendance,
    ended,
    event,
    referral_closed,
    referral_made,
    referral_started,
    registered,
    replay_db,
    resumed,
    signed,
    suspended,
    transferred,
    unassigned,
)

from .conftest import Replay

D = date.fromisoformat
CODE = "010594Y9032"  # a synthetic identity code (individual number 903)


def valid() -> dict[str, Any]:
    return attendance("k1", "2023-02-01")


def with_(e: dict[str, Any], **changes: Any) -> str:
    """The event with envelope or `payload.` fields changed (None removes the field)."""
    e = json.loads(json.dumps(e))
    for name, value in changes.items():
        where, field = (e["payload"], name[8:]) if name.startswith("payload_") else (e, name)
        if value is None:
            where.pop(field, None)
        else:
            where[field] = value
    return json.dumps(e)


def no_client(e: dict[str, Any], **extra: Any) -> str:
    e = {k: v for k, v in e.items() if k != "client_id"}
    return json.dumps({**e, **extra})


BAD_LINES: list[tuple[str, str, str]] = [  # (kind, line, a word the reason must contain)
    ("not JSON", '{"event_id": "x", ', "JSON"),
    ("not an object", '["contract.signed", 1]', "object"),
    ("a JSON string", '"hello"', "object"),
    ("unknown type", with_(valid(), event_type="contract.deleted"), "event_type"),
    ("missing type", with_(valid(), event_type=None), "event_type"),
    ("missing envelope field", with_(valid(), occurred_at=None), "occurred_at"),
    ("missing payload field", with_(valid(), payload_contract_id=None), "contract_id"),
    ("missing payload", with_(valid(), payload=None), "payload"),
    ("ill-typed payload field", with_(valid(), payload_present="yes"), "present"),
    ("ill-typed number as string", with_(registered(), payload_birth_year="2001"), "birth_year"),
    ("unknown payload field", with_(valid(), payload_note="hi"), "note"),
    ("wrong schema_version", with_(valid(), schema_version=2), "schema_version"),
    ("schema_version as string", with_(valid(), schema_version="1"), "schema_version"),
    ("schema_version true", with_(valid(), schema_version=True), "schema_version"),
    ("impossible date", with_(valid(), payload_date="2023-02-29"), "date"),
    ("not a date", with_(valid(), payload_date="1.2.2023"), "date"),
    ("naive occurred_at", with_(valid(), occurred_at="2023-02-01T10:00:00"), "occurred_at"),
    # SPEC.md 1.1 and 1.3: ISO 8601 text; pydantic alone reads seconds since 1970 too
    ("occurred_at as seconds since 1970", with_(valid(), occurred_at="1675245600"),
     "occurred_at"),
    ("occurred_at as a number", with_(valid(), occurred_at=1675245600), "occurred_at"),
    ("occurred_at joined by _", with_(valid(), occurred_at="2023-02-01_10:00:00+02:00"),
     "occurred_at"),
    ("a date as seconds since 1970", with_(valid(), payload_date="1675209600"), "date"),
    ("a date as 0", with_(valid(), payload_date="0"), "date"),
    ("a date as a number", with_(valid(), payload_date=1675209600), "date"),
    ("a date with a time", with_(valid(), payload_date="2023-02-01T00:00:00"), "date"),
    ("a date without its zeros", with_(valid(), payload_date="2023-2-1"), "date"),
    ("event_id not a UUID", with_(valid(), event_id="evt-1"), "event_id"),
    ("bad identity code", no_client(valid(), client_hetu="010594Y9033"), "client_hetu"),
    ("identity code with impossible date", no_client(valid(), client_hetu="310294Y903H"),
     "client_hetu"),
    ("unknown municipality", with_(registered(), payload_home_municipality="000"),
     "home_municipality"),
    ("unknown organiser municipality", with_(signed("k1", "2023-01-01"),
                                             payload_organizer="municipality:001"), "organizer"),
    ("both client_id and client_hetu", with_(valid(), client_hetu=CODE), "client_hetu"),
    ("neither client_id nor client_hetu", with_(valid(), client_id=None), "client_id"),
    ("bad client_id", with_(valid(), client_id="has space"), "client_id"),
    ("source too long", with_(valid(), source="s" * 101), "source"),
    ("unknown enum value", with_(ended("k1", "2023-01-01"), payload_reason="fired"), "reason"),
    ("days_per_week out of range", with_(signed("k1", "2023-01-01", days=4),
                                         payload_days_per_week=6), "days_per_week"),
    ("hours_per_day out of range", with_(signed("k1", "2023-01-01", hours=4),
                                         payload_hours_per_day=0), "hours_per_day"),
]


@pytest.mark.parametrize("kind,bad,word", BAD_LINES, ids=[b[0] for b in BAD_LINES])
def test_each_kind_of_bad_input_is_a_dead_letter_with_origin_and_field(
        tmp_path: Path, kind: str, bad: str, word: str) -> None:
    good = [signed("k1", "2023-01-01", organizer=WBA), valid()]
    rel = replay_db(tmp_path, [good[0], bad, good[1]], as_of="2023-02-01")
    assert len(rel["dead_letters"]) == 1
    raw, reason, origin = rel["dead_letters"][0]
    assert origin == f"{tmp_path / 'events.jsonl'}:2"
    assert word.lower() in reason.lower(), reason
    if "client_hetu" in bad:
        hetu = json.loads(bad)["client_hetu"]
        assert hetu not in raw and raw == bad.replace(hetu, "******-****")
    else:
        assert raw == bad
    assert sorted(r[0] for r in rel["events"]) == sorted(e["event_id"] for e in good)


@pytest.mark.parametrize("occurred_at", [
    "2023-02-01T10:00:00+02:00", "2023-02-01T08:00:00Z", "2023-02-01T08:00Z",
    "2023-02-01T10:00:00.123456+02:00", "2023-02-01T10:00:00+0200",
    "2023-02-01t08:00:00z", "2023-02-01 10:00:00+02:00"])  # RFC 3339 allows the last two
def test_iso_8601_timestamps_with_an_offset_are_taken(tmp_path: Path, occurred_at: str) -> None:
    e = json.loads(with_(valid(), occurred_at=occurred_at))
    rel = replay_db(tmp_path, [signed("k1", "2023-01-01", organizer=WBA), e])
    assert rel["dead_letters"] == []
    [when] = [r[2] for r in rel["events"] if r[0] == e["event_id"]]
    assert when.isoformat().startswith("2023-02-01T08:00"), when


def test_client_hetu_without_a_pseudonym_key_is_a_dead_letter_with_a_clear_message(
        tmp_path: Path) -> None:
    bad = no_client(valid(), client_hetu=CODE)
    rel = replay_db(tmp_path, [signed("k1", "2023-01-01"), bad], key=None)
    [(raw, reason, origin)] = rel["dead_letters"]
    assert "JATKUMO_PSEUDONYM_KEY" in reason and "client_hetu" in reason
    assert CODE not in raw and "******-****" in raw
    assert origin.endswith(":2")
    assert len(rel["events"]) == 1


@pytest.mark.parametrize("tail", ["\n", "\r", " ", "\n\n"])
def test_an_identity_code_with_anything_after_it_is_a_dead_letter_not_a_second_client(
        tmp_path: Path, tail: str) -> None:
    """SPEC.md 1.2: DDMMYY, the sign, NNN and the check character, no more. An attack
    (2026-12-06): with one final line feed the code was taken, and its pseudonym (HMAC of the
    code and the line feed) made the same person a second client."""
    good = no_client(valid(), client_hetu=CODE)
    bad = no_client(attendance("k1", "2023-02-02"), client_hetu=CODE + tail)
    rel = replay_db(tmp_path, [signed("k1", "2023-01-01"), good, bad])
    [(raw, reason, origin)] = rel["dead_letters"]
    assert "client_hetu" in reason and origin.endswith(":3")
    assert CODE not in raw and "******-****" in raw
    assert len({r[5] for r in rel["events"]} - {"c1"}) == 1  # one pseudonym, the code's


def test_dead_letters_do_not_stop_the_run_and_every_valid_line_is_kept(tmp_path: Path) -> None:
    lines: list[Any] = []
    good_ids = []
    for i, (_, bad, _) in enumerate(BAD_LINES):
        e = attendance("k1", date(2023, 1, 1 + i % 28).isoformat())
        good_ids.append(e["event_id"])
        lines += [e, bad, ""]
    rel = replay_db(tmp_path, [signed("k1", "2023-01-01", organizer=WBA), *lines])
    assert len(rel["dead_letters"]) == len(BAD_LINES)
    assert {r[0] for r in rel["events"]} >= set(good_ids)
    assert len(rel["events"]) == len(BAD_LINES) + 1
    origins = sorted(int(r[2].rsplit(":", 1)[1]) for r in rel["dead_letters"])
    assert origins == [3 + 3 * i for i in range(len(BAD_LINES))]


def test_a_line_that_is_not_utf8_is_a_dead_letter(tmp_path: Path) -> None:
    src = tmp_path / "bin.jsonl"
    src.write_bytes(json.dumps(valid()).encode() + b"\n" + b'{"event_id": "\xff\xfe"}\n')
    from services.config import Settings
    from services.replay import replay
    from tests.helpers import KEY, read_relations
    replay(src, tmp_path / "bin.duckdb", Settings(pseudonym_key=KEY), None)
    rel = read_relations(tmp_path / "bin.duckdb")
    assert [r[2] for r in rel["dead_letters"]] == [f"{src}:2"]
    assert len(rel["events"]) == 1


# --- duplicates and corrections --------------------------------------------------------------

def test_a_second_event_with_the_same_event_id_is_ignored(rel: Replay) -> None:
    k = signed("k1", "2023-01-01", organizer=WBA)
    end = ended("k1", "2023-01-31")
    r = rel([k, end, k, end, json.dumps(end)], as_of="2023-03-31")
    assert len(r["events"]) == 2
    assert r["contracts"][0][8:] == (D("2023-01-31"), "completed")


def test_an_event_id_with_other_content_takes_the_later_and_lists_the_other(rel: Replay
                                                                            ) -> None:
    """SPEC.md 1.4 (it changed: the first seen no longer wins, whatever the order)."""
    k = signed("k1", "2023-01-01", organizer=WBA)
    end = ended("k1", "2023-01-31")
    other = ended("k1", "2023-02-28", reason="education", event_id=end["event_id"],
                  occurred_at="2023-03-01T00:00:00+00:00")
    for order in ([k, end, other], [k, other, end]):
        r = rel(order, as_of="2023-03-31")
        assert len(r["events"]) == 2
        assert r["contracts"][0][8:] == (D("2023-02-28"), "education")
        assert r["data_issues"] == [(end["event_id"], "conflicting_event_id")]


def test_of_two_contract_ended_the_later_occurred_at_wins(rel: Replay) -> None:
    k = signed("k1", "2023-01-01", organizer=WBA)
    late = ended("k1", "2023-02-28", reason="education", occurred_at="2023-03-01T08:00:00+02:00")
    early = ended("k1", "2023-01-31", reason="completed", occurred_at="2023-03-01T07:00:00+00:00")
    for order in ([k, late, early], [k, early, late]):
        r = rel(order, as_of="2023-03-31")
        # 08:00+02:00 is 06:00 UTC, earlier than 07:00 UTC: the offset counts
        assert r["contracts"][0][8:] == (D("2023-01-31"), "completed")


def test_of_two_contract_ended_with_equal_occurred_at_the_greater_event_id_wins(rel: Replay
                                                                                ) -> None:
    k = signed("k1", "2023-01-01", organizer=WBA)
    at = "2023-03-01T08:00:00+00:00"
    a = ended("k1", "2023-02-28", reason="education", occurred_at=at,
              event_id="00000000-0000-4000-8000-00000000000a")
    b = ended("k1", "2023-01-31", reason="other", occurred_at=at,
              event_id="00000000-0000-4000-8000-00000000000b")
    for order in ([k, a, b], [k, b, a]):
        assert rel(order, as_of="2023-03-31")["contracts"][0][8:] == (D("2023-01-31"), "other")


def test_of_two_attendance_records_for_one_day_the_later_occurred_at_wins(rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA), attendance("k1", "2023-02-01"),
           assigned("w1", WBA, "2023-02-01")]
    absent = attendance("k1", "2023-02-25", False, occurred_at="2023-02-25T10:00:00+00:00")
    present = attendance("k1", "2023-02-25", True, occurred_at="2023-02-25T09:00:00+00:00")
    for order in ([absent, present], [present, absent]):
        gaps = rel(evs + order, as_of="2023-02-25")["continuity_gaps"]
        assert [(g[1], g[3], g[4], g[5], g[6]) for g in gaps] == [
            ("ATTENDANCE_SILENCE", D("2023-02-02"), None, 24, True)]


def test_of_two_attendance_records_with_equal_occurred_at_the_greater_event_id_wins(
        rel: Replay) -> None:
    evs = [signed("k1", "2023-02-01", organizer=WBA), attendance("k1", "2023-02-01"),
           assigned("w1", WBA, "2023-02-01")]
    at = "2023-02-25T10:00:00+00:00"
    present = attendance("k1", "2023-02-25", True, occurred_at=at,
                         event_id="00000000-0000-4000-8000-0000000000ff")
    absent = attendance("k1", "2023-02-25", False, occurred_at=at,
                        event_id="00000000-0000-4000-8000-000000000001")
    for order in ([absent, present], [present, absent]):
        gaps = rel(evs + order, as_of="2023-02-25")["continuity_gaps"]
        assert [(g[1], g[3], g[4], g[5]) for g in gaps] == [
            ("ATTENDANCE_SILENCE", D("2023-02-02"), D("2023-02-25"), 23)]


# --- the as-of date ---------------------------------------------------------------------------

def test_events_effective_after_the_as_of_day_are_stored_but_left_out(rel: Replay) -> None:
    evs = [signed("k1", "2022-09-01"), transferred("k1", "2023-04-10"),
           signed("k2", "2023-04-01", organizer=WBA, kind="company"),
           ended("k1", "2023-04-20", reason="other"), attendance("k1", "2023-04-02"),
           referral_made("r1", "2023-04-01")]
    r = rel(evs, as_of="2023-03-31")
    assert len(r["events"]) == len(evs)
    assert r["as_of"] == [(D("2023-03-31"),)]
    assert [c[0] for c in r["contracts"]] == ["k1"]
    assert r["contracts"][0][3] == "municipality:564"
    assert r["contracts"][0][8:] == (None, None)
    assert r["handoff_status"][0][5:] == ("pending", None)
    assert r["compliance_violations"] == []
    assert [(g[1], g[4]) for g in r["continuity_gaps"]] == [
        ("HANDOFF_MISSING", None), ("NO_RESPONSIBLE_WORKER", None)]


def test_the_default_as_of_date_is_the_latest_effective_date(rel: Replay) -> None:
    evs = [signed("k1", "2022-09-01", occurred_at="2024-01-01T00:00:00+00:00"),
           transferred("k1", "2023-02-20", occurred_at="2022-06-01T00:00:00+00:00"),
           attendance("k1", "2023-01-05")]
    r = rel(evs)
    assert r["as_of"] == [(D("2023-02-20"),)]
    assert r["handoff_status"][0][5:] == ("transferred_late", D("2023-02-20"))


def test_the_default_as_of_date_ignores_dead_letters(rel: Replay) -> None:
    bad = with_(attendance("k1", "2023-12-01"), payload_present="no")
    r = rel([signed("k1", "2022-09-01"), bad, attendance("k1", "2023-01-05")])
    assert r["as_of"] == [(D("2023-01-05"),)]


def test_the_events_relation_keeps_the_envelope_and_effective_date(rel: Replay) -> None:
    e = suspended("k1", "2023-02-03", occurred_at="2023-02-01T10:00:00+02:00", source="paja:X")
    r = rel([e])
    [(eid, etype, occurred, effective, source, client, payload)] = r["events"]
    assert (eid, etype, effective, source, client) == (
        e["event_id"], "contract.suspended", D("2023-02-03"), "paja:X", "c1")
    assert occurred.isoformat().startswith("2023-02-01T08:00:00")
    assert json.loads(payload) == e["payload"]


# --- data issues ------------------------------------------------------------------------------

@pytest.mark.parametrize("orphan", [
    ended("k9", "2023-02-01"), suspended("k9", "2023-02-01"), resumed("k9", "2023-02-01"),
    transferred("k9", "2023-02-01"), attendance("k9", "2023-02-01"),
    event("contract.amended", {"contract_id": "k9", "amended_on": "2023-02-01",
                               "days_per_week": 3}),
    referral_started("r9", "2023-02-01"), referral_closed("r9", "2023-02-01"),
], ids=lambda e: e["event_type"])
def test_an_event_about_an_unknown_contract_or_referral_is_kept_and_listed(
        rel: Replay, orphan: dict[str, Any]) -> None:
    r = rel([signed("k1", "2023-01-01", organizer=WBA), referral_made("r1", "2023-01-01"),
             orphan], as_of="2023-02-28")
    assert [row[0] for row in r["data_issues"]] == [orphan["event_id"]]
    assert orphan["event_id"] in {e[0] for e in r["events"]}
    assert r["dead_letters"] == []
    assert [c[0] for c in r["contracts"]] == ["k1"]


@pytest.mark.parametrize("make", [
    lambda at: attendance("k9", "2023-02-01", occurred_at=at),
    lambda at: ended("k9", "2023-02-01", occurred_at=at),
], ids=["attendance.recorded", "contract.ended"])
def test_every_version_of_a_corrected_fact_about_an_unknown_contract_is_listed(
        rel: Replay, make: Any) -> None:
    """A hunt (2026-12-06): two attendance records of one day for a contract never signed
    listed only the later one (the correction's winner); the earlier one refers to the unknown
    contract as much, as both versions of an unknown contract's end are listed. Either order."""
    first, later = make("2023-02-01T08:00:00+00:00"), make("2023-02-02T08:00:00+00:00")
    for events in ([first, later], [later, first]):
        r = rel([signed("k1", "2023-01-01", organizer=WBA), *events], as_of="2023-02-28")
        assert sorted(row[0] for row in r["data_issues"]) == sorted(
            [first["event_id"], later["event_id"]])
        assert all(row[1].startswith("unknown_contract:") for row in r["data_issues"])


def test_an_unassignment_of_a_worker_never_assigned_is_kept_and_listed(rel: Replay) -> None:
    """SPEC.md 1.4: an event that refers to something never seen is listed. An unassignment
    refers to an assignment of that worker by that organisation to the client: one on any day
    (also after the unassignment, or after the as-of date) is seen; none is not."""
    orphan = unassigned("w9", WBA, "2023-01-10")
    other_org = unassigned("w1", OULU, "2023-01-12")
    late = unassigned("w2", WBA, "2023-01-05")
    r = rel([signed("k1", "2023-01-01", organizer=WBA), assigned("w1", WBA, "2023-01-01"),
             orphan, other_org, late, assigned("w2", WBA, "2023-03-01"),
             unassigned("w1", WBA, "2023-01-20")], as_of="2023-02-28")
    got = {row[0]: row[1] for row in r["data_issues"]}
    assert set(got) == {orphan["event_id"], other_org["event_id"]}, got
    assert got[orphan["event_id"]].startswith("unknown_assignment:")
    assert orphan["event_id"] in {e[0] for e in r["events"]}
    # it stops nothing: w1 was the worker from 2023-01-01 to 2023-01-19
    assert [(g[1], g[3]) for g in r["continuity_gaps"]] == [
        ("NO_RESPONSIBLE_WORKER", D("2023-01-20"))]


def test_known_contracts_and_referrals_raise_no_data_issue(rel: Replay) -> None:
    r = rel([signed("k1", "2023-01-01", organizer=WBA), attendance("k1", "2023-01-02"),
             ended("k1", "2023-01-31"), referral_made("r1", "2023-01-01"),
             referral_started("r1", "2023-01-05"), assigned("w1", WBA, "2023-01-01")],
            as_of="2023-02-28")
    assert r["data_issues"] == []


def test_an_orphan_event_does_not_stop_the_rest_of_the_client(rel: Replay) -> None:
    r = rel([ended("k9", "2023-01-10"), signed("k1", "2023-02-01", organizer=WBA)],
            as_of="2023-02-20")
    assert len(r["data_issues"]) == 1
    assert [(g[1], g[3], g[5]) for g in r["continuity_gaps"]] == [
        ("NO_RESPONSIBLE_WORKER", D("2023-02-01"), 20)]


def test_the_events_relation_has_the_effective_date_of_every_event_type(rel: Replay) -> None:
    evs = [
        registered("2023-01-01"), signed("k1", "2023-01-02"),
        amended("k1", "2023-01-03", days=3), suspended("k1", "2023-01-04"),
        resumed("k1", "2023-01-05"), ended("k1", "2023-01-06"),
        transferred("k1", "2023-01-07"), assigned("w1", WBA, "2023-01-08"),
        unassigned("w1", WBA, "2023-01-09"), attendance("k1", "2023-01-10"),
        referral_made("r1", "2023-01-11"), referral_started("r1", "2023-01-12"),
        referral_closed("r1", "2023-01-13"),
    ]
    r = rel(evs)
    got = {e[0]: (e[1], e[3]) for e in r["events"]}
    assert got == {e["event_id"]: (e["event_type"], D(f"2023-01-{n:02d}"))
                   for n, e in enumerate(evs, start=1)}
    assert r["as_of"] == [(D("2023-01-13"),)]


def test_an_upper_case_event_id_is_the_same_id_everywhere(rel: Replay) -> None:
    orphan = ended("k9", "2023-02-01", event_id="ABCDEF00-0000-4000-8000-0000000000AA")
    again = {**orphan, "event_id": orphan["event_id"].lower()}
    r = rel([orphan, again], as_of="2023-02-28")
    assert [e[0].lower() for e in r["events"]] == [again["event_id"]]
    assert [i[0].lower() for i in r["data_issues"]] == [again["event_id"]]
    assert r["events"][0][0] == r["data_issues"][0][0]


SECTION_5_TYPES = {
    "as_of": {"as_of_date": "DATE"},
    "events": {"event_id": "VARCHAR", "event_type": "VARCHAR", "occurred_at": "TIMESTAMP",
               "effective_date": "DATE", "source": "VARCHAR", "client_id": "VARCHAR",
               "payload": "JSON"},
    "dead_letters": {"raw": "VARCHAR", "reason": "VARCHAR", "origin": "VARCHAR"},
    "contracts": {"contract_id": "VARCHAR", "client_id": "VARCHAR", "service": "VARCHAR",
                  "organizer": "VARCHAR", "producer_id": "VARCHAR", "producer_kind": "VARCHAR",
                  "municipality": "VARCHAR", "start_date": "DATE", "last_day": "DATE",
                  "end_reason": "VARCHAR"},
    "continuity_gaps": {"client_id": "VARCHAR", "gap_type": "VARCHAR", "subject_id": "VARCHAR",
                        "started_on": "DATE", "ended_on": "DATE", "length_days": "INT",
                        "is_open": "BOOLEAN"},
    "handoff_status": {"contract_id": "VARCHAR", "client_id": "VARCHAR", "service": "VARCHAR",
                       "municipality": "VARCHAR", "producer_id": "VARCHAR", "status": "VARCHAR",
                       "transferred_on": "DATE"},
    "compliance_violations": {"client_id": "VARCHAR", "contract_id": "VARCHAR",
                              "violation_type": "VARCHAR", "on_date": "DATE"},
    "data_issues": {"event_id": "VARCHAR", "issue": "VARCHAR"},
}


def test_every_section_5_relation_has_its_columns_with_fitting_types(tmp_path: Path) -> None:
    import duckdb
    replay_db(tmp_path, [signed("k1", "2023-01-01")])
    con = duckdb.connect(str(tmp_path / "events.duckdb"), read_only=True)
    try:
        for relation, columns in SECTION_5_TYPES.items():
            have = {name: kind for name, kind, *_ in con.execute(f"DESCRIBE {relation}").fetchall()}
            for name, kind in columns.items():
                assert name in have, f"{relation}.{name} is missing"
                assert have[name].startswith(kind) or (kind == "INT" and "INT" in have[name]), (
                    f"{relation}.{name} is {have[name]}, expected {kind}")
        assert con.execute("SELECT count(*) FROM as_of").fetchone() == (1,)
    finally:
        con.close()
