"""The id stage (SPEC.md 1.4): events that share an event id count as one, whatever their
order and whichever clients or partitions they belong to.

The client stage applies each valid event to its client at once and claims its content here
(jatkumo.event-ids, keyed by event id, in the transaction of the apply): almost every id has
one content, and then nothing comes back. Every version of an id comes to one partition and
one worker, in one order; the table keeps the version taken so far and the digests of the
other contents seen. For each claim:

    first of its id            taken; its client applied it already: nothing to send
    the taken content again    a duplicate: nothing (its client holds that very content)
    beats the taken one        retract the id at the old one's client, an issue there, and
                               apply the new one at its client (it may be the same client,
                               whose apply the retract just undid)
    loses (new, or a repeat)   retract the id at its client (which applied it), an issue there
                               the first time this content is seen, and, if the taken one is
                               of that same client, apply the taken one again

The taken version is always the maximum (occurred_at, canonical text) of the versions claimed
so far (`beats` is `>` on that total order), so once all have come it is the maximum of all:
what `choose` gives in any order, and what replay takes. Each distinct losing content gives
one issue. Why each client ends with exactly the taken versions that are its own: a client's
state holds one fact per event id, set by the last apply or retract of that id there. Every
apply a client stage does is followed by its claim, whose verdict is sent after it and
reaches the client after it (one partition of jatkumo.client-facts per client, written in
order by the id's one partition here). A verdict leaves the id right at the clients it
names, for the versions claimed so far: the claimant's client has the id retracted unless
its version is taken, and the taken one's client ends with the taken text. A later apply
at any client has a later claim, hence a later verdict; so after the last verdict only the
taken version's client holds the id, with the taken content.
"""

import hashlib
from typing import Any, NamedTuple

import orjson

from streams import topics
from streams.agents.context import Context
from streams.agents.facts import APPLY, ISSUE, RETRACT
from streams.core.event_ids import Version, beats
from streams.tables import EventMeta, IdEntry, pack_id, unpack_id


class Claim(NamedTuple):
    """One claim: a client stage applied this content of the event id (SPEC.md 1.4)."""

    key: bytes  # the event id
    text: bytes  # the canonical text applied
    micros: int  # occurred_at, µs
    client: str
    partition: int  # of the input the claim came in (the id's partition)
    timestamp: int | None  # ms, of the event: what the corrections carry on
    meta: EventMeta | None  # event id, type, effective day, source (for the sink)


def claims_record(claims: list[list[Any]]) -> bytes:
    """The value of a record of claims on jatkumo.event-ids: rows of [event id, occurred_at
    µs, client, canonical text, timestamp ms, event type, effective day, source], in the
    order the client stage applied them. One record carries a batch's claims of one input
    partition for one id partition: a record a claim cost the worker, the broker and the
    id stage a third of the event's time."""
    return orjson.dumps(claims)


def digest(text: bytes) -> str:
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def _header(msg: Any, name: str) -> bytes:
    for k, v in msg.headers or ():
        if k == name:
            return bytes(v)
    raise KeyError(name)


def _rows(msg: Any) -> list[Any]:
    try:
        rows: list[Any] = orjson.loads(msg.value)
    except orjson.JSONDecodeError:  # only the worker writes this topic
        return []
    return rows


def _keyed(msg: Any) -> Claim | None:
    try:
        micros = int(_header(msg, "t"))
        client = _header(msg, "c").decode()
    except (KeyError, ValueError):  # only the worker writes this topic
        return None
    return Claim(msg.key, msg.value, micros, client, msg.partition, msg.timestamp, None)


# event id -> (its entry, the partition of its claims, whether the table had none)
Touched = dict[bytes, tuple[IdEntry, int, bool]]


def handle(ctx: Context, batch: Any) -> None:
    touched: Touched = {}
    table = ctx.rows_of(ctx.ids)
    for msg in batch:
        if msg.key is not None:
            claim = _keyed(msg)
            if claim is not None:
                _judge(ctx, touched, table, claim)
            continue
        partition = msg.partition
        for row in _rows(msg):
            # The first content of an id, almost every claim: taken, and its client applied
            # it already. Read here without a Claim or a round trip of the text through
            # bytes (a tenth of the id stage's time, which is a third of the worker's).
            eid, micros, client, text, stamp, kind, day, source = row
            key, meta = eid.encode(), (eid, kind, day, source)
            if key not in touched and key not in table:
                touched[key] = (IdEntry(micros, text, client, digest(text.encode()), meta=meta),
                                partition, True)
            else:
                _judge(ctx, touched, table,
                       Claim(key, text.encode(), micros, client, partition, stamp, meta))
    # the id's partition of the inputs is the partition its claims come in
    ctx.put_many(ctx.ids, [(key, pack_id(entry, first), partition)
                           for key, (entry, partition, first) in touched.items()])


def _judge(ctx: Context, touched: Touched, table: dict[bytes, Any], claim: Claim) -> None:
    """One claim of an id: taken, a duplicate, a winner or a loser (the table above)."""
    key, text, micros, client = claim.key, claim.text, claim.micros, claim.client
    got = touched.get(key)
    if got is None:
        raw = table.get(key)
        if raw is None:
            touched[key] = (IdEntry(micros, text.decode(), client, digest(text),
                                    meta=claim.meta), claim.partition, True)
            return  # the first content: its client has applied it
        got = touched[key] = (unpack_id(raw), claim.partition, False)
    entry = got[0]
    d = digest(text)
    if d == entry.digest:
        return  # a duplicate of the taken content
    new = Version(micros, text.decode(), client)
    taken = Version(entry.micros, entry.text, entry.client)
    if beats(new, taken):
        _fact(ctx, claim, taken.client, RETRACT, key)
        _fact(ctx, claim, taken.client, ISSUE, key, entry.digest)
        _fact(ctx, claim, client, APPLY, text)
        entry.losers.append(entry.digest)
        entry.micros, entry.text, entry.client, entry.digest = micros, new.canonical, client, d
        entry.meta = claim.meta
    else:
        _fact(ctx, claim, client, RETRACT, key)
        if d not in entry.losers:
            _fact(ctx, claim, client, ISSUE, key, d)
            entry.losers.append(d)
        if client == taken.client:
            _fact(ctx, claim, client, APPLY, taken.canonical.encode())


def _fact(ctx: Context, claim: Claim, client: str, op: bytes, value: bytes,
          d: str | None = None) -> None:
    headers = [("op", op)] if d is None else [("op", op), ("d", d.encode())]
    ctx.send(claim.partition, topics.CLIENT_FACTS, client.encode(), value, headers,
             timestamp=claim.timestamp)
