"""The id stage (SPEC.md 1.4): events that share an event id count as one, whatever their
order and whichever clients or partitions they belong to.

jatkumo.event-ids is keyed by event id, so every version of an id comes to one partition and
one worker, in one order; the table keeps the version taken so far and the digests of the
other contents seen. For each version that comes:

    first of its id          taken: forwarded to its client (apply)
    same content as one seen a duplicate: nothing
    beats the taken one      taken: the old one is retracted at its client and is a data
                             issue there; the new one is applied at its client
    loses to the taken one   a data issue at its client

The taken version is always the maximum (occurred_at, canonical text) of the versions seen so
far (`beats` is `>` on that total order), so once all versions have come it is the maximum of
all of them: the same as `choose` gives in any order, and the same as replay. Each distinct
losing content gives exactly one issue, whichever order they came in: a content is an issue
once it is not the maximum, and it never becomes the maximum again. A client therefore ends
with exactly the taken versions that are its own, and the issues of its losing contents.
"""

import hashlib
from typing import Any

from streams import topics
from streams.agents.context import Context
from streams.core.event_ids import Version, beats
from streams.tables import IdEntry, pack_id, unpack_id

APPLY, RETRACT, ISSUE = b"a", b"r", b"i"


def digest(text: bytes) -> str:
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def _header(msg: Any, name: str) -> bytes:
    for k, v in msg.headers or ():
        if k == name:
            return bytes(v)
    raise KeyError(name)


def handle(ctx: Context, batch: Any) -> None:
    touched: dict[bytes, IdEntry] = {}
    for msg in batch:
        key, text = msg.key, msg.value
        try:
            micros = int(_header(msg, "t"))
            client = _header(msg, "c").decode()
        except (KeyError, ValueError):  # only the worker writes this topic
            continue
        entry = touched.get(key)
        if entry is None:
            raw = ctx.ids.data.get(key)
            if raw is None:
                entry = IdEntry(micros, text.decode(), client, digest(text))
                touched[key] = entry
                _fact(ctx, msg, client, APPLY, text)
                continue
            entry = touched[key] = unpack_id(raw)
        d = digest(text)
        if d == entry.digest or d in entry.losers:
            continue  # a duplicate
        new = Version(micros, text.decode(), client)
        taken = Version(entry.micros, entry.text, entry.client)
        if beats(new, taken):
            eid = key
            _fact(ctx, msg, taken.client, RETRACT, eid)  # before the apply: same client maybe
            _fact(ctx, msg, taken.client, ISSUE, eid, entry.digest)
            _fact(ctx, msg, client, APPLY, text)
            entry.losers.append(entry.digest)
            entry.micros, entry.text, entry.client, entry.digest = micros, new.canonical, client, d
        else:
            _fact(ctx, msg, client, ISSUE, key, d)
            entry.losers.append(d)
    for key, entry in touched.items():
        ctx.put(ctx.ids, key, pack_id(entry), ctx.partition_of_id(key))


def _fact(ctx: Context, msg: Any, client: str, op: bytes, value: bytes,
          d: str | None = None) -> None:
    headers = [("op", op)] if d is None else [("op", op), ("d", d.encode())]
    ctx.send(msg.partition, topics.CLIENT_FACTS, client.encode(), value, headers,
             timestamp=msg.timestamp)
