"""What the agents share: settings, the door's key, topics, the table, and the as-of clock."""

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from aiokafka.partitioner import murmur2

from streams import topics
from streams.core import Rules

log = logging.getLogger("jatkumo.worker")


class AsOfClock:
    """The date every evaluation uses: fixed (parity with replay), today (live: moved by the
    daily refresh), or the latest effective date seen (historical data being caught up)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.fixed = None if mode in ("latest", "today") else date.fromisoformat(mode)
        self.latest = 0  # ordinal

    def see(self, day: int) -> None:
        self.latest = max(self.latest, day)

    def current(self) -> date:
        if self.fixed is not None:
            return self.fixed
        if self.mode == "latest" and self.latest:
            return date.fromordinal(self.latest)
        return date.today()


@dataclass
class Context:
    app: Any
    topics: topics.Topics
    table: Any
    rules: Rules
    key: bytes | None  # pseudonym key of the door
    clock: AsOfClock
    partitions: int
    # Big batches: a client touched several times in a batch is evaluated once (a backfill);
    # live traffic fills far less than a batch, so `within` bounds the latency it adds.
    batch_size: int = 20_000
    batch_within: float = 0.25
    refresh_seconds: float = 30.0
    refreshed_as_of: date | None = field(default=None)
    # decoded entries of the table; emptied after every recovery (partitions may have moved)
    cache: dict[bytes, Any] = field(default_factory=dict)

    # Messages of one batch, sent with the producer directly: faust's send_soon buffer hands
    # them over one at a time and was the bottleneck (about a thousand messages a second).
    # The commit of consumed offsets flushes the producer first, so nothing is acknowledged
    # before its outputs are in Kafka.
    outbox: list[tuple[str, bytes | None, bytes, int | None, Any]] = field(
        default_factory=list)

    def send(self, topic: str, key: bytes | None, value: bytes, headers: Any = None,
             partition: int | None = None) -> None:
        self.outbox.append((topic, key, value, partition, headers))

    def put(self, key: bytes, value: bytes) -> None:
        """Write the table and its changelog. faust's recovery decodes changelog keys and
        values as JSON whatever the table's serializers say, so the key goes as a JSON string
        (the table's keys are str) and the partition is named: the client's events partition."""
        client = key.decode()
        self.table.data[client] = value
        self.send(self.table.changelog_topic_name, orjson.dumps(client), value,
                  partition=self.partition_of(key))

    def get(self, key: bytes) -> Any:
        """The stored entry: bytes when written here, a decoded document when recovered."""
        return self.table.get(key.decode())

    async def flush(self) -> None:
        producer = self.app.producer
        out, self.outbox = self.outbox, []
        for topic, key, value, partition, headers in out:
            await producer.send(topic, key, value, partition, None, headers)

    def owned(self) -> set[int]:
        """Partitions of jatkumo.events this worker holds now."""
        return {tp.partition for tp in self.app.consumer.assignment()
                if tp.topic == topics.EVENTS}

    def partition_of(self, key: bytes) -> int:
        return int(murmur2(key) & 0x7FFFFFFF) % self.partitions
