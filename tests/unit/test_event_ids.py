"""SPEC.md 1.4 in the pure core: which version under an event id is taken, and taking back a
fact whose event lost, as if it had never been applied."""

import random
from datetime import date

import orjson
import pytest

from schemas.door import DeadLetter, admit
from streams.core import ClientState, Rules, apply, evaluate
from streams.core.codec import decode, encode
from streams.core.event_ids import Version, canonical, choose
from streams.core.state import retract
from tests.integration.kafka.generate import client_events

KEY = b"test-key"


def _events(seed: int) -> list[object]:
    out = []
    for e in client_events(random.Random(seed), seed):
        event = admit(orjson.dumps(e), "t", KEY)
        assert not isinstance(event, DeadLetter), event
        out.append(event)
    return out


def _state(events: list[object]) -> ClientState:
    state = ClientState(events[0].client)  # type: ignore[attr-defined]
    for e in events:
        apply(state, e)  # type: ignore[arg-type]
    return state


@pytest.mark.parametrize("seed", range(25))
def test_retracting_an_event_leaves_the_state_of_the_events_without_it(seed: int) -> None:
    events = _events(seed)
    rng = random.Random(seed)
    for victim in rng.sample(events, min(6, len(events))):
        rest = [e for e in events if e is not victim]
        state = _state(events)
        assert retract(state, victim.event_id)  # type: ignore[attr-defined]
        without = _state(rest) if rest else ClientState(state.client_id)
        assert state == without
        day = date(2024, 6, 30)
        assert evaluate(state, day, Rules()) == evaluate(without, day, Rules())
        assert decode(encode(state)) == state


def test_a_retracted_attendance_winner_gives_the_day_back_to_the_overruled_record() -> None:
    base = {"schema_version": 1, "source": "t", "client_id": "c1",
            "event_type": "attendance.recorded"}
    early = admit(orjson.dumps({**base, "event_id": "00000000-0000-4000-8000-000000000001",
                                "occurred_at": "2023-01-02T08:00:00Z",
                                "payload": {"contract_id": "k", "date": "2023-01-02",
                                            "present": True}}), "t", KEY)
    late = admit(orjson.dumps({**base, "event_id": "00000000-0000-4000-8000-000000000002",
                               "occurred_at": "2023-01-03T08:00:00Z",
                               "payload": {"contract_id": "k", "date": "2023-01-02",
                                           "present": False}}), "t", KEY)
    assert not isinstance(early, DeadLetter) and not isinstance(late, DeadLetter)
    for order in ((early, late), (late, early)):
        state = _state(list(order))
        assert state.attendance["k"][date(2023, 1, 2).toordinal()][1] is False
        assert retract(state, late.event_id)
        assert state.attendance["k"][date(2023, 1, 2).toordinal()][1] is True
        assert state == _state([early])
    assert not retract(_state([early]), "no-such-id")


def test_the_latest_occurred_at_is_taken_and_ties_go_to_the_greatest_canonical_text() -> None:
    a = Version(10, canonical({"b": 1, "a": [2, {"d": 1, "c": 0}]}), "c1")
    assert a.canonical == '{"a":[2,{"c":0,"d":1}],"b":1}'
    b = Version(10, canonical({"a": 3}), "c2")
    c = Version(11, canonical({"a": 0}), "c1")
    assert choose([a, b, c]).taken == c
    assert choose([b, a]).taken == a  # '{"a":[2,…' > '{"a":3}' as text ('[' > '3')
    got = choose([a, b, b, b])
    assert got.taken == a and got.duplicates == 2 and got.losers == (b,)
