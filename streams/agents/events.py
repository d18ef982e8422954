"""The worker's handler: each fetched batch of its three co-partitioned inputs, whole.

    jatkumo.events        the door, then the client stage: a valid event is applied to its
                          client's state at once (optimistically: almost every event id is
                          unique) and claimed at the id stage (jatkumo.event-ids, keyed by
                          event id, in the same transaction)
    jatkumo.event-ids     the id stage (streams.agents.ids): which content of an id is taken;
                          it writes to jatkumo.client-facts only when an id has more than one
                          content, to undo what a client stage applied
    jatkumo.client-facts  the id stage's corrections (retract, apply, issue) and events that
                          came in another client's partition (forwarded), for the client stage

An event passes through Kafka twice in the common case (its input and its claim); before, each
also went through jatkumo.client-facts, with the door run on it again there (issue 12: the
throughput fell to a fifth). Why the optimism is safe is in streams.agents.ids.

Everything a batch did for input partition p (outputs, table changelogs, consumed offsets)
is committed in one transaction of p's producer (streams.fencing), so a batch is done
entirely or not at all, and a worker that lost p can write nothing for it. Nothing in a
message can stop the handler: what the door refuses becomes a dead letter with its topic,
partition and offset as origin.
"""

from typing import Any

import orjson

from schemas.door import DeadLetter, admit, admitted, dead_letter
from streams import topics
from streams.agents import facts, ids
from streams.agents.context import Context
from streams.batching import handle_batches
from streams.core.event_ids import canonical, version_of
from streams.core.plain import Plain, plain_and_doc


def register(ctx: Context) -> None:
    async def take(batches: dict[Any, list[Any]], offsets: dict[Any, int]) -> None:
        by_topic: dict[str, list[Any]] = {}
        for tp, recs in batches.items():
            by_topic.setdefault(tp.topic, []).extend(recs)
        with ctx.collector.batch():  # the cycle collector's work after the batch, not in it
            work = facts.Work()
            handle(ctx, by_topic.get(topics.EVENTS, ()), work)
            facts.handle(ctx, by_topic.get(topics.CLIENT_FACTS, ()), work)
            ids.handle(ctx, by_topic.get(topics.EVENT_IDS, ()))
            facts.publish(ctx, work)
            await ctx.flush(offsets)

    handle_batches(ctx.app, [ctx.topics.events, ctx.topics.event_ids, ctx.topics.client_facts],
                   take)


def send_dead_letter(ctx: Context, owner: int, d: DeadLetter) -> None:
    ctx.send(owner, topics.DEAD_LETTERS, None, d.raw.encode(), [
        ("reason", d.reason.encode()), ("origin", d.origin.encode())])


def handle(ctx: Context, batch: Any, work: "facts.Work") -> None:
    """The door for each message of jatkumo.events. A valid event's canonical text (after the
    door: an identity code already replaced by the pseudonym, so no code goes further) is
    applied to its client here when the client lives in this partition, and forwarded to the
    client's partition of jatkumo.client-facts when it does not (a producer keyed it by
    something else); whoever applies it claims it."""
    for msg in batch:
        fast = plain_and_doc(msg.value) if msg.value is not None else None
        if fast is not None:
            take_plain(ctx, work, msg, *fast)
            continue
        got = admitted(msg.value, ctx.key) if msg.value is not None else None
        if got is None:  # asked again for the reason: only bad input pays for it
            send_dead_letter(ctx, msg.partition, refusal(ctx, msg))
            continue
        try:  # what the door took is JSON; a byte order mark is not part of it
            obj = orjson.loads(msg.value.removeprefix(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError:  # the door's parser took what orjson will not
            send_dead_letter(ctx, msg.partition, dead_letter(
                msg.value, "event: its canonical JSON text cannot be made (SPEC.md 1.4)",
                f"{msg.topic}/{msg.partition}/{msg.offset}"))
            continue
        version = version_of(got, obj)  # as replay compares them (SPEC.md 1.4)
        text = version.canonical.encode()
        client = got.client.encode()
        home = ctx.partition_of(client)
        if home == msg.partition:
            facts.apply_and_claim(ctx, work, msg, got, text, version.micros)
        else:
            forward(ctx, msg, client, text, version.micros, home)


def take_plain(ctx: Context, work: "facts.Work", msg: Any, fast: Plain,
               obj: dict[str, Any]) -> None:
    """`handle` of a line the door's fast path took (streams.core.plain, as replay and publish
    run it): the same values as the whole door's without pydantic, which was half of this
    stage's time. Such a line has no identity code and no byte order mark; `obj` is its
    parsed JSON, which the fast path read (a second parse here was a tenth of the stage)."""
    eid, _kind, micros, _source, client, _payload = fast
    obj["event_id"] = eid  # as the model writes it: version_of's text
    text = canonical(obj)
    key = client.encode()
    home = ctx.partition_of(key)
    if home == msg.partition:
        facts.apply_plain_and_claim(ctx, work, msg, key, fast, text)
    else:
        forward(ctx, msg, key, text.encode(), micros, home)


def forward(ctx: Context, msg: Any, client: bytes, text: bytes, micros: int, home: int) -> None:
    """An event that came in another partition than its client's, to the client's partition
    of jatkumo.client-facts (in the transaction of the partition it came in)."""
    ctx.send(msg.partition, topics.CLIENT_FACTS, client, text,
             [("op", facts.FORWARD), ("t", str(micros).encode())],
             partition=home, timestamp=msg.timestamp)


def refusal(ctx: Context, msg: Any) -> DeadLetter:
    origin = f"{msg.topic}/{msg.partition}/{msg.offset}"
    if msg.value is None:
        return dead_letter(b"", "event: empty message", origin)
    got = admit(msg.value, origin, ctx.key)
    assert isinstance(got, DeadLetter)  # the door gives the same verdict twice
    return got
