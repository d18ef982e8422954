"""The handler of jatkumo.events: batches of messages through the door into per-client state.

Each batch the consumer fetches comes here whole (streams.batching), so each client touched is
read from the table, evaluated, published and written back once per batch, not once per
event. Nothing in a message can stop the handler: what the door refuses becomes a dead letter
with its topic, partition and offset as origin. A valid event keyed under anything but its
client's pseudonym (someone else's producer; or an identity code) is re-published under the
pseudonym and taken from there, so each client's state lives in exactly one partition.
"""

from typing import Any

from schemas.door import DeadLetter, admit, admitted, dead_letter
from streams import topics
from streams.agents import results
from streams.agents.context import Context
from streams.batching import handle_batches
from streams.core.state import add_fact, rank_of
from streams.tables import Entry, pack


def register(ctx: Context) -> None:
    async def take_events(messages: list[Any]) -> None:
        handle(ctx, messages)
        await ctx.flush()

    handle_batches(ctx.app, ctx.topics.events, take_events)


def send_dead_letter(ctx: Context, d: DeadLetter) -> None:
    ctx.send(topics.DEAD_LETTERS, None, d.raw.encode(), [
        ("reason", d.reason.encode()), ("origin", d.origin.encode())])


def handle(ctx: Context, batch: list[Any]) -> None:
    touched: dict[bytes, Entry] = {}
    stamp = latest = 0  # the newest record timestamp (ms) and effective day (ordinal)
    for msg in batch:
        got = admitted(msg.value, ctx.key) if msg.value is not None else None
        if got is None:  # asked again for the reason: only bad input pays for it
            send_dead_letter(ctx, refusal(ctx, msg))
            continue
        key = got.client.encode()
        if msg.key != key:
            ctx.send(topics.EVENTS, key, got.model_dump_json(exclude_none=True).encode())
            continue
        entry = touched.get(key)
        if entry is None:
            entry = touched[key] = ctx.entry(key)
        day = add_fact(entry.state, got, rank_of(got))  # the event's effective day
        if day > entry.latest_day:
            entry.latest_day = day
        latest = max(latest, day)
        stamp = max(stamp, msg.timestamp or 0)
    ctx.clock.see(latest)
    as_of = ctx.clock.current()
    for key, entry in touched.items():
        results.publish(ctx, key, entry, as_of, stamp)
        ctx.put(key, pack(entry))


def refusal(ctx: Context, msg: Any) -> DeadLetter:
    origin = f"{msg.topic}/{msg.partition}/{msg.offset}"
    if msg.value is None:
        return dead_letter(b"", "event: empty message", origin)
    got = admit(msg.value, origin, ctx.key)
    assert isinstance(got, DeadLetter)  # the door gives the same verdict twice
    return got
