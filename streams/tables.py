"""The worker's one table: per client (key = pseudonym as bytes), its state and the latest
effective date among its events. Stored as JSON bytes; the table's changelog topic is the
recovery log.

`use_partitioner=True`: a changelog record goes to the partition the producer's partitioner
picks for the key, which is the partition the publisher's partitioner picked for the client's
events (both murmur2 of the same key bytes). So the table stays co-partitioned with
jatkumo.events, and timers (which have no current event) may write it too.
"""

from dataclasses import dataclass
from typing import Any

import orjson
from faust import tables as faust_tables

from streams.core import ClientState
from streams.core.codec import dumps, from_doc, to_doc

TABLE = "client-state"

@dataclass(slots=True)
class Entry:
    state: ClientState
    latest_day: int = 0  # the latest effective date (ordinal) among the client's events


def pack(entry: Entry) -> bytes:
    return dumps({"state": to_doc(entry.state), "latest_day": entry.latest_day})


def unpack(data: bytes | dict[str, Any]) -> Entry:
    """An entry; one written before the change feeds were removed has "gaps" and "handoffs"
    too (what was last sent on them), which are ignored."""
    doc = orjson.loads(data) if isinstance(data, bytes | str) else data
    return Entry(from_doc(doc["state"]), doc["latest_day"])


class TableManager(faust_tables.TableManager):
    """faust's table manager without its start-up second: faust sleeps a second before it
    starts recovery, to let tables declared late register. Ours are all declared before the
    app starts (streams.app.create_app), and the second was a third of a worker's start."""

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()


def declare(app: Any, partitions: int) -> Any:
    import faust

    schema: Any = faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw",
                          value_serializer="raw")
    table = app.Table(TABLE, schema=schema, partitions=partitions, use_partitioner=True,
                      default=None)
    # The changelog topic (made lazily) decodes with these, not with the schema's: raw bytes,
    # as the worker writes them (streams.agents.context.Context.put)
    table.key_serializer = "raw"
    table.value_serializer = "raw"
    return table
