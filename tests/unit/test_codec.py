"""The worker's table stores ClientState as JSON: what goes in comes back out, unchanged."""

import random
from datetime import date

import orjson
import pytest

from schemas.door import DeadLetter, admit
from streams.core import ClientState, Rules, apply, evaluate
from streams.core.codec import CodecError, decode, encode, right_sized
from tests.integration.kafka.generate import client_events

KEY = b"test-key"


def _state(seed: int) -> ClientState:
    rng = random.Random(seed)
    events = client_events(rng, seed)
    state: ClientState | None = None
    for e in events:
        event = admit(orjson.dumps(e), "t", KEY)
        assert not isinstance(event, DeadLetter), event
        state = state or ClientState(event.client)
        apply(state, event)
    assert state is not None
    return state


@pytest.mark.parametrize("seed", range(40))
def test_a_state_survives_encode_and_decode_unchanged(seed: int) -> None:
    state = _state(seed)
    back = decode(encode(state))
    assert back == state
    day = date(2024, 6, 30)
    assert evaluate(back, day, Rules()) == evaluate(state, day, Rules())


def test_an_empty_state_round_trips() -> None:
    assert decode(encode(ClientState("c"))) == ClientState("c")


@pytest.mark.parametrize("junk", [b"", b"not json", b"[]", b'{"v": 99}', b'{"v": 1}'])
def test_junk_is_a_codec_error_not_a_crash(junk: bytes) -> None:
    with pytest.raises(CodecError):
        decode(junk)


def test_right_sized_is_an_equal_copy_of_its_own() -> None:
    out = orjson.dumps({"x": "a" * 600, "t": 1})
    copy = right_sized(out)
    assert copy == out and copy is not out and type(copy) is bytes
    assert orjson.loads(copy) == {"x": "a" * 600, "t": 1}
    assert right_sized(b"") == b""
