"""What the agents share: settings, the door's key, topics, the table, and the as-of clock."""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from aiokafka.partitioner import murmur2

from streams import topics
from streams.core import ClientState, Rules
from streams.core.codec import CodecError
from streams.tables import Entry, unpack

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
    refresh_seconds: float = 30.0
    refreshed_as_of: date | None = field(default=None)
    # decoded entries of the table, the one copy both the event handler and the refresh
    # change; emptied after every recovery (partitions may have moved)
    cache: dict[bytes, Entry] = field(default_factory=dict)

    # Messages of one batch, sent by the batch (flush). The commit of consumed offsets
    # flushes the producer first, so nothing is acknowledged before its outputs are in Kafka.
    outbox: list[tuple[str, bytes | None, bytes, int | None, Any]] = field(
        default_factory=list)
    partitions_of: dict[bytes, int] = field(default_factory=dict)  # murmur2 is pure Python
    # One flush at a time: a flush that finds the outbox taken by another must not return
    # (and let its events be acknowledged) before those messages are in the producer.
    flushing: asyncio.Lock = field(default_factory=asyncio.Lock)

    def send(self, topic: str, key: bytes | None, value: bytes, headers: Any = None,
             partition: int | None = None) -> None:
        self.outbox.append((topic, key, value, partition, headers))

    def put(self, key: bytes, value: bytes) -> None:
        """Write the table and its changelog. faust's recovery decodes changelog keys and
        values as JSON whatever the table's serializers say, and then makes the key the
        table's key type, bytes: so the key goes as a JSON string, and the table is keyed by
        the same bytes here (a str key written live would miss the recovered bytes key, and
        a restarted worker would start its clients afresh). The partition is named: the
        client's events partition."""
        self.table.data[key] = value
        self.send(self.table.changelog_topic_name, orjson.dumps(key.decode()), value,
                  partition=self.partition_of(key))

    def entry(self, key: bytes) -> Entry:
        """The client's entry: decoded once, then kept in the cache."""
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        raw = self.table.get(key)  # bytes written here, a document when recovered
        entry = Entry(ClientState(key.decode()))
        if raw is not None:
            try:
                entry = unpack(raw)
            except (CodecError, KeyError, TypeError, ValueError) as e:
                # cannot happen unless the changelog was written by hand; do not stop for it
                log.error("unreadable client state in the table (%s); starting it afresh", e)
        self.cache[key] = entry
        return entry

    async def flush(self) -> None:
        """Send the outbox a record batch per partition: aiokafka's send() costs some 30 µs
        a message in futures and awaits, appending to a batch a few."""
        async with self.flushing:
            out, self.outbox = self.outbox, []
            await self._send(out)

    async def _send(self, out: list[tuple[str, bytes | None, bytes, int | None, Any]]) -> None:
        producer = self.app.producer._ensure_producer()  # faust's aiokafka producer
        batches: dict[tuple[str, int], Any] = {}
        for n, (topic, key, value, partition, headers) in enumerate(out):
            if partition is None:  # keyed: murmur2 as every Kafka client; unkeyed: spread
                partition = n % self.partitions if key is None else self.partition_of(key)
            batch = batches.get((topic, partition))
            if batch is None:
                batch = batches[topic, partition] = producer.create_batch()
            if batch.append(key=key, value=value, timestamp=None, headers=headers or []) is None:
                await producer.send_batch(batch, topic, partition=partition)  # it was full
                batch = batches[topic, partition] = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None, headers=headers or [])
        for (topic, partition), batch in batches.items():
            await producer.send_batch(batch, topic, partition=partition)

    def owned(self) -> set[int]:
        """Partitions of jatkumo.events this worker holds now."""
        return {tp.partition for tp in self.app.consumer.assignment()
                if tp.topic == topics.EVENTS}

    def partition_of(self, key: bytes) -> int:
        p = self.partitions_of.get(key)
        if p is None:
            p = self.partitions_of[key] = int(murmur2(key) & 0x7FFFFFFF) % self.partitions
        return p
