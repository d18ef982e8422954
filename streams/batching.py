"""Whole fetched batches for a topic, instead of faust's path of one message at a time.

faust hands every consumed message to its conductor on its own (two tasks and an
`asyncio.wait` each), wraps it in an event, queues it to a stream and takes it back out:
about 140 µs of a core per message here, a ceiling of some 7,000 messages a second before any
work is done, whatever `stream.take` batches afterwards. Topics given the batch handler here
skip all that: what the consumer has fetched goes to the handler as the client library's own
records by partition (aiokafka's ConsumerRecord: topic, partition, offset, timestamp in ms,
key, value, headers), not wrapped in faust messages, with the next offset of each partition;
the handler commits those offsets itself, in the transaction that carries its outputs
(streams.fencing), and faust's own commit never touches these partitions. While fetch
rounds bring many records (a backlog), a batch also takes the rounds after, each waited for
a moment (BACKLOG_WAIT), up to `batch_events` or GATHER_SECONDS: every client touched is
evaluated once per batch, so a backlog is worked off in fewer, larger batches; when caught
up, a batch is what one fetch returned and the one after it (TOP_UP).

Everything else is faust's own: the consumer group and its assignor, the tables with their
changelogs and recovery, rebalances (which wait for the batch in hand to be done),
timers, and the message-at-a-time path for every other topic (changelogs during recovery
among them).

    app.transport = batch_transport(app)      # before app.consumer is first used
    handle_batches(app, [topic, ...], handler)  # handler(records by tp, offsets) -> awaitable
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import TopicPartition
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as driver

from streams import kafka_internals

log = logging.getLogger("jatkumo.batching")
# handler(records by topic partition, next offset to commit by topic partition)
BatchHandler = Callable[[dict[Any, list[Any]], dict[Any, int]], Awaitable[None]]
GATHER_SECONDS = 0.5  # a backlog batch stops gathering after this, whatever its size
BACKLOG = 1_000  # a fetch round of at least this many records: more is waiting, gather on
# ... or of this many bytes of values: a record of the id stage's claims carries a batch's
# claims of one input partition for one id partition (some 350 kB each when the batch held
# 100,000 events), and counted as one record each such round looked live: a batch and a
# transaction of its own
BACKLOG_BYTES = 256 * 1024
# s: how long a backlog round waits for the fetch under way. Taking only what was prefetched
# already cut a backlog into batches of what one fetch round holds (25,000 of 100,000 events
# in bench/kafka.py), and every client touched is evaluated and written once per batch:
# waiting gathers it whole. Three runs each, interleaved: time order 0.054 / 0.065 / 0.068
# of the drain -> 0.070 / 0.070 / 0.069, shuffled 0.045 / 0.048 / 0.043 -> 0.052 / 0.060 /
# 0.061. GATHER_SECONDS still bounds a batch. A live round (fewer than BACKLOG records and
# BACKLOG_BYTES) never waits for it.
BACKLOG_WAIT = 0.05
TOP_UP = 0.02  # s: how long a live batch waits for the fetch after the buffered one
FETCH_MAX_WAIT_MS = 100  # the longest the broker holds a fetch that has too little to return


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


class BatchConsumerThread(kafka_internals.ConsumerThread):
    """faust's thread around the aiokafka consumer, with a shorter fetch wait and reading
    committed records only (set in streams.kafka_internals.ConsumerThread)."""

    # faust hard-codes fetch_max_wait_ms=1500: the broker holds a fetch that long while less
    # than fetch_min_bytes has arrived, and a live worker fell behind by whole seconds (p99
    # 2.0-2.6 s at 1,000 events/s)
    fetch_max_wait_ms = FETCH_MAX_WAIT_MS
    # only what committed transactions wrote (streams.fencing): a zombie's aborted batch is
    # never read, by the inputs or by table recovery
    isolation_level = "read_committed"

    def starts_over(self, tp: Any) -> bool:
        """The batch topics' partitions that nothing was committed for go back to their
        beginning at the seek that ends each recovery (kafka_internals.ConsumerThread
        .seek_to_committed): records this consumer fetched and dropped during the rebalance
        are read again there, as every other partition's are from its committed offset."""
        return tp.topic in self.transport.batch_handlers  # type: ignore[attr-defined]

    async def fetch_again(self, offsets: dict[Any, int]) -> None:
        """Move partitions back to the first of the records a fetch brought but the drain
        loop did not take, because faust had paused the partition meanwhile (its recovery
        pauses a new assignment's partitions after the fetch of them may have begun). faust
        drops such records and counts on the seek to the committed offsets at the end of
        recovery, which by itself does not move a partition nothing was committed for yet:
        the records were lost (a restarted worker whose predecessor died before its first
        commit skipped thousands of events). That seek now takes such a partition to its
        beginning (starts_over), which covers every other drop during a rebalance too; this
        seek back keeps a paused partition from being fetched past in the same generation.
        Runs in the consumer's thread, where aiokafka
        lives; a partition no longer assigned is left alone (a new assignment starts at
        the committed offset anyway)."""
        log.info("read again from %s: paused while their fetch was under way",
                 ", ".join(f"{tp.topic}/{tp.partition}@{o}" for tp, o in sorted(offsets.items())))
        await self.seek_assigned(offsets)


