"""The id stage (streams.agents.ids) in every arrival order: the version it ends with is the
one `choose` takes over all of them, each distinct losing content is one issue at its client,
and a client's applies and retractions leave exactly the taken version applied: the client
stage's own applies (each before its claim) and the id stage's corrections (each after the
claim it answers), whether a client takes the corrections at once or only after it has
applied everything else."""

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from streams.agents import ids
from streams.core.event_ids import Version, canonical, choose
from streams.tables import unpack_id


@dataclass
class Table:
    data: dict[bytes, Any] = field(default_factory=dict)
    changelog_topic_name: str = "ids-changelog"


@dataclass
class Ctx:  # our own port: what ids.handle uses of streams.agents.context.Context
    ids: Table = field(default_factory=Table)
    sent: list[tuple[str, bytes, bytes, dict[str, bytes]]] = field(default_factory=list)

    def send(self, owner: int, topic: str, key: bytes | None, value: bytes, headers: Any = None,
             partition: int | None = None, timestamp: int | None = None) -> None:
        if topic != self.ids.changelog_topic_name:
            self.sent.append((topic, key or b"", value, dict(headers or ())))

    def put_many(self, table: Table, items: list[tuple[bytes, bytes, int]]) -> None:
        for key, value, _partition in items:
            table.data[key] = value

    def partition_of_id(self, key: bytes) -> int:
        return 0

    def rows_of(self, table: Table) -> dict[bytes, Any]:
        return table.data


@dataclass
class Msg:
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    partition: int = 0
    timestamp: int = 0


def _msg(v: Version) -> Msg:
    return Msg(b"e1", v.canonical.encode(), [("t", str(v.micros).encode()),
                                              ("c", v.client.encode())])


def _record(versions: list[Version]) -> Msg:
    """One record of many claims, as the client stage writes them now (no key)."""
    return Msg(None, ids.claims_record([["e1", v.micros, v.client, v.canonical, 7, "t", 1, "s"]
                                        for v in versions]), [])


def _version(micros: int, client: str, source: str) -> Version:
    return Version(micros, canonical({"event_id": "e1", "client_id": client, "source": source}),
                   client)


# c2's "a" at 20 is taken (a tie with c1's "b": the greater text); c2 has two losing
# contents too, so the taken one's own client sees its id retracted and applied again
VERSIONS = [_version(10, "c1", "a"), _version(20, "c2", "a"), _version(20, "c1", "b"),
            _version(5, "c3", "z"), _version(15, "c2", "q"), _version(8, "c2", "m"),
            _version(10, "c1", "a")]  # the last: a duplicate


def test_every_arrival_order_ends_with_choose_and_one_issue_per_losing_content() -> None:
    want = choose(VERSIONS)
    for order in itertools.permutations(VERSIONS):
        # one batch, or one each; a record a claim (as before), or records of many claims
        for records in ([[_msg(v) for v in order]], [[_msg(v)] for v in order],
                        [[_record(list(order))]], [[_record([v])] for v in order]):
            ctx = Ctx()
            for batch in records:
                ids.handle(ctx, batch)  # type: ignore[arg-type]
            entry = unpack_id(ctx.ids.data[b"e1"])
            assert (entry.micros, entry.text, entry.client) == tuple(want.taken)
            if records[0][0].key is None:  # the sink's columns come with the taken version
                assert entry.meta == ("e1", "t", 1, "s")
            issues = Counter(key.decode() for _t, key, _v, h in ctx.sent
                             if h["op"] == ids.ISSUE)
            assert issues == Counter(v.client for v in want.losers)
            # a client's state holds one fact per event id: each client stage applied its
            # version before claiming it; corrections come after the claim they answer
            for late in (False, True):
                assert _held(order, late) == {
                    want.taken.client: want.taken.canonical.encode()}


def _held(order: tuple[Version, ...], late: bool) -> dict[str, bytes]:
    """What each client holds under the id at the end: its own applies in claim order, then
    the corrections (late), or each claim's corrections right after it."""
    held: dict[str, bytes] = {}
    ctx = Ctx()
    steps: list[tuple[str, bytes, bytes, dict[str, bytes]]] = []
    for v in order:
        held[v.client] = v.canonical.encode()  # the client stage applies, then claims
        before = len(ctx.sent)
        ids.handle(ctx, [_msg(v)])  # type: ignore[arg-type]
        if late:
            steps += ctx.sent[before:]
        else:
            _correct(held, ctx.sent[before:])
    _correct(held, steps)
    return held


def _correct(held: dict[str, bytes], sent: list[tuple[str, bytes, bytes, dict[str, bytes]]],
             ) -> None:
    for _t, key, value, h in sent:
        if h["op"] == ids.APPLY:
            held[key.decode()] = value
        elif h["op"] == ids.RETRACT:
            held.pop(key.decode(), None)


def test_only_the_first_record_of_an_id_is_marked_first() -> None:
    """The sink looks for an id's row in its file unless the record is the id's first
    (streams.tables.pack_id): the first batch that claims an id marks it, whatever that
    batch held; every later record is unmarked, duplicates and winners alike."""
    for split in range(1, len(VERSIONS)):
        ctx = Ctx()
        written: list[bytes] = []
        for batch in (VERSIONS[:split], VERSIONS[split:]):
            ids.handle(ctx, [_record(batch)])  # type: ignore[arg-type]
            written.append(ctx.ids.data[b"e1"])
        first, later = (orjson.loads(w) for w in written)
        assert first.get("n") == 1 and "n" not in later
        assert unpack_id(written[0]) == unpack_id(orjson.dumps(
            {k: v for k, v in first.items() if k != "n"}))  # the mark changes nothing else
