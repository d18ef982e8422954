"""Kafka transactions, one transactional producer per input partition: a worker that lost a
partition cannot write state, results or offsets for it any more.

The worker's inputs (jatkumo.events, jatkumo.event-ids, jatkumo.client-facts) are
co-partitioned: faust assigns partition p of all three to one worker, and every client's and
every event id's state lives in the table partition of the same number. So everything a batch
does for partition p (the outputs of its records, the table changelog records of the clients
or event ids of p, and the consumed offsets of p) goes out in ONE transaction of the producer
whose transactional id is `jatkumo-worker-p`.

Why a zombie cannot write: a worker that takes partition p over calls `init_transactions` with
that same id before it reads p's committed offsets or recovers p's table (streams.app runs it
first thing in the assignment, before faust's recovery). The broker then aborts whatever
transaction of the old owner is open and bumps the producer epoch; every later send, offset
commit or commit of the old owner fails with ProducerFenced / InvalidProducerEpoch. A
transaction the old owner committed before that point is complete when the new owner reads
(offsets and changelog are read with isolation_level=read_committed), so the new owner starts
exactly where the old one left off. Readers (the worker's own consumer, the sink) see only
committed transactions, so the aborted batch of a zombie never existed for anyone.

After a fence the worker exits (crash-only, status FENCED_EXIT): its tables in memory hold the
dropped batch's changes, and faust recovers a table partition only from where it had read it,
not again from the start, when the worker gets that partition back. Forcing that recovery
would take faust's private recovery state into our hands; a new process needs nothing of the
kind, and is the path every restart already takes (tests/integration/kafka/test_crash.py).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import IllegalOperation, KafkaConnectionError, KafkaError, NodeNotReadyError

log = logging.getLogger("jatkumo.worker")

# topic, key, value, partition, headers, timestamp (ms; None: now)
Output = tuple[str, bytes | None, bytes, int, Any, int | None]


class Fenced(Exception):
    """The partition's transaction did not happen (another worker holds it now, or the
    producer failed): this one's batch for it was dropped. Args: partition, the cause."""


# The exit status of a fenced worker: EX_TEMPFAIL, "try again". Its supervisor (systemd's
# Restart=on-failure, a container's restart policy) starts it again.
FENCED_EXIT = 75


class FencedExit(Exception):
    """This worker was fenced (args: the partitions) and stops: a fresh process recovers from
    the committed state, the one sound source after a fence (see Context.flush)."""


# How long a partition's producer waits before it asks again when the broker says "not yet".
# Transactions follow one another closely (a batch every few tens of ms), and the broker is
# still writing the previous one's markers when the next begins: AddPartitionsToTxn is then
# refused (CONCURRENT_TRANSACTIONS), and so is the offsets' commit (its check of the
# transaction says COORDINATOR_NOT_AVAILABLE). At 1,000 events/s one transaction in 20 to 30
# met one of them, and most batches (six transactions at once) waited out a retry. At
# 20 ms (ours before, the Java client's value for this retry) a batch's flush took 76 / 72 ms
# at the median; at 5 ms 44 / 48 ms, in interleaved runs (bench/kafka.py, the latency part):
# the retry almost always succeeds. aiokafka uses the one setting for every retry: a producer
# whose transaction is under way when the broker goes asks 200 times a second instead of 50
# until its request times out. A worker with its broker stopped used 3.7 % of a core at 5 ms
# and 4.6 % at 20 (15 s each, the worker left running): its idle producers do not retry.
RETRY_BACKOFF_MS = 5

# A partition's producer whose start fails because the broker cannot be reached (not because
# it refused) is started again, first after UNREACHABLE_FIRST_WAIT seconds, the wait doubling
# up to UNREACHABLE_LAST_WAIT; one whose start takes more than SLOW_START seconds is said to
# wait. These bound how soon the producers are taken once the broker is back, nothing more:
# what keeps one writer per partition is init_transactions, not the timing. A worker that
# waited past its session with the group still up elsewhere (a cluster, this machine cut
# off) may come back to an assignment the group has moved on from; its init_transactions
# then fences the partition's new owner, which exits for a restart as any fenced worker does,
# and this one learns of the new assignment at its next heartbeat.
UNREACHABLE_FIRST_WAIT = 0.5
UNREACHABLE_LAST_WAIT = 5.0
SLOW_START = 5.0


class Stopping(Exception):
    """The worker began to stop while a partition's producer was being taken (arg: the
    partition)."""


