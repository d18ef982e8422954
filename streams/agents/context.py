"""What the agents share: settings, the door's key, topics, the table, and the as-of clock."""

import asyncio
import logging
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from aiokafka.partitioner import murmur2

from streams import kafka_internals, topics
from streams.collector import Collector
from streams.core import ClientState, Rules
from streams.core.codec import CodecError, right_sized
from streams.fencing import FENCED_EXIT, Fenced, FencedExit, Output, Transactions
from streams.tables import Entry, unpack

log = logging.getLogger("jatkumo.worker")
CLAIMS_BYTES = 256 * 1024  # of canonical texts in one record of claims


class AsOfClock:
    """The date every evaluation uses: fixed (parity with replay), today (live: moved by the
    daily refresh), or the latest effective date seen (historical data being caught up)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.fixed = None if mode in ("latest", "today") else date.fromisoformat(mode)
        self.latest = 0  # ordinal

    def see(self, day: int) -> None:
        self.latest = max(self.latest, day)

    def decided(self) -> bool:
        """Whether current() is the as-of date of the data: not while the latest date is to
        come from events none of which has been seen (today's date then would stay the
        sink's, which only moves its date on)."""
        return self.mode != "latest" or self.latest > 0

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
    table: Any  # client -> its state (the client stage)
    ids: Any  # event id -> the version taken and the losing ones seen (the id stage)
    rules: Rules
    key: bytes | None  # pseudonym key of the door
    clock: AsOfClock
    partitions: int
    transactions: Transactions
    refresh_seconds: float = 30.0
    refreshed_as_of: date | None = field(default=None)
    # decoded entries of the client table, the one copy both the event handler and the
    # refresh change; emptied after every recovery (partitions may have moved)
    cache: dict[bytes, Entry] = field(default_factory=dict)

    # Messages of one batch, by the input partition whose transaction carries them
    # (streams.fencing): sent and committed with that partition's offsets, or not at all.
    outbox: dict[int, list[Output]] = field(default_factory=dict)
    partitions_of: dict[bytes, int] = field(default_factory=dict)  # murmur2 is pure Python
    # One flush at a time: a flush that finds the outbox taken by another must not return
    # (and let its events be acknowledged) before those messages are in Kafka.
    flushing: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Claims of the batch at the id stage, by (input partition whose transaction carries
    # them, the event id's partition): a few records of many claims each (streams.agents.ids)
    claims: dict[tuple[int, int], list[list[Any]]] = field(default_factory=dict)
    changelogs: dict[str, str] = field(default_factory=dict)  # table name -> its changelog
    collector: Collector = field(default_factory=Collector)  # settled after every batch

    def claim(self, owner: int, row: list[Any], timestamp: int | None) -> None:
        """Queue a claim (streams.agents.ids.claims_record: row[0] is the event id) in the
        transaction of input partition `owner`."""
        row.insert(4, timestamp)
        target = (owner, self.partition_of_id(row[0].encode()))
        got = self.claims.get(target)
        if got is None:
            got = self.claims[target] = []
        got.append(row)

    def _send_claims(self) -> None:
        """The batch's claims into the outbox, a record per (owner, id partition) and at most
        CLAIMS_BYTES of texts (the broker takes records of up to 1 MiB)."""
        claims, self.claims = self.claims, {}
        for (owner, partition), rows in claims.items():
            start, size = 0, 0
            for i, row in enumerate(rows):
                size += len(row[3]) + 64
                if size > CLAIMS_BYTES or i == len(rows) - 1:
                    part = rows[start:i + 1]
                    self.send(owner, topics.EVENT_IDS, None, orjson.dumps(part),
                              partition=partition,
                              timestamp=max((r[4] or 0 for r in part), default=0) or None)
                    start, size = i + 1, 0

    def rows_of(self, table: Any) -> dict[bytes, Any]:
        """A table's plain dict of rows (its memory store's): faust's Mapping `get` of a key
        not there raises and catches a KeyError, a fifth of the id stage's time."""
        return kafka_internals.table_rows(table)

    def send(self, owner: int, topic: str, key: bytes | None, value: bytes,
             headers: Any = None, partition: int | None = None,
             timestamp: int | None = None) -> None:
        """Queue a message in the transaction of input partition `owner`. Keyed: the
        partition murmur2 gives, as every Kafka client; unkeyed: the owner's number."""
        if partition is None:
            partition = owner if key is None else self.partition_of(key)
        out = self.outbox.get(owner)
        if out is None:
            out = self.outbox[owner] = []
        out.append((topic, key, value, partition, headers, timestamp))

    def put(self, table: Any, key: bytes, value: bytes, partition: int) -> None:
        """Write a table and its changelog. faust's recovery decodes changelog keys and
        values as JSON whatever the table's serializers say, and then makes the key the
        table's key type, bytes: so the key goes as a JSON string, and the table is keyed by
        the same bytes here (a str key written live would miss the recovered bytes key, and
        a restarted worker would start its clients afresh). The partition is named: the
        key's partition of the inputs, whose transaction carries the record."""
        self.put_many(table, [(key, value, partition)])

    def put_many(self, table: Any, items: list[tuple[bytes, bytes, int]]) -> None:
        """`put` of each (key, value, partition): the id stage writes one an event."""
        rows = self.rows_of(table)
        name = self.changelogs.get(table.name)
        if name is None:  # faust's property asks the topic each time: a tenth of a put
            name = self.changelogs[table.name] = table.changelog_topic_name
        outbox, dumps = self.outbox, orjson.dumps  # kept until the flush: right-sized
        for key, value, partition in items:
            rows[key] = value
            out = outbox.get(partition)
            if out is None:
                out = outbox[partition] = []
            out.append((name, right_sized(dumps(key.decode())), value, partition, None, None))

    def entry(self, key: bytes) -> Entry:
        """The client's entry: decoded once, then kept in the cache."""
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        raw = self.rows_of(self.table).get(key)  # bytes written here, a document if recovered
        entry = Entry(ClientState(key.decode()))
        if raw is not None:
            try:
                entry = unpack(raw)
            except (CodecError, KeyError, TypeError, ValueError) as e:
                # cannot happen unless the changelog was written by hand; do not stop for it
                log.error("unreadable client state in the table (%s); starting it afresh", e)
        self.cache[key] = entry
        return entry

    async def flush(self, offsets: dict[Any, int] | None = None) -> set[int]:
        """Commit the outbox and `offsets` (of input partitions: TopicPartition -> next
        offset), one transaction per input partition, all partitions at once. Returns the
        partitions whose transaction was fenced: their work is dropped here and their local
        state forgotten (whoever holds them now has the committed one)."""
        async with self.flushing:
            self._send_claims()
            out, self.outbox = self.outbox, {}
            by_partition: dict[int, dict[Any, int]] = {}
            for tp, offset in (offsets or {}).items():
                by_partition.setdefault(tp.partition, {})[tp] = offset
            parts = sorted(out.keys() | by_partition.keys())
            done = await asyncio.gather(
                *(self.transactions.commit(p, out.get(p, ()), by_partition.get(p, {}))
                  for p in parts), return_exceptions=True)
            fenced, causes = set(), set()
            for p, result in zip(parts, done, strict=True):
                if isinstance(result, Fenced):
                    fenced.add(p)
                    causes.add(type(result.args[-1]).__name__)
                elif isinstance(result, BaseException):
                    raise result
            if fenced and self.transactions.closed:
                # the worker is stopping (a signal): Transactions.close gave the producers up
                # while this flush was on its way, which is a stop, not a fence
                log.info("stopping: this flush's work for partitions %s was dropped, nothing "
                         "of it was written; their next holder goes on from their last "
                         "committed transaction", sorted(fenced))
            elif fenced:
                log.warning(
                    "FENCED: partitions %s of %s belong to another worker now (this one "
                    "stalled past its session timeout, or lost them in a rebalance): dropped "
                    "this batch's work for them, nothing of it was written; their new holder "
                    "goes on from their last committed transaction (%s). This worker exits "
                    "with status %d: restarted, it recovers its partitions from the changelogs "
                    "like any new worker", sorted(fenced), ", ".join(topics.INPUTS),
                    ", ".join(sorted(causes)), FENCED_EXIT)
                self.forget(fenced)
                # Crash-only: whatever this process holds in memory may be older than the
                # committed state (the batch it dropped had changed its tables already, and
                # faust would not read a changelog again for a partition it gets back).
                # A fresh process starts from the committed state alone.
                await self.app.crash(FencedExit(sorted(fenced)))
            return fenced

    def forget(self, partitions: set[int]) -> None:
        """Drop the local state of partitions this worker does not hold (any more): their
        keys in both tables and the decoded cache. What was committed for them is in the
        changelogs, recovered by the next holder (this worker too, if they come back)."""
        for table, part in ((self.table, self.partition_of), (self.ids, self.partition_of_id)):
            for key in [k for k in list(table.data.keys()) if part(k) in partitions]:
                del table.data[key]
        for key in [k for k in self.cache if self.partition_of(k) in partitions]:
            del self.cache[key]
        committed = getattr(self.app.consumer, "committed_to", {})
        for tp in [tp for tp in committed if tp.partition in partitions]:
            del committed[tp]  # nothing of theirs counts as committed by this worker

    def owned(self) -> set[int]:
        """Partitions of the inputs this worker holds now."""
        return {tp.partition for tp in self.app.consumer.assignment()
                if tp.topic == topics.CLIENT_FACTS}

    def partition_of_id(self, key: bytes) -> int:
        """An event id's partition of jatkumo.event-ids (and of the id table): CRC-32, in C.
        Only the worker writes that topic and always names the partition, so it need not be
        Kafka's murmur2, which is pure Python in aiokafka and took a fifth of the worker's
        time at one call an event."""
        return zlib.crc32(key) % self.partitions

    def partition_of(self, key: bytes) -> int:
        """A client's partition, cached."""
        p = self.partitions_of.get(key)
        if p is None:
            p = self.partitions_of[key] = int(murmur2(key) & 0x7FFFFFFF) % self.partitions
        return p
