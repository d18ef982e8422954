"""Codes a reader sees that the bytes hide (a hunt, 2026-12-06): direction marks that put a
code's digit runs in order as a browser lays them out, characters that look like digits,
circled digits, UTF-8 read as Windows-1252 beside other letters, decoys that used up the
decodings, a JSON-escaped solidus in a dead letter, and rich's emoji codes on the console.
Each is refused at the door and masked in its dead letter; ordinary text of those scripts is
taken as it is."""

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.door import DeadLetter, admit, seen_code
from schemas.hetu import MASK, bidi_forms, look_alike_form, mask_codes, seen_forms, too_short
from services.commands.common import Console
from tests.helpers import KEY, signed

HIDDEN = [
    # right-to-left marks between the parts: a left-to-right page shows 131052-308T
    "\u200f308\u200f-\u200f131052\u200fT",
    # Arabic letter marks: a right-to-left one shows 050395-912K
    "\u061c912\u061c-\u061c050395\u061cK",
    # look-alikes: a Cyrillic Ze for 3, an Armenian oh for 0, a dental click for 1, a
    # Bengali four for 8 (its value is 4), a Gurmukhi one for 9 (its value is 1)
    "131052-\u041708T",
    "131052-3\u05858T",
    "\u01c031052-308T",
    "131052-30\u09eaT",
    "0503\u0a675-912K",
    # circled and keycap-like digits NFKC does not fold
    "\u2776\u2778\u2776\u24ea\u277a\u2777-\u2778\u24ea\u277dT",
    "\u24f5\u24f7\u24f5\u24ea\u24f9\u24f6-\u24f7\u24ea\u24fcT",
    # UTF-8 read as Windows-1252, beside a letter that does not read back
    "050395\u00e2\u20ac\u201c912K \u00e4",
    "Pyh\u00e4joki 131052\u00e2\u20ac\u201c308T",
    # decoys for every decoding before a code six escapes deep
    "%25252541 &amp;amp;amp;lt; \\\\\\u0041 050395%25252525252D912K",
]

ORDINARY = [
    "workshop:PAJA-OULU-1",
    "\u041c\u043e\u0441\u043a\u0432\u0430 2023",  # Moskva 2023
    "\u039f\u03b4\u03cc\u03c2 12",  # Odos 12
    "\u05e9\u05dc\u05d5\u05dd 123-456",  # shalom 123-456
    "\u0645\u0631\u0643\u0632 2023-01-05",  # a centre, a date
    "Pyh\u00e4joki \u2013 P\u00e4\u00e4paja 3",
    "\u2460 KTT 150323 \u2013 101 \u2013 Kemi",
    "\u00c3\u00a4 \u00e4 050395",  # mojibake of a, no code
]


def _line(**changes: Any) -> str:
    e = signed("k1", "2023-01-02")
    payload = {**e["payload"], **changes.pop("payload", {})}
    return json.dumps({**e, **changes, "payload": payload})


@pytest.mark.parametrize("text", HIDDEN)
def test_a_code_a_reader_sees_is_one(text: str) -> None:
    assert seen_code(text)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_of_those_scripts_is_none(text: str) -> None:
    assert not seen_code(text)


@pytest.mark.parametrize("text", HIDDEN)
@pytest.mark.parametrize("field", ["source", "contract_id"])
def test_the_door_refuses_it_and_its_dead_letter_keeps_no_digit_of_it(text: str,
                                                                      field: str) -> None:
    line = _line(payload={"contract_id": text}) if field == "contract_id" else _line(
        source=text)
    got = admit(line, "f:1", KEY)
    assert isinstance(got, DeadLetter)
    assert got.reason.startswith("identity_code_in_")
    assert MASK in got.raw
    value = json.loads(got.raw)
    kept = value["payload"]["contract_id"] if field == "contract_id" else value["source"]
    # what is left of the field is no code as seen, and shows none of its date's digits
    assert not seen_code(kept), kept
    assert "131052" not in kept and "050395" not in kept


@pytest.mark.parametrize("text", ORDINARY)
def test_the_door_takes_ordinary_text(text: str) -> None:
    got = admit(_line(source=text), "f:1", KEY)
    assert not isinstance(got, DeadLetter), got
    assert got.source == text


def test_a_json_escaped_solidus_is_read_in_a_dead_letter() -> None:
    line = _line(source="05/03/95-912K").replace("05/03/95", "05\\/03\\/95")
    got = admit(line, "f:1", KEY)
    assert isinstance(got, DeadLetter) and got.reason == "identity_code_in_source"
    assert json.loads(got.raw)["source"] == MASK
    assert mask_codes('"05\\/03\\/95-912K"') == f'"{MASK}"'


def test_a_code_in_a_refused_line_beside_other_letters_is_masked() -> None:
    line = _line(source="workshop:Pyh\u00e4joki",
                 payload={"contract_id": "050395\u00e2\u20ac\u201c912K"})
    got = admit(line, "f:1", KEY)
    assert isinstance(got, DeadLetter)
    assert json.loads(got.raw)["payload"]["contract_id"] == MASK
    assert json.loads(got.raw)["source"] == "workshop:Pyh\u00e4joki"


def test_marks_are_laid_out_both_ways_and_a_text_without_them_is_not() -> None:
    forms = bidi_forms("\u200f308\u200f-\u200f131052\u200fT")
    assert "131052-308T" in forms  # a left-to-right paragraph
    assert bidi_forms("workshop 131052 308") == []
    assert bidi_forms("\u00e4\u00f6 12") == []


def test_look_alikes_are_read_as_the_digit_they_look_like() -> None:
    assert look_alike_form("\u0417\u0585\u01c0") == "301"
    assert look_alike_form("Pyh\u00e4joki 12") is None


def test_a_lone_surrogate_does_not_stop_the_layout() -> None:
    assert not seen_code("\u05d0\ud800 12")


def test_the_console_prints_emoji_codes_as_written() -> None:
    out = io.StringIO()
    Console(file=out, width=200).print("Events written to :one::three::one:.jsonl")
    assert out.getvalue().strip() == "Events written to :one::three::one:.jsonl"


_PIECES = st.sampled_from(["0", "5", "-", "A", "%2D", "%25", "&#45;", "&amp;", "\\u0030",
                           "\\u200f", "\u200f", "\u2460", "\u3251", "\u2487", "\u00e2\u20ac\u201c",
                           "\u0417", "\ufdfa", "\u00bd", " ", "\\/", "\x1b[0m", "\b"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=8).map("".join))
def test_a_text_too_short_has_no_reading_long_enough_for_a_code(text: str) -> None:
    """`too_short` lets the door skip the readings: none of them may be 10 characters."""
    if too_short(text):
        assert all(len(form) < 10 for form in seen_forms(text)), text