class BatchConsumer(kafka_internals.Consumer):
    """faust's aiokafka consumer whose drain loop hands batch topics over a batch at a time.

    Records belong to the consumer group generation in which their fetch returned; a
    rebalance can run its whole course (revoke, a new assignment from the committed offsets,
    recovery resetting the read offsets) while a gather awaits. So a gather never writes
    faust's read offsets itself, starts afresh when a fetch returns in a new generation,
    checks after every await that its generation still holds and the flow still runs, and
    sets the read offsets only when it hands the batch over, in the same step as that check
    (a rebalance then waits for the batch). What a stale gather wrote made the new
    generation skip records as already read; what a fresh fetch dropped was gone, since the
    position had moved past it: early events lost, or a recovery waiting forever for the
    changelog records it had been sent."""

    thread_class = BatchConsumerThread

    @property
    def rereading(self) -> set[Any]:
        """Partitions whose seek back (fetch_again) is pending."""
        got: set[Any] | None = self.__dict__.get("_rereading")
        if got is None:
            got = self.__dict__["_rereading"] = set()
        return got

    @property
    def committed_to(self) -> dict[Any, int]:
        """Per input partition, the offset last handed to the handler to commit."""
        got: dict[Any, int] | None = self.__dict__.get("_committed_to")
        if got is None:
            got = self.__dict__["_committed_to"] = {}
        return got

    @property
    def fetched_last(self) -> dict[Any, int]:
        """Per partition, the offset of the last record a fetch brought."""
        got: dict[Any, int] | None = self.__dict__.get("_fetched_last")
        if got is None:
            got = self.__dict__["_fetched_last"] = {}
        return got

    @property
    def batch_thread(self) -> BatchConsumerThread:
        thread = self.consumer_thread
        assert isinstance(thread, BatchConsumerThread)
        return thread

    async def drain(self, fetcher_stopped: Callable[[], bool]) -> None:
        """The drain loop (faust's Fetcher service runs it)."""
        try:
            while not (self.stopped() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                await self.sleep(0)  # as faust does: getmany may not yield to the loop
                if self.should_stop:
                    break
                batches, generation = await self._gather()
                if batches:
                    await self._hand_over(batches, generation)
                else:
                    await self._pass_markers(generation)
                await self.commit_if_due()
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            # A stop (SIGTERM) cancels the fetcher wherever it waits. In a rebalance faust's
            # fetcher takes a cancellation for a restart and crashes on it (its supervisor is
            # None: AttributeError, a traceback in the log of a clean stop). When the app or
            # this fetcher is stopping, the fetcher is simply done: nothing half done is left,
            # as every batch is one transaction per partition (streams.fencing).
            if self.transport.app.should_stop or fetcher_stopped() or self.should_stop:
                return
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    def _holds(self, generation: int) -> bool:
        """Whether records fetched in `generation` may still be worked on. When not, a
        rebalance has begun (faust stops the flow first thing in its revoke) or is over: its
        new assignment starts each partition at the committed offset (or the beginning:
        starts_over, kafka_internals.seek_committed_or_beginning; faust's own seek left a
        partition with nothing committed past what was dropped here, for good) and
        its recovery resets the read offsets, so whatever was fetched is read again and
        nothing needs seeking here."""
        return (self.flow_active and not self.should_stop
                and self.app.consumer_generation_id == generation)

    async def _gather(self) -> tuple[dict[Any, list[Any]], int]:
        """Records of batch topics by partition, and the generation they were fetched in: one
        fetch's worth, then, while rounds bring a backlog, the rounds after it.
        Records of other topics go to faust's callback here and now, one at a time, in
        order. A fetch belongs to the generation current when it returns (aiokafka drops
        what an earlier assignment fetched): records gathered before a generation changed
        are dropped, the fetch that brought the change is kept; dropping that one instead
        lost the first events a new assignment read, and the changelog records its recovery
        was waiting for."""
        handlers = self.transport.batch_handlers  # type: ignore[attr-defined]
        most: int = self.transport.batch_events  # type: ignore[attr-defined]
        batches: dict[Any, list[Any]] = {}
        generation = self.app.consumer_generation_id
        size, timeout, started, rounds = 0, 1.0, time.monotonic(), 0
        while True:
            records, active = await self.next_records(timeout)
            if not records:
                break
            if self.app.consumer_generation_id != generation:
                generation = self.app.consumer_generation_id
                batches, size = {}, 0
            if not self._holds(generation):  # a rebalance has begun: all is read again
                return {}, generation
            got = got_bytes = 0
            paused = {tp: recs[0].offset for tp, recs in records.items()
                      if not (active is None or tp in active or self.buffered(tp))}
            # before any await: table recovery compares what it has applied with these
            # (tables.Recovery); until the seek back is done, a paused partition's position
            # is past records never handed over
            self.rereading.update(paused)
            for tp, recs in records.items():
                self.fetched_last[tp] = recs[-1].offset
            for tp, recs in records.items():
                if tp in paused:
                    continue
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                if tp.topic in handlers:
                    n, n_bytes = self._unread(tp, recs, batches)
                    got, got_bytes = got + n, got_bytes + n_bytes
                elif not await self._one_at_a_time(tp, recs, generation):
                    return {}, generation
            if paused:
                try:
                    await self.batch_thread.fetch_again(paused)
                finally:
                    self.rereading.difference_update(paused)
            size += got
            rounds += 1
            if size >= most or time.monotonic() - started > GATHER_SECONDS:
                break
            if got < BACKLOG and got_bytes < BACKLOG_BYTES:
                if rounds > 1:
                    break
                # live: the buffer held what one fetch brought early in the last batch; what
                # came since is one fetch away, and the fetcher asks for it the moment the
                # buffer is taken. Waiting TOP_UP for it takes it in this batch instead of the
                # next one (a batch later was the larger part of a live event's wait).
                timeout = TOP_UP
                continue
            timeout = BACKLOG_WAIT  # a backlog: the next round is a fetch away at most
        return batches, generation

    def _unread(self, tp: Any, recs: list[Any], batches: dict[Any, list[Any]]
                ) -> tuple[int, int]:
        """Add to the partition's batch the records not read before (a seek back re-reads;
        faust drops those too, keeping a record at the read offset itself); how many, and
        the bytes of their values (counted only for fewer than BACKLOG records: more are a
        backlog anyway, and the sum is a loop over each)."""
        gathered = batches.get(tp)
        floor = gathered[-1].offset + 1 if gathered else (self.read_offset(tp) or 0)
        if recs[0].offset < floor:
            recs = [r for r in recs if r.offset >= floor]
            if not recs:
                return 0, 0
        if gathered is None:
            batches[tp] = list(recs)
        else:
            gathered.extend(recs)
        size = (sum(len(r.value or b"") for r in recs) if len(recs) < BACKLOG
                else BACKLOG_BYTES)
        return len(recs), size

    async def _one_at_a_time(self, tp: Any, recs: list[Any], generation: int) -> bool:
        """faust's own path: a message each, through its conductor. False when the
        generation stopped holding on the way (the rest is read again after the rebalance)."""
        for record in recs:
            r_offset = self.read_offset(tp)
            if r_offset is not None and record.offset < r_offset:
                continue
            await self._note_gap(tp, record)
            if not self._holds(generation):
                return False
            await self.wait_first(self.callback(self.to_message(tp, record)),
                                  self.suspend_flow.wait())
            if not self._holds(generation):
                return False
            self.set_read_offset(tp, record.offset)
        return True

    async def _hand_over(self, batches: dict[Any, list[Any]], generation: int,
                         markers: dict[Any, int] | None = None) -> None:
        if not self._holds(generation):  # read again after the rebalance (see _holds)
            return
        # from here a rebalance waits for the batch: the stand-in joins faust's set of
        # unacknowledged messages before anything awaits
        token = InFlight(sum(len(r) for r in batches.values()))
        self.hold(token)
        try:
            # no gaps for faust here: the handler commits these partitions itself, faust's
            # commit never does, and a gap tree of theirs only grew, one gap a transaction
            # marker, rebuilt on every add (5.4 s of a live worker's 45 s, and growing)
            for tp, recs in batches.items():
                self.set_read_offset(tp, recs[-1].offset)
            # the next offset of each partition: the consumer's position when it is past the
            # last record (transaction markers after it), so that the group's lag can be 0
            offsets = dict(markers or {})
            offsets.update({tp: max(recs[-1].offset + 1, self.fetch_position(tp))
                            for tp, recs in batches.items()})
            handler: BatchHandler = self.transport.batch_handler  # type: ignore[attr-defined]
            # the handler commits the offsets itself, in its transactions (streams.fencing):
            # faust's commit never sees these partitions
            await handler(batches, offsets)
            self.committed_to.update(offsets)
        finally:
            token.acked = True
            self.release(token)

    async def _pass_markers(self, generation: int) -> None:
        """When nothing came: commit the positions that passed transaction markers only (the
        marker after a partition's last record often comes in a fetch of its own). Without
        this the group's committed offset stays one short of the end for ever, and its lag
        (what an operator and the tests watch) never reaches 0."""
        if not self._holds(generation):
            return
        handlers = self.transport.batch_handlers  # type: ignore[attr-defined]
        committed = self.committed_to
        offsets = {}
        for tp in self.active_partitions():
            if tp.topic in handlers and tp not in self.rereading and tp in committed:
                position = self.fetch_position(tp)
                if position > committed[tp]:  # aiokafka's TopicPartition, not faust's TP
                    offsets[TopicPartition(tp.topic, tp.partition)] = position
        if offsets:
            await self._hand_over({}, generation, offsets)

    async def _note_gap(self, tp: Any, record: Any) -> None:
        """Offsets skipped before a record of faust's one-at-a-time path (compaction,
        transaction markers) go to faust's gaps, so that its commit can pass them."""
        before = self.read_offset(tp)
        if before and record.offset - before > 1 and self.app.topics.acks_enabled_for(tp.topic):
            await self.add_gap(tp, before + 1, record.offset)

    def position_now(self, tp: Any) -> int:
        """The position in `tp` if it is one records are really handed over from (-1 while
        a seek back is pending, or without a position)."""
        return -1 if tp in self.rereading else self.fetch_position(tp)


class BatchTransport(driver.Transport):
    Consumer = BatchConsumer

    def __init__(self, *args: Any, batch_events: int = 100_000, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_handlers: dict[str, BatchHandler] = {}  # topic -> the handler
        self.batch_handler: BatchHandler | None = None
        self.batch_events = batch_events  # the most records gathered into one batch


def batch_transport(app: Any, batch_events: int) -> BatchTransport:
    return BatchTransport(app.conf.broker_consumer, app, batch_events=batch_events)


def handle_batches(app: Any, topics: list[Any], handler: BatchHandler) -> None:
    """Subscribe to `topics` (faust topics) and give their records to `handler` by the batch
    (one call for all of them: one transaction per partition covers them all)."""
    app.transport.batch_handler = handler
    for topic in topics:
        app.transport.batch_handlers.update({name: handler for name in topic.topics})
        app.topics.add(topic)