def unreachable(error: BaseException) -> bool:
    """Whether a producer's start failed because the broker could not be reached: a refused
    or lost connection, or a node not ready. aiokafka's coordinator lookup raises a lost
    connection again as a plain KafkaError, the original as its cause."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (KafkaConnectionError, NodeNotReadyError)):
            return True
        seen = seen.__cause__
    return False


class Transactions:
    """The transactional producers of the partitions this worker holds."""

    def __init__(self, bootstrap: str, group: str, *, linger_ms: int = 5,
                 max_batch_size: int = 512 * 1024) -> None:
        self.bootstrap = bootstrap
        self.group = group
        self.linger_ms = linger_ms
        self.max_batch_size = max_batch_size
        self.producers: dict[int, AIOKafkaProducer] = {}
        self.locks: dict[int, asyncio.Lock] = {}
        self._closing = asyncio.Event()  # set by close(): wakes a producer's wait to retry

    @property
    def closed(self) -> bool:
        """Whether the worker has begun to stop (close() was called)."""
        return self._closing.is_set()

    def transactional_id(self, partition: int) -> str:
        return f"{self.group}-{partition}"

    async def hold(self, partitions: set[int]) -> set[int]:
        """Make the producers match the partitions assigned now: a new partition's producer
        is started (init_transactions fences its previous owner), a lost one's stopped.
        Returns the partitions that were given up. Raises the first refusal at once (the
        other starts are called off: one partition's refusal does not wait for another's
        broker), or Stopping when the worker stops meanwhile; either way, and if this is
        cancelled, no producer started here is left open."""
        lost = set(self.producers) - partitions
        for p in sorted(lost):
            await self._drop(p)
        new = sorted(partitions - set(self.producers))
        starts = [asyncio.ensure_future(self._start(p)) for p in new]
        try:
            if starts:
                await asyncio.wait(starts, return_when=asyncio.FIRST_EXCEPTION)
            failed = next((t.exception() for t in starts if t.done() and not t.cancelled()
                           and t.exception() is not None), None)
            if failed is not None or self.closed:
                raise failed if failed is not None else Stopping(new)
        except BaseException:
            await _call_off(starts, self._stop)
            raise
        for p, start in zip(new, starts, strict=True):
            self.producers[p] = start.result()
            self.locks.setdefault(p, asyncio.Lock())
        return lost

    def _make_producer(self, partition: int) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, client_id=f"{self.group}-{partition}",
            transactional_id=self.transactional_id(partition), enable_idempotence=True,
            acks="all", linger_ms=self.linger_ms, max_batch_size=self.max_batch_size,
            retry_backoff_ms=RETRY_BACKOFF_MS)

    async def _start(self, partition: int) -> AIOKafkaProducer:
        """The partition's producer, started (init_transactions: from here the previous
        owner is fenced). While the broker cannot be reached it is asked for again, every
        few seconds, until the broker answers or the worker stops: a worker whose broker
        went away while it took partitions over crashed (status 1, a traceback) and did not
        go on when the broker came back, as a worker at work does. Each start is raced
        against the stop: aiokafka may wait on its own for long (a broker gone after the
        bootstrap: it asks for the coordinator again and again; a broker that does not
        answer: 40 s a connection). The wait is said once, whichever way it began."""
        delay, began, waiting = UNREACHABLE_FIRST_WAIT, time.monotonic(), False

        def wait_said(why: str) -> None:
            nonlocal waiting
            if not waiting:
                log.warning("partition %d: waiting for the broker to take its transactional "
                            "producer (%s); asking again every few seconds", partition, why)
                waiting = True

        while True:
            producer = self._make_producer(partition)
            try:
                if not await self._started_unless_closing(producer, wait_said):
                    raise Stopping(partition)
            except BaseException as e:
                await self._stop(producer)  # a producer starts once: a new one next time
                if self.closed or not unreachable(e):
                    raise
                wait_said(type(e).__name__)
                if await self._closing_within(delay):
                    raise Stopping(partition) from e
                delay = min(delay * 2, UNREACHABLE_LAST_WAIT)
                continue
            if waiting:
                log.info("partition %d: took its transactional producer after %.1f s of "
                         "waiting for the broker", partition, time.monotonic() - began)
            return producer

    async def _started_unless_closing(self, producer: AIOKafkaProducer,
                                      slow: Callable[[str], None]) -> bool:
        """Start the producer; False if the worker began to stop first (the start is then
        cancelled). `slow` is told when the start takes longer than SLOW_START."""
        start = asyncio.ensure_future(producer.start())
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            done, _ = await asyncio.wait({start, closing}, timeout=SLOW_START,
                                         return_when=asyncio.FIRST_COMPLETED)
            if not done:
                slow(f"no answer in {SLOW_START:g} s")
                await asyncio.wait({start, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await _call_off([start, closing], None)
        if start.cancelled():
            return False
        start.result()  # its error, if it failed
        return True

    async def _closing_within(self, seconds: float) -> bool:
        """Wait up to `seconds`, less if the worker begins to stop; whether it did."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)
        return self.closed

    @staticmethod
    async def _stop(producer: AIOKafkaProducer) -> None:
        with contextlib.suppress(Exception):
            await producer.stop()

    async def _drop(self, partition: int) -> None:
        # After the partition's transaction under way, if any: a producer stopped in the
        # middle of one never ends it (aiokafka waits for its stopped sender), and whoever
        # awaits the commit waits for ever. Batches are safe from that (a rebalance waits for
        # the batch in hand), but not a flush of the refresh, which faust's recovery awaits:
        # the worker then never resumed (test_transactions). What that transaction holds is
        # the partition's still: committed, or fenced by the new owner (the flush then says
        # FENCED and the worker restarts).
        async with self.locks.setdefault(partition, asyncio.Lock()):
            producer = self.producers.pop(partition, None)
        if producer is not None:
            try:
                await producer.stop()
            except Exception as e:  # a fenced producer may fail to say goodbye
                log.debug("stopping the producer of partition %d: %s", partition, e)

    async def close(self) -> None:
        self._closing.set()
        for p in list(self.producers):
            await self._drop(p)

    async def commit(self, partition: int, outputs: Iterable[Output],
                     offsets: dict[Any, int]) -> None:
        """Send `outputs` and commit `offsets` (TopicPartition -> next offset) of the group in
        one transaction of the partition's producer. Raises Fenced when the partition is
        not held (any more): nothing of it was written."""
        lock = self.locks.setdefault(partition, asyncio.Lock())
        async with lock:
            held = self.producers.get(partition)
            if held is None:
                raise Fenced(partition, LookupError("partition not held"))
            producer: AIOKafkaProducer = held
            try:
                await producer.begin_transaction()
                # the records' produce requests and the offsets' requests to the coordinators
                # go at once (the producer adds the partitions to the transaction first either
                # way), not one after the other: a round trip less before the commit
                waits = await _send(producer, outputs)
                if offsets:
                    waits.append(producer.send_offsets_to_transaction(offsets, self.group))
                if waits:
                    await asyncio.gather(*waits)  # a failed send fails the transaction here
                await producer.commit_transaction()
            except (KafkaError, IllegalOperation) as e:
                # ProducerFenced / InvalidProducerEpoch (another worker holds the partition
                # now and the broker aborted this transaction), or any other error that
                # leaves the transaction undone (a send refused after the producer saw its
                # epoch bumped, a timeout): give the partition up here. Its records are read
                # again from the last committed offsets, by whoever holds it after the
                # rebalance the caller asks for (this worker too, if it still does).
                await self._forsake(partition, producer)
                raise Fenced(partition, e) from e

    async def _forsake(self, partition: int, producer: AIOKafkaProducer) -> None:
        if self.producers.get(partition) is producer:
            del self.producers[partition]
        with contextlib.suppress(Exception):  # fenced producers refuse even this
            await producer.abort_transaction()
        with contextlib.suppress(Exception):
            await producer.stop()


