"""Issue 12, point 7 at the door: each attack is a clear dead letter, and nothing valid is lost."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.door import DeadLetter, admit
from tests.helpers import KEY, attendance, referral_made, registered, signed


def _verdict(e: dict[str, Any] | str) -> Any:
    return admit(e if isinstance(e, str) else json.dumps(e), "f:1", KEY)


@pytest.mark.parametrize("year", [1099511627776, -1, 1899, 2101, 2**63])
def test_an_absurd_birth_year_is_a_dead_letter(year: int) -> None:
    got = _verdict(registered("2022-01-01", birth_year=year))
    assert isinstance(got, DeadLetter) and got.reason.startswith("payload.birth_year:")


def test_a_plausible_birth_year_is_taken() -> None:
    assert not isinstance(_verdict(registered("2022-01-01", birth_year=2005)), DeadLetter)


@pytest.mark.parametrize(("text", "name"), [
    ('{"a": 1, "payload": {}, "payload": {}}', "payload"),
    ('{"event_id": "x", "event_id": "y"}', "event_id"),
])
def test_a_key_twice_in_invalid_json_objects_is_named(text: str, name: str) -> None:
    got = _verdict(text)
    assert isinstance(got, DeadLetter) and got.reason == f"duplicate key: {name}"


def test_a_duplicate_key_at_any_depth_is_a_dead_letter() -> None:
    e = signed("k1", "2023-01-02")
    text = json.dumps(e)
    # the model would read the last payload (valid), DuckDB's json_extract the first
    first = text.replace('"payload": {', '"payload": {"contract_id": "other"}, "payload": {', 1)
    inner = text.replace('"contract_id": "k1"', '"contract_id": "k0", "contract_id": "k1"')
    deep = text.replace('"id": "PAJA-1"', '"id": "PAJA-0", "id": "PAJA-1"')
    for line in (first, inner, deep):
        got = _verdict(line)
        assert isinstance(got, DeadLetter), line
        assert got.reason.startswith("duplicate key: ")
    spaced = text.replace('"contract_id": "k1"', '"contract_id" : "k0", "contract_id" :"k1"')
    got = _verdict(spaced)
    assert isinstance(got, DeadLetter) and got.reason == "duplicate key: contract_id"


def test_a_string_that_holds_key_like_text_is_not_a_duplicate() -> None:
    e = signed("k1", "2023-01-02", source='a":"b":')
    assert not isinstance(_verdict(e), DeadLetter)


@pytest.mark.parametrize("made_on", ["9999-12-31", "2101-01-01"])
def test_a_far_future_effective_date_is_an_impossible_date(made_on: str) -> None:
    got = _verdict(referral_made("r1", made_on, occurred_at="2023-01-02T10:00:00+02:00"))
    assert isinstance(got, DeadLetter)
    assert "payload.made_on" in got.reason and ("impossible date" in got.reason
                                                or "less than or equal" in got.reason)


def test_an_occurred_at_past_2100_is_an_impossible_date_and_tomorrow_is_not() -> None:
    got = _verdict(attendance("k1", "2023-01-02", occurred_at="2101-01-01T00:00:00Z"))
    assert isinstance(got, DeadLetter) and "occurred_at: impossible date" in got.reason
    # the verdict never depends on the day it is given: a record of the 2027 handoff is valid
    later = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    assert not isinstance(_verdict(attendance("k1", "2027-01-02", occurred_at=later)),
                          DeadLetter)


def test_an_effective_date_years_ahead_of_its_record_is_taken() -> None:
    for start in ("2023-10-01", "2027-01-01", "2030-12-31"):  # a handoff fixed by law ahead
        got = _verdict(signed("k1", start, occurred_at="2023-01-02T10:00:00+02:00"))
        assert not isinstance(got, DeadLetter), start


def test_a_line_with_its_newline_gets_the_verdict_of_the_line_without() -> None:
    for text in ('{"event_id": "not json', json.dumps(signed("k1", "2023-01-02")), "[1, 2]"):
        a, b = _verdict(text), _verdict(text + "\n")
        c = _verdict(text + "\r\n")
        if isinstance(a, DeadLetter):
            assert isinstance(b, DeadLetter) and isinstance(c, DeadLetter)
            assert a.reason == b.reason == c.reason and a.raw == b.raw == c.raw
        else:
            assert a == b == c
