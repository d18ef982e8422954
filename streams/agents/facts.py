"""The client stage: events applied to per-client state, the id stage's corrections, and each
touched client evaluated and published once per batch.

Each batch reads each touched client from the table once, applies what came for it in order,
evaluates it, publishes it and writes it back. An event applied here is claimed at the id
stage (jatkumo.event-ids) in the same transaction, so every apply is followed by its claim's
verdict (streams.agents.ids). jatkumo.client-facts is keyed by client: a client's corrections
come in the order the id stage sent them.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from schemas.door import admitted
from schemas.events import Event
from streams.agents import results
from streams.agents.context import Context
from streams.core.plain import Plain
from streams.core.state import add_fact, add_plain, rank_of, retract
from streams.tables import Entry, pack

log = logging.getLogger("jatkumo.worker")

# ops of jatkumo.client-facts (header "op")
APPLY, RETRACT, ISSUE = b"a", b"r", b"i"  # the id stage's corrections
FORWARD = b"e"  # an event that came in another partition: apply and claim it here


@dataclass
class Work:
    """What a batch did to clients: touched entries, the newest record timestamp (ms) and
    effective day (ordinal)."""

    touched: dict[bytes, Entry] = field(default_factory=dict)
    stamp: int = 0
    latest: int = 0

    def entry(self, ctx: Context, key: bytes) -> Entry:
        got = self.touched.get(key)
        if got is None:
            got = self.touched[key] = ctx.entry(key)
        return got


def _apply(ctx: Context, work: Work, msg: Any, key: bytes, got: Event,
           micros: int | None = None) -> int:
    """Apply the event to its client; its effective day (ordinal)."""
    entry = work.entry(ctx, key)
    rank = rank_of(got) if micros is None else (micros, got.event_id)  # micros: rank_of's
    return _applied(work, msg, entry, add_fact(entry.state, got, rank))


def _applied(work: Work, msg: Any, entry: Entry, day: int) -> int:
    """Note an apply of msg's event, whose effective day is `day`, in the batch's work."""
    if msg.timestamp and msg.timestamp > work.stamp:
        work.stamp = msg.timestamp
    if day > entry.latest_day:
        entry.latest_day = day
    if day > work.latest:
        work.latest = day
    return day


def apply_plain_and_claim(ctx: Context, work: Work, msg: Any, key: bytes, fast: Plain,
                          text: str) -> None:
    """`apply_and_claim` of a line the door's fast path took (its values, the same)."""
    eid, kind, micros, source, client, payload = fast
    entry = work.entry(ctx, key)
    day = _applied(work, msg, entry, add_plain(entry.state, kind, payload, (micros, eid)))
    ctx.claim(msg.partition, [eid, micros, client, text, kind, day, source], msg.timestamp)


def apply_and_claim(ctx: Context, work: Work, msg: Any, got: Event, text: bytes,
                    micros: int) -> None:
    """Apply a valid event to its client (living in msg's partition) and claim its content
    at the id stage, in the transaction of msg's partition (streams.agents.ids: with the
    event's columns of the events relation, for the sink)."""
    day = _apply(ctx, work, msg, got.client.encode(), got, micros)
    ctx.claim(msg.partition, [got.event_id, micros, got.client, text.decode(), got.event_type,
                              day, got.source], msg.timestamp)


def handle(ctx: Context, batch: Any, work: Work) -> None:
    for msg in batch:
        op = d = t = b""
        for k, v in msg.headers or ():
            if k == "op":
                op = bytes(v)
            elif k == "d":
                d = bytes(v)
            elif k == "t":
                t = bytes(v)
        key = msg.key
        if op in (APPLY, FORWARD):
            got = admitted(msg.value, ctx.key)
            if got is None or got.client.encode() != key:  # the door's own text: cannot be
                log.error("a client fact the door refuses, or of another client; skipped")
                continue
            if op == FORWARD:
                apply_and_claim(ctx, work, msg, got, msg.value,
                                int(t) if t else rank_of(got)[0])
            else:
                _apply(ctx, work, msg, key, got)
        elif op == RETRACT:
            retract(work.entry(ctx, key).state, msg.value.decode())
        elif op == ISSUE:
            entry = work.entry(ctx, key)
            conflict = (msg.value.decode(), d.decode())
            if conflict not in entry.conflicts:
                entry.conflicts.append(conflict)


def publish(ctx: Context, work: Work) -> None:
    """Evaluate, publish and store every client the batch touched."""
    ctx.clock.see(work.latest)
    as_of = ctx.clock.current()
    for key, entry in work.touched.items():
        results.publish(ctx, key, entry, as_of, work.stamp)
        ctx.put(ctx.table, key, pack(entry), ctx.partition_of(key))
