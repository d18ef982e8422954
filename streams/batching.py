"""Whole fetched batches for a topic, instead of faust's path of one message at a time.

faust hands every consumed message to its conductor on its own (two tasks and an
`asyncio.wait` each), wraps it in an event, queues it to a stream and takes it back out:
about 140 µs of a core per message here, a ceiling of some 7,000 messages a second before any
work is done, whatever `stream.take` batches afterwards. A topic given a batch handler here
skips all that: what the consumer has fetched goes to the handler as a list of the client
library's own records (aiokafka's ConsumerRecord: topic, partition, offset, timestamp in ms,
key, value, headers), not wrapped in faust messages, and is acknowledged a partition at a
time after the handler has returned, so faust's commit (which flushes the producer first)
never commits past work not done. While a fetch round brings many records (a backlog), a
batch also takes whatever else has already been prefetched, up to `batch_events`: every
client touched is evaluated once per batch, so a backlog is worked off in fewer, larger
batches; when caught up, a batch is what one fetch returned and nothing waits.

Everything else is faust's own: the consumer group and its assignor, the tables with their
changelogs and recovery, rebalances (which wait for the batch in hand to be acknowledged),
timers, and the message-at-a-time path for every other topic (changelogs during recovery
among them).

    app.transport = batch_transport(app)      # before app.consumer is first used
    handle_batches(app, topic, handler)       # handler(list of records) -> awaitable
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as driver
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

BatchHandler = Callable[[list[Any]], Awaitable[None]]
GATHER_SECONDS = 0.5  # a backlog batch stops gathering after this, whatever its size
BACKLOG = 1_000  # a fetch round of at least this many records: more is waiting, gather on


class InFlight:
    """Stands for a batch in faust's set of unacknowledged messages: a rebalance waits until
    it is gone, so no partition is handed over while its batch is half done."""

    __slots__ = ("__weakref__", "acked", "refcount", "size")

    def __init__(self, size: int) -> None:
        self.acked = False
        self.refcount = size  # what faust's wait_empty logs while it waits
        self.size = size

    def __repr__(self) -> str:
        return f"<batch of {self.size} records in flight>"


class BatchConsumer(driver.Consumer):
    """faust's aiokafka consumer whose drain loop hands batch topics over a batch at a time."""

    async def _drain_messages(self, fetcher: Any) -> None:  # the Fetcher service runs it
        fetcher_stopped = fetcher._stopped.is_set
        try:
            while not (self._stopped.is_set() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                await self.sleep(0)  # as faust does: getmany may not yield to the loop
                if self.should_stop:
                    break
                batches = await self._gather()
                if batches:
                    await self._hand_over(batches)
                if self._commit_every is not None and self._n_acked >= self._commit_every:
                    self._n_acked = 0
                    await self.commit()
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def _gather(self) -> dict[Any, list[Any]]:
        """Records of batch topics by partition: one fetch's worth, then, while rounds bring a
        backlog, whatever is already prefetched. Records of other topics go to faust's
        callback here and now, one at a time, in order. Empty if the consumer group changed
        meanwhile: every rebalance ends in faust's recovery seeking to the committed
        offsets (resetting the read offsets too), and the records gathered are read again
        from there."""
        handlers = self.transport.batch_handlers  # type: ignore[attr-defined]
        most: int = self.transport.batch_events  # type: ignore[attr-defined]
        generation = self.app.consumer_generation_id
        batches: dict[Any, list[Any]] = {}
        size, timeout, started = 0, 1.0, time.monotonic()
        while True:
            records, active = await self._wait_next_records(timeout)
            if self.should_stop:  # not acknowledged: read again after the restart
                return {}
            if not records:
                break
            if not self.flow_active:  # faust's getmany: a paused flow reads again later
                await self.perform_seek()
                return {}
            if self.app.consumer_generation_id != generation:
                return {}
            got = 0
            for tp, recs in records.items():
                if not (active is None or tp in active or tp in self._buffered_partitions):
                    continue
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                if tp.topic in handlers:
                    kept = await self._new_records(tp, recs)
                    batches.setdefault(tp, []).extend(kept)
                    got += len(kept)
                else:
                    await self._one_at_a_time(tp, recs)
            size += got
            # a round that brought little means no backlog: hand over now (live events trickle
            # in a few at a time, and gathering them for GATHER_SECONDS would be pure delay)
            if got < BACKLOG or size >= most or time.monotonic() - started > GATHER_SECONDS:
                break
            timeout = 0.0  # then only what has been prefetched already: nothing waits
        return batches

    async def _is_new(self, tp: Any, offset: int, note_gaps: bool = True) -> bool:
        """Whether a record is past the partition's read offset (a seek back re-reads; faust
        drops those too), noting skipped offsets (compaction, transaction markers) as gaps so
        the commit can pass them."""
        r_offset = self._read_offset[tp]
        if r_offset is not None and offset < r_offset:
            return False
        if note_gaps and r_offset and offset - r_offset > 1:
            await self._add_gap(tp, r_offset + 1, offset)
        return True

    async def _new_records(self, tp: Any, recs: list[Any]) -> list[Any]:
        kept = []
        for record in recs:
            if await self._is_new(tp, record.offset):
                self._read_offset[tp] = record.offset
                kept.append(record)
        return kept

    async def _one_at_a_time(self, tp: Any, recs: list[Any]) -> None:
        """faust's own path: a message each, through its conductor."""
        acks = self.app.topics.acks_enabled_for(tp.topic)
        for record in recs:
            if await self._is_new(tp, record.offset, note_gaps=acks):
                await self.wait_first(self.callback(self._to_message(tp, record)),
                                      self.suspend_flow.wait())
                self._read_offset[tp] = record.offset

    async def _hand_over(self, batches: dict[Any, list[Any]]) -> None:
        handlers = self.transport.batch_handlers  # type: ignore[attr-defined]
        by_topic: dict[str, list[Any]] = {}
        for tp, recs in batches.items():
            by_topic.setdefault(tp.topic, []).extend(recs)
        token = InFlight(sum(len(r) for r in batches.values()))
        self._unacked_messages.add(token)  # type: ignore[arg-type]
        try:
            for topic, recs in by_topic.items():
                await handlers[topic](recs)
            for tp, recs in batches.items():
                self._ack_offsets(tp, [r.offset for r in recs])
        finally:
            token.acked = True
            self._unacked_messages.discard(token)  # type: ignore[arg-type]
            notify(self._waiting_for_ack)

    def _ack_offsets(self, tp: Any, offsets: list[int]) -> None:
        """faust's ack() for a partition's records at once: the offsets join the acknowledged
        ones, from which its commit takes the contiguous run."""
        if not self.app.topics.acks_enabled_for(tp.topic):
            return
        with ack_lock:
            committed = self._committed_offset[tp]
            index = self._acked_index[tp]
            new = [o for o in offsets if (committed is None or o >= committed)
                   and o not in index]
            index.update(new)
            self._acked[tp].extend(new)
            self._n_acked += len(new)


class BatchTransport(driver.Transport):
    Consumer = BatchConsumer

    def __init__(self, *args: Any, batch_events: int = 100_000, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_handlers: dict[str, BatchHandler] = {}
        self.batch_events = batch_events  # the most records gathered into one batch


def batch_transport(app: Any, batch_events: int) -> BatchTransport:
    return BatchTransport(app.conf.broker_consumer, app, batch_events=batch_events)


def handle_batches(app: Any, topic: Any, handler: BatchHandler) -> None:
    """Subscribe to `topic` (a faust topic) and give its records to `handler` by the batch."""
    app.transport.batch_handlers.update({name: handler for name in topic.topics})
    app.topics.add(topic)
