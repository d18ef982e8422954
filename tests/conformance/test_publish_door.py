"""`jatkumo publish`'s door (services.publish.door_lines: the fast path, a fast path for lines
that carry an identity code, the whole door for the rest) gives every line exactly the message
the whole door gives it (schemas.door.admit, then event_message or dead_letter_message): the
same key and value for an event, the same text, reason and origin for a dead letter, in the
file's order. Over the fast path's own conformance lines (tests/conformance/
test_door_fast_path.py: both bench shapes, every field of every type mutated, escapes, keys
twice, codes glued to ids) and each of them sent by identity code in many forms; with the
pseudonym key and without it. In the conformance folder: it runs on both cores."""

import json
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from schemas import door
from schemas.door import DeadLetter, admit
from schemas.events import Event
from schemas.hetu import has_code
from services import publish
from services.publish import CHUNK, coded, dead_letter_message, door_lines, event_message
from tests import helpers as h
from tests.conformance import test_door_fast_path as fast

CODES = ["131052-308T", "010101A902T", "311299-999E"]  # valid, synthetic (individual 900-999)
Message = tuple[str, Any, Any]


@pytest.fixture(autouse=True, scope="module")
def _each_dead_letter_once() -> Iterator[None]:
    """The whole door's dead letter (schemas.door.dead_letter, a pure function of the line,
    the reason and the origin) made once for this module: with the key and without it, the
    same lines are refused for the same reasons, and their masking (some 1.5 ms each, 35,000
    a run, on each core) was most of CI's time here. What admit decides is its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(door, "dead_letter", h.dead_letters_once(door.dead_letter))
        yield


def _by_code(event: dict[str, Any], code: str) -> Iterator[bytes]:
    """The event sent by identity code instead of client_id, in usual and unusual forms."""
    base = {k: v for k, v in event.items() if k != "client_id"}
    env = {k: v for k, v in base.items() if k != "payload"}
    compact = json.dumps({**env, "client_hetu": code, "payload": base.get("payload")},
                         separators=(",", ":"))
    yield compact.encode()
    yield json.dumps({**base, "client_hetu": code}, separators=(",", ":")).encode()  # last key
    yield json.dumps({"client_hetu": code, **base}).encode()  # first, spaced
    yield compact.replace(code, code.lower()).encode()  # not a valid code
    yield compact.replace(code, code[:-1] + "0").encode()  # check character wrong
    yield compact.replace(code, " " + code).encode()
    yield compact.replace(code, code.replace("-", "\\u002d").replace("A", "\\u0041")).encode()
    yield compact.replace('"client_hetu":', '"client_hetu" :').encode()
    yield compact.replace('"client_hetu":', '"client_\\u0068etu":').encode()
    yield (compact[:-1] + f',"client_hetu":"{code}"}}').encode()  # twice
    yield compact.replace('"source":', '"client_id":"c1","source":').encode()  # both
    yield compact.replace('"source":', '"client_id":null,"source":').encode()
    yield compact.replace(f'"client_hetu":"{code}"', '"client_hetu":null').encode()
    yield compact.replace(f'"client_hetu":"{code}"', '"client_hetu":5').encode()
    # the code elsewhere as well: in the source, a payload value, a payload key
    yield compact.replace('"test:unit"', f'"test:{code}"').encode()
    yield re.sub(r'"payload":\{"([a-z_]+)":"', rf'"payload":{{"\1":"{code}', compact).encode()
    yield compact.replace('"payload":{', f'"payload":{{"{code}":1,', 1).encode()
    yield compact.replace('"payload":{', f'"payload":{{"client_hetu":"{code}",', 1).encode()
    # the pair inside the payload instead of the envelope
    if isinstance(base.get("payload"), dict):
        yield json.dumps({**env, "payload": {**base["payload"], "client_hetu": code}},
                         separators=(",", ":")).encode()
    yield (compact + "\r").encode()
    yield (compact + " ").encode()


def _lines(tmp: Path) -> list[bytes]:
    lines = fast._lines(tmp)
    for i, event in enumerate(fast._base_events()):
        for code in CODES:
            lines += _by_code(event, code)
        for changed in list(fast._mutations(event))[i % 3::3]:  # a share of the mutations
            if "client_id" in changed:  # sent by code, the client first and last
                lines += islice(_by_code(changed, CODES[i % len(CODES)]), 2)
    lines += [b"", b"   ", b"\r", b"{", b"null", b"[]", b'{"client_hetu":"131052-308T"}']
    return lines


Verdicts = dict[tuple[bytes, str, bytes | None], Event | DeadLetter]


def _door(lines: list[bytes], key: bytes | None, verdicts: Verdicts | None = None,
          ) -> tuple[list[Message], list[Message]]:
    """Every line's message from the whole door (pydantic), as publish sent before: the
    events and the dead letters, each in the file's order. Each verdict is kept in
    `verdicts` if given (_judged_once)."""
    events: list[Message] = []
    dead: list[Message] = []
    for n, line in enumerate(lines, 1):
        if not line or line.isspace():
            continue
        got = admit(line, f"f.jsonl:{n}", key)
        if verdicts is not None:
            verdicts[(line, f"f.jsonl:{n}", key)] = got
        if isinstance(got, DeadLetter):
            dead.append(("dead", *dead_letter_message(got)))
        else:
            events.append(("event", *event_message(got, line)))
    return events, dead


def _judged_once(monkeypatch: pytest.MonkeyPatch, verdicts: Verdicts) -> None:
    """Publish's door asks the whole door (admit, a pure function) for the same verdict the
    reference already has, for the same line, origin and key: it gets that one instead of
    the same work again. A dead letter's masking is most of the work (some 1.5 ms each, for
    35,000 of these lines, on each core: CI ran over its 20 minutes). A line asked for with
    another origin or key is judged afresh, so a wrong one still shows as a difference."""
    def judged(line: bytes, origin: str, key: bytes | None) -> Event | DeadLetter:
        got = verdicts.get((line, origin, key))
        return admit(line, origin, key) if got is None else got

    monkeypatch.setattr(publish, "admit", judged)


def _publish_door(lines: list[bytes], key: bytes | None,
                  ) -> tuple[list[Message], list[Message]]:
    events: list[Message] = []
    dead: list[Message] = []

    def take(keys: list[bytes], values: list[bytes]) -> None:
        assert 0 < len(keys) == len(values) <= CHUNK
        events.extend(("event", k, v) for k, v in zip(keys, values, strict=True))

    report = door_lines(list(enumerate(lines, 1)), "f.jsonl", key, take,
                        lambda v, hs: dead.append(("dead", v, hs)))
    assert (report.events, report.dead_letters) == (len(events), len(dead))
    assert report.lines == len(lines)
    assert report.blank == sum(1 for x in lines if not x or x.isspace())
    return events, dead


@pytest.mark.parametrize("key", [h.KEY, None], ids=["key", "no-key"])
def test_publish_gives_every_line_the_whole_doors_message(
        tmp_path: Path, key: bytes | None, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _lines(tmp_path)
    verdicts: Verdicts = {}
    want_events, want_dead = _door(lines, key, verdicts)
    _judged_once(monkeypatch, verdicts)
    got_events, got_dead = _publish_door(lines, key)
    assert len(got_events) > CHUNK  # handed on in more than one chunk
    assert got_events == want_events
    assert got_dead == want_dead
    assert len(want_dead) > 1000  # the refusals were exercised
    assert len(want_events) > 6000


def test_the_fast_path_for_codes_takes_the_usual_coded_line(tmp_path: Path) -> None:
    """`coded` takes a usual line sent by identity code (else the test above would hold of a
    path never taken), and gives it its pseudonym and no code."""
    taken = refused = 0
    for event in fast._base_events():
        for code in CODES:
            for line in _by_code(event, code):
                got = coded(line, h.KEY)
                if got is None:
                    refused += 1
                    continue
                taken += 1
                key, value = got
                assert not has_code(value.decode()) and code.encode() not in value
                assert key.startswith(b"p:") and json.loads(value)["client_id"] == key.decode()
    per_event = len(fast._base_events()) * len(CODES)
    assert taken >= 4 * per_event  # compact, client last, with a \r or a space after
    assert refused >= 10 * per_event


def test_an_identity_code_anywhere_in_a_usual_line_reaches_no_message(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A line the fast path would take, with a valid code put in any one string field or key
    (as itself, glued to text, or escaped), is refused with a dead letter that names the
    field, and its text is masked: the code is in no message publish builds."""
    lines: list[bytes] = []
    for event in fast._base_events():
        compact = json.dumps(event, separators=(",", ":"))
        strings = set(re.findall(r'"((?:[^"\\])*)"', compact)) - {"client_id"}
        for text in strings:
            for code in CODES:
                for form in (code, f"x{code}", f"{code}9", code.replace("-", "\\u002d")):
                    lines.append(compact.replace(f'"{text}"', f'"{text}{form}"', 1).encode())
                    lines.append(compact.replace(f'"{text}"', f'"{form}"', 1).encode())
    verdicts: Verdicts = {}
    want = _door(lines, h.KEY, verdicts)
    _judged_once(monkeypatch, verdicts)
    events, dead = _publish_door(lines, h.KEY)
    assert (events, dead) == want
    assert not events
    plain_codes = [c.encode() for c in CODES]
    for _, value, headers in dead:
        assert not any(c in value for c in plain_codes), value
        assert not has_code(value.decode())
        assert dict(headers)["reason"].startswith(b"identity_code_in_"), value
    assert len(dead) == len(lines) > 1000