async def _until_done(tasks: Sequence["asyncio.Future[Any]"]) -> bool:
    """Wait until every task has ended, through cancellations of this wait too: whether one
    came (the caller raises it again once it has cleaned up)."""
    cancelled = False
    while pending := [t for t in tasks if not t.done()]:
        try:
            await asyncio.wait(pending)
        except asyncio.CancelledError:
            cancelled = True
    return cancelled


async def _call_off(tasks: Sequence["asyncio.Future[Any]"],
                    stop: Callable[[AIOKafkaProducer], Awaitable[None]] | None) -> None:
    """Cancel the tasks not done and wait until every one has ended; with `stop`, a producer
    a task did start is stopped. A cancellation while this cleans up (a second stop) waits
    for it to finish and is raised after: nothing is left open either way."""
    for t in tasks:
        t.cancel()
    cancelled = await _until_done(tasks)
    if stop is not None:
        stops = [asyncio.ensure_future(stop(t.result())) for t in tasks
                 if not t.cancelled() and t.exception() is None]
        cancelled = await _until_done(stops) or cancelled
    if cancelled:
        raise asyncio.CancelledError


async def _send(producer: AIOKafkaProducer, outputs: Iterable[Output]) -> list[Any]:
    """A record batch per topic partition: aiokafka's send() costs some 30 µs a message in
    futures and awaits, appending to a batch a few. Returns the batches' futures (done when
    the broker has them)."""
    batches: dict[tuple[str, int], Any] = {}
    futures = []
    for topic, key, value, partition, headers, timestamp in outputs:
        batch = batches.get((topic, partition))
        if batch is None:
            batch = batches[topic, partition] = producer.create_batch()
        if batch.append(key=key, value=value, timestamp=timestamp,
                        headers=headers or []) is None:
            futures.append(await producer.send_batch(batch, topic, partition=partition))
            batch = batches[topic, partition] = producer.create_batch()
            batch.append(key=key, value=value, timestamp=timestamp, headers=headers or [])
    for (topic, partition), batch in batches.items():
        futures.append(await producer.send_batch(batch, topic, partition=partition))
    return futures
