"""The agent on jatkumo.events: batches of messages through the door into per-client state.

A batch (stream.take_events) lets each client touched be read from the table, evaluated,
published and written back once per batch instead of once per event. Nothing in a message
can stop the agent: what the door refuses becomes a dead letter with its topic, partition and
offset as origin. A valid event keyed under anything but its client's pseudonym (someone
else's producer; or an identity code) is re-published under the pseudonym and taken from
there, so each client's state lives in exactly one partition.
"""

from typing import Any

from schemas.door import DeadLetter, admit, dead_letter
from streams import topics
from streams.agents import results
from streams.agents.context import Context, log
from streams.core import ClientState, apply
from streams.core.codec import CodecError
from streams.tables import Entry, pack, unpack


def register(ctx: Context) -> Any:
    @ctx.app.agent(ctx.topics.events, name="jatkumo-events")  # type: ignore[untyped-decorator]
    async def take_events(stream: Any) -> None:
        async for batch in stream.take_events(ctx.batch_size, within=ctx.batch_within):
            handle(ctx, batch)
            await ctx.flush()

    return take_events


def send_dead_letter(ctx: Context, d: DeadLetter) -> None:
    ctx.send(topics.DEAD_LETTERS, None, d.raw.encode(), [
        ("reason", d.reason.encode()), ("origin", d.origin.encode())])


def load(ctx: Context, key: bytes, client: str) -> Entry:
    cached: Entry | None = ctx.cache.get(key)
    if cached is not None:  # decoded already: the table's bytes are only for the changelog
        return cached
    raw = ctx.get(key)
    if raw is None:
        return Entry(ClientState(client))
    try:
        return unpack(raw)
    except (CodecError, KeyError, TypeError, ValueError) as e:
        # cannot happen unless the changelog was written by hand; do not stop for it
        log.error("unreadable client state in the table (%s); starting it afresh", e)
        return Entry(ClientState(client))


def handle(ctx: Context, batch: list[Any]) -> None:
    touched: dict[bytes, Entry] = {}
    stamp = 0
    for event in batch:
        msg = event.message
        origin = f"{msg.topic}/{msg.partition}/{msg.offset}"
        if msg.value is None:
            send_dead_letter(ctx, dead_letter(b"", "event: empty message", origin))
            continue
        got = admit(msg.value, origin, ctx.key)
        if isinstance(got, DeadLetter):
            send_dead_letter(ctx, got)
            continue
        key = got.client.encode()
        if msg.key != key:
            ctx.send(topics.EVENTS, key, got.model_dump_json(exclude_none=True).encode())
            continue
        entry = touched.get(key) or load(ctx, key, got.client)
        touched[key] = apply_event(ctx, entry, got)
        stamp = max(stamp, int(msg.timestamp * 1000) if msg.timestamp else 0)
    as_of = ctx.clock.current()
    for key, entry in touched.items():
        results.publish(ctx, key, entry, as_of, stamp)
        ctx.put(key, pack(entry))
        ctx.cache[key] = entry


def apply_event(ctx: Context, entry: Entry, event: Any) -> Entry:
    apply(entry.state, event)
    day = event.effective_date.toordinal()
    entry.latest_day = max(entry.latest_day, day)
    ctx.clock.see(day)
    return entry
