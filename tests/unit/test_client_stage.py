"""The worker's client stage (streams.agents.events.handle) gives the same outputs whether a
line goes through the door's fast path (streams.core.plain, without pydantic) or the whole
door: the same states, claims, forwards and dead letters, message for message. Lines of
generated clients in two spellings (compact, and json.dumps' spaced one), some with an
identity code, some with an event id in capitals, some duplicated, some malformed, some in
a partition not their client's (a producer keyed them by something else: forwarded)."""

import json
import random
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from streams import topics
from streams.agents import events, facts
from streams.agents.context import AsOfClock, Context
from streams.tables import pack
from tests.integration.kafka.generate import MALFORMED, client_events

KEY = b"k" * 32


@dataclass
class Store:
    data: dict[bytes, bytes] = field(default_factory=dict)


@dataclass
class Table:  # a faust table with the memory store, as Context reads it
    name: str
    data: Store = field(default_factory=Store)

    @property
    def changelog_topic_name(self) -> str:
        return f"{self.name}-changelog"


@dataclass
class Msg:  # aiokafka's ConsumerRecord, what the handler reads of it
    value: bytes | None
    partition: int
    offset: int
    timestamp: int
    topic: str = topics.EVENTS
    key: bytes | None = None
    headers: Any = None


def _context() -> Context:
    return Context(app=None, topics=None, table=Table("client-state"),  # type: ignore[arg-type]
                   ids=Table("event-ids"), rules=None, key=KEY,  # type: ignore[arg-type]
                   clock=AsOfClock("2024-06-30"), partitions=6,
                   transactions=None)  # type: ignore[arg-type]


def _messages(seed: int) -> list[Msg]:
    rng = random.Random(seed)
    lines: list[bytes] = []
    for n in range(60):
        for e in client_events(rng, n):
            if rng.random() < 0.1:  # one id, whatever the letters' case (the model's)
                e = {**e, "event_id": e["event_id"].upper()}
            lines.append(orjson.dumps(e) if rng.random() < 0.7 else json.dumps(e).encode())
    lines += [m.encode() for m in MALFORMED] + [b"", b"\xef\xbb\xbf" + lines[0]]
    rng.shuffle(lines)
    probe = _context()
    out = []
    for i, line in enumerate(lines):
        try:
            client = orjson.loads(line).get("client_id", "") or ""
        except (orjson.JSONDecodeError, AttributeError):
            client = ""
        home = probe.partition_of(client.encode())
        # one in four in another partition than its client's (forwarded)
        partition = (home + 1) % 6 if rng.random() < 0.25 else home
        out.append(Msg(line or None, partition, i, 1_700_000_000_000 + i))
    return out


def _run(msgs: list[Msg]) -> tuple[Context, facts.Work]:
    ctx = _context()
    work = facts.Work()
    events.handle(ctx, msgs, work)
    return ctx, work


def _outputs(ctx: Context, work: facts.Work) -> dict[str, Any]:
    return {"outbox": ctx.outbox, "claims": ctx.claims, "stamp": work.stamp,
            "latest": work.latest,
            "states": {k: pack(e) for k, e in sorted(work.touched.items())}}


@pytest.mark.parametrize("seed", range(4))
def test_the_fast_path_and_the_whole_door_give_the_same_outputs(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    msgs = _messages(seed)
    taken: list[bool] = []
    real = events.plain_and_doc

    def counted(line: bytes) -> Any:
        got = real(line)
        taken.append(got is not None)
        return got

    monkeypatch.setattr(events, "plain_and_doc", counted)
    fast = _outputs(*_run(msgs))
    monkeypatch.setattr(events, "plain_and_doc", lambda line: None)
    whole = _outputs(*_run(msgs))
    assert sum(taken) > len(msgs) // 2, "most lines went the fast path"
    assert not all(taken), "and some the whole door"
    forwarded = [o for out in fast["outbox"].values() for o in out
                 if o[0] == topics.CLIENT_FACTS]
    dead = [o for out in fast["outbox"].values() for o in out if o[0] == topics.DEAD_LETTERS]
    assert forwarded and dead and fast["claims"] and fast["states"]
    assert fast == whole


def _hostile(base: dict[str, Any]) -> list[bytes]:
    """Lines a hostile or careless producer sends: codes hidden from a byte-level look, keys
    given twice, escapes, huge and deeply nested values, broken UTF-8, wrong types."""
    code = "131052-308T"  # the published example code
    def line(**changes: Any) -> bytes:
        return orjson.dumps({**base, **changes})
    plain_line = orjson.dumps(base)
    return [
        line(source=f"workshop:{code}"),
        line(source="workshop:131052\u200b-308T"),  # a zero-width space inside the code
        line(source="workshop:\uff11\uff13\uff11\uff10\uff15\uff12-308T"),  # full-width
        line(source="workshop:131052\u2010308T"),  # a Unicode hyphen
        line(client_id=code),
        line(payload={**base["payload"], "contract_id": code}),
        plain_line.replace(b'"source":', b'"source":"x","source":', 1),  # a key twice
        plain_line.replace(b'"source":"', b'"sour\\u0063e":"', 1),  # an escaped key
        plain_line.replace(b'"source":"', b'"source":"\\u0031\\u0033', 1),
        line(source="w" * 1_000_000),
        line(payload={**base["payload"], "x": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}),
        b"[" * 100_000 + b"]" * 100_000,
        plain_line.replace(b'"source":"', b'"source":"\xff\xfe', 1),  # not UTF-8
        plain_line.replace(b'"source":"', b'"source":"\x00', 1),
        line(schema_version=1.0), line(schema_version=True),
        plain_line.replace(b'"schema_version":1', b'"schema_version":' + b"9" * 400, 1),
        line(occurred_at="2023-02-30T10:00:00+02:00"), line(occurred_at=None),
        line(event_id=base["event_id"] + "\n"), line(client_id=""), line(client_id=" a"),
        plain_line + b" trailing", plain_line[:-1], b"{}", b"null", b"\"" + plain_line,
    ]


def test_hostile_lines_get_the_whole_doors_verdict_and_nothing_gets_past_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    base = next(e for e in client_events(random.Random(3), 1)
                if e["event_type"] == "contract.signed" and "client_id" in e)
    msgs = [Msg(line, 0, i, 1_700_000_000_000 + i) for i, line in enumerate(_hostile(base))]
    fast = _outputs(*_run(msgs))
    monkeypatch.setattr(events, "plain_and_doc", lambda line: None)
    assert fast == _outputs(*_run(msgs))  # no crash either way, and the same outputs
    dead = [o for out in fast["outbox"].values() for o in out if o[0] == topics.DEAD_LETTERS]
    assert len(dead) >= 20, "the hostile lines are refused"
    everything = repr(fast).encode()
    for seen in (b"131052-308T", b"\\uff11\\uff13", b"131052\\u200b"):
        assert seen not in everything, "no identity code gets past the door, however spelled"
