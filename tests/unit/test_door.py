"""The door's quiet variant (the sink's): the same verdict as `admit`, without the dead letter."""

import orjson
import pytest

from schemas.door import DeadLetter, admit, admitted
from tests.helpers import KEY, attendance, event, line, signed

HETU = "131052-308T"  # valid identity code (the SPEC's example)
BAD_CODE = "010190-900X"  # a test-range code (individual number 900) with a wrong check character


def _with_hetu(e: dict[str, object]) -> dict[str, object]:
    e = dict(e)
    del e["client_id"]
    return {**e, "client_hetu": HETU}


LINES = [
    line(signed("k1", "2022-09-01")),
    line(attendance("k1", "2022-09-02")),
    line(_with_hetu(attendance("k1", "2022-09-03"))),  # pseudonymised at the door
    line(_with_hetu(attendance("k1", "2022-09-04"))).replace(HETU, BAD_CODE),
    line({**attendance("k1", "2022-09-05"), "payload": {  # strict: "yes" is not a bool
        "contract_id": "k1", "date": "2022-09-05", "present": "yes"}}),
    line(event("no.such.type", {})),
    '{"event_id": "not json',
    "",
]


@pytest.mark.parametrize("text", LINES)
@pytest.mark.parametrize("key", [KEY, None])
def test_admitted_gives_admits_event_or_none_where_admit_gives_a_dead_letter(
        text: str, key: bytes | None) -> None:
    loud = admit(text.encode(), "t/0/1", key)
    quiet = admitted(text.encode(), key)
    if isinstance(loud, DeadLetter):
        assert quiet is None
    else:
        assert quiet == loud and quiet.client_hetu is None
        assert HETU not in orjson.dumps(quiet.model_dump(mode="json")).decode()


def test_the_cases_above_cover_both_verdicts_and_a_pseudonymised_code() -> None:
    verdicts = [admitted(t.encode(), KEY) for t in LINES]
    assert sum(v is None for v in verdicts) == 5
    assert verdicts[2] is not None and verdicts[2].client != "c1" and verdicts[2].client_id
