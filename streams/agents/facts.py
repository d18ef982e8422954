"""The client stage: the id stage's verdicts into per-client state, evaluated and published.

Each batch reads each touched client from the table once, applies its facts in order
(jatkumo.client-facts is keyed by client, so a client's verdicts come in the order the id
stage sent them: a retraction before the apply of the content that replaced it), evaluates
it, publishes it and writes it back.
"""

import logging
from typing import Any

from schemas.door import admitted
from streams.agents import results
from streams.agents.context import Context
from streams.agents.ids import APPLY, ISSUE, RETRACT
from streams.core.state import add_fact, rank_of, retract
from streams.tables import Entry, pack

log = logging.getLogger("jatkumo.worker")


def handle(ctx: Context, batch: Any) -> None:
    touched: dict[bytes, Entry] = {}
    stamp = latest = 0  # the newest record timestamp (ms) and effective day (ordinal)
    for msg in batch:
        op = b""
        d = b""
        for k, v in msg.headers or ():
            if k == "op":
                op = bytes(v)
            elif k == "d":
                d = bytes(v)
        key = msg.key
        entry = touched.get(key)
        if entry is None:
            entry = touched[key] = ctx.entry(key)
        stamp = max(stamp, msg.timestamp or 0)
        if op == APPLY:
            got = admitted(msg.value, ctx.key)
            if got is None:  # the door's own canonical text: cannot happen
                log.error("the id stage forwarded an event the door refuses; skipped")
                continue
            day = add_fact(entry.state, got, rank_of(got))  # the event's effective day
            if day > entry.latest_day:
                entry.latest_day = day
            latest = max(latest, day)
        elif op == RETRACT:
            retract(entry.state, msg.value.decode())
        elif op == ISSUE:
            conflict = (msg.value.decode(), d.decode())
            if conflict not in entry.conflicts:
                entry.conflicts.append(conflict)
    ctx.clock.see(latest)
    as_of = ctx.clock.current()
    for key, entry in touched.items():
        results.publish(ctx, key, entry, as_of, stamp)
        ctx.put(ctx.table, key, pack(entry), ctx.partition_of(key))
