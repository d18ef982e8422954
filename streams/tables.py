"""The worker's two tables, stored as JSON bytes, each recovered from its changelog topic:
per client (key = pseudonym as bytes), its state, the latest effective date among its events
and its conflicting event ids; per event id (the id stage, SPEC.md 1.4), the version taken
and the digests of the others seen.

`use_partitioner=True`: a changelog record goes to the partition the producer's partitioner
picks for the key, which is the partition the publisher's partitioner picked for the client's
events (both murmur2 of the same key bytes). So the client table stays co-partitioned with
jatkumo.client-facts, the id table with jatkumo.event-ids, and timers (which have no current
event) may write them too.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from faust.tables import recovery as faust_recovery
from faust.types import TP

from streams import kafka_internals
from streams.core import ClientState
from streams.core.codec import dumps, from_doc, right_sized, to_doc

TABLE = "client-state"
ID_TABLE = "event-ids"


@dataclass(slots=True)
class Entry:
    state: ClientState
    latest_day: int = 0  # the latest effective date (ordinal) among the client's events
    # SPEC.md 1.4: (event id, digest) of each losing content of the client's events under an
    # id another content took; a data issue `conflicting_event_id` each
    conflicts: list[tuple[str, str]] = field(default_factory=list)


def pack(entry: Entry) -> bytes:
    return right_sized(dumps({"state": to_doc(entry.state), "latest_day": entry.latest_day,
                              "conflicts": [list(c) for c in entry.conflicts]}))


def unpack(data: bytes | dict[str, Any]) -> Entry:
    """An entry; one written before the change feeds were removed has "gaps" and "handoffs"
    too (what was last sent on them), which are ignored."""
    doc = orjson.loads(data) if isinstance(data, bytes | str) else data
    return Entry(from_doc(doc["state"]), doc["latest_day"],
                 [(i, d) for i, d in doc.get("conflicts", ())])


@dataclass(slots=True)
class IdEntry:
    """What the id stage keeps of an event id: the version taken (its occurred_at in µs,
    canonical text, client and a digest of the text) and the digests of the other contents
    seen, so that a repeat of any of them is a duplicate. The taken text is kept whole: a
    later version with the same occurred_at is decided by comparing texts (SPEC.md 1.4), and
    the sink builds the events relation from it. A losing content needs only its digest.
    `meta` is the taken version's event id, type, effective day (ordinal) and source, as the
    worker's door read them: the sink's columns of the events relation, so that it need not
    run the door on the text again (None in entries written before it was kept)."""

    micros: int
    text: str
    client: str
    digest: str
    losers: list[str] = field(default_factory=list)
    meta: "EventMeta | None" = None


# event id, event type, effective day (ordinal), source
EventMeta = tuple[str, str, int, str]


def pack_id(entry: IdEntry, first: bool = False) -> bytes:
    """The entry as the id table and its changelog hold it. `first`: the id's first record
    ever ("n": 1), which tells the sink that its file has no row of the id yet, so it need
    not look for one (a DELETE over the whole events relation, which grows with every event).
    unpack_id ignores it: the next record of the id, written from the unpacked entry, is
    never marked."""
    doc: dict[str, Any] = {"t": entry.micros, "x": entry.text, "c": entry.client,
                           "d": entry.digest, "l": entry.losers}
    if entry.meta is not None:
        doc["m"] = entry.meta
    if first:
        doc["n"] = 1
    return right_sized(orjson.dumps(doc))


def unpack_id(data: bytes | dict[str, Any]) -> IdEntry:
    doc = orjson.loads(data) if isinstance(data, bytes | str) else data
    meta = doc.get("m")
    return IdEntry(doc["t"], doc["x"], doc["c"], doc["d"], list(doc["l"]),
                   None if meta is None else (meta[0], meta[1], meta[2], meta[3]))


class Recovery(faust_recovery.Recovery):
    """faust's recovery, also done for a changelog partition when the consumer's position
    has passed its end and the last record fetched has been applied. The changelogs are
    written in transactions (streams.fencing) and read committed: the last offset of a
    partition is then a transaction marker, never a record, and faust (which waits for a
    record at the last offset) would wait for ever or, with its exactly-once guess, for two
    idle rounds of 5 s."""

    def active_remaining(self) -> Counter[TP]:
        remaining = super().active_remaining()
        consumer: Any = self.app.consumer
        position = getattr(consumer, "position_now", None)
        if position is None:
            return remaining
        for tp, left in list(remaining.items()):
            if (left > 0 and position(tp) > self.active_highwaters[tp]
                    and self.active_offsets[tp] >= consumer.fetched_last.get(tp, -1)):
                remaining[tp] = 0  # only markers were left
        return remaining


class TableManager(kafka_internals.TableManager):
    """faust's table manager without its start-up second (kafka_internals.TableManager),
    whose recovery knows that the changelogs end with transaction markers (Recovery)."""

    recovery_class = Recovery


def declare(app: Any, partitions: int, name: str = TABLE) -> Any:
    import faust

    schema: Any = faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw",
                          value_serializer="raw")
    table = app.Table(name, schema=schema, partitions=partitions, use_partitioner=True,
                      default=None)
    # The changelog topic (made lazily) decodes with these, not with the schema's: raw bytes,
    # as the worker writes them (streams.agents.context.Context.put)
    table.key_serializer = "raw"
    table.value_serializer = "raw"
    return table
