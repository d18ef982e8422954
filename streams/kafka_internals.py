"""The one module of ours that touches private members of faust, mode and aiokafka.

The worker needs a few things those libraries do not offer publicly: its own drain loop in
faust's consumer (streams.batching), faust's per-partition read offsets, gaps and
unacknowledged set (so a rebalance waits for a batch in hand), the aiokafka consumer's fetch
wait, isolation level and position, a hook before faust's assignment (streams.app takes the
transactional producers there), a table manager without faust's start-up second
(streams.tables) and the worker's shutdown (services.worker). Each is reached here, through a
small class or method with a public name; the rest of the code uses only those.

`PRIVATE` lists every private member used below and where it lives; faust-streaming,
mode-streaming and aiokafka are pinned exactly (pyproject.toml, uv.lock), and
tests/unit/test_private_members.py checks that this list is exactly what this module touches,
that each member exists in the installed versions, and that no other module of ours touches a
private member of those libraries.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import faust
from faust import tables as faust_tables
from faust.tables import recovery as faust_recovery
from faust.transport.drivers import aiokafka as driver
from mode.utils.futures import notify

log = logging.getLogger("jatkumo.worker")

# private member -> the classes (module:qualname) that define it, on the class or by
# `self.<name> =` in their source
PRIVATE: dict[str, tuple[str, ...]] = {
    "_create_worker_consumer": ("faust.transport.drivers.aiokafka:AIOKafkaConsumerThread",),
    "_ensure_consumer": ("faust.transport.drivers.aiokafka:AIOKafkaConsumerThread",),
    "_fetch_max_wait_ms": ("aiokafka.consumer.consumer:AIOKafkaConsumer",),
    "_isolation_level": ("aiokafka.consumer.consumer:AIOKafkaConsumer",),
    "_subscription": ("aiokafka.consumer.consumer:AIOKafkaConsumer",),
    "_position": ("aiokafka.consumer.subscription_state:TopicPartitionState",),
    "_new_consumer_thread": ("faust.transport.drivers.aiokafka:Consumer",),
    "_drain_messages": ("faust.transport.drivers.aiokafka:Consumer",),
    "_wait_next_records": ("faust.transport.drivers.aiokafka:Consumer",),
    "_to_message": ("faust.transport.drivers.aiokafka:Consumer",),
    "_add_gap": ("faust.transport.consumer:Consumer",),
    "_thread": ("faust.transport.consumer:ThreadDelegateConsumer",),
    "_read_offset": ("faust.transport.consumer:Consumer",),
    "_buffered_partitions": ("faust.transport.consumer:Consumer",),
    "_active_partitions": ("faust.transport.consumer:Consumer",),
    "_unacked_messages": ("faust.transport.consumer:Consumer",),
    "_waiting_for_ack": ("faust.transport.consumer:Consumer",),
    "_n_acked": ("faust.transport.consumer:Consumer",),
    "_commit_every": ("faust.transport.consumer:Consumer",),
    "_acked": ("faust.transport.consumer:Consumer",),
    "_gap": ("faust.transport.consumer:Consumer",),
    "_stopped": ("mode.services:Service",),
    "_update_indices": ("faust.transport.conductor:Conductor",),
    "_on_partitions_assigned": ("faust.app.base:App",),
    "_recovery": ("faust.tables.manager:TableManager",),
    "_update_channels": ("faust.tables.manager:TableManager",),
    "_shutdown_loop": ("mode.worker:Worker",),
    "_signal_stop_time": ("mode.worker:Worker",),
}


class ConsumerThread(driver.AIOKafkaConsumerThread):
    """faust's thread around the aiokafka consumer, with the fetch settings faust does not
    let us choose, a seek and the consumer's position."""

    fetch_max_wait_ms = 100
    isolation_level = "read_committed"

    async def on_thread_stop(self) -> None:
        try:
            await super().on_thread_stop()
        except asyncio.CancelledError:
            # aiokafka's stop awaits requests of its own that it has just cancelled (its
            # fetcher's, waiting to retry with the broker gone): one raises here, and the
            # consumer's thread died with a traceback before saying it had stopped, for which
            # mode waited 60 s. Our own cancellation still goes on up.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            log.info("the Kafka consumer stopped; aiokafka ended its stop on a cancelled "
                     "request of its own (a fetch or heartbeat waiting for the broker)")

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # faust hard-codes fetch_max_wait_ms=1500 and read_uncommitted; the consumer is not
        # started yet, so the fetcher it makes on start takes these
        consumer._fetch_max_wait_ms = self.fetch_max_wait_ms
        consumer._isolation_level = self.isolation_level
        return consumer

    def fetch_settings(self, transport: Any) -> dict[str, Any]:
        """What a new aiokafka consumer made by this thread fetches with (for the tests)."""
        consumer = self._create_worker_consumer(transport)
        return {"fetch_max_wait_ms": consumer._fetch_max_wait_ms,
                "isolation_level": consumer._isolation_level}

    async def seek_assigned(self, offsets: dict[Any, int]) -> None:
        """Seek the partitions still assigned; runs in the consumer's thread, where aiokafka
        lives."""
        await self.call_thread(self._seek_assigned, offsets)

    async def _seek_assigned(self, offsets: dict[Any, int]) -> None:
        consumer = self._ensure_consumer()
        assigned = consumer.assignment()
        for tp, offset in offsets.items():
            if tp in assigned:
                consumer.seek(tp, offset)

    def starts_over(self, tp: Any) -> bool:
        """Whether `tp` goes back to its beginning when nothing was committed for it (see
        seek_to_committed). None here: faust's own behaviour."""
        return False

    async def seek_to_committed(self) -> Mapping[Any, Any]:
        """faust's seek of the assigned partitions to their committed offsets (it runs at the
        end of every assignment's recovery, before the flow resumes), made total: a
        partition `starts_over` names with nothing committed goes to its beginning instead
        of staying where the consumer happens to be. Returns the committed offsets (None:
        none), as faust's does (whose annotation says int)."""
        got: dict[Any, int | None] = await self.call_thread(self._seek_committed_here)
        return got

    async def _seek_committed_here(self) -> dict[Any, int | None]:
        return await seek_committed_or_beginning(self._ensure_consumer(), self.starts_over)

    def fetch_position(self, tp: Any) -> int:
        """The aiokafka consumer's position in `tp` (-1 if it has none). It runs in this
        thread; reading an int set there is safe."""
        try:
            consumer = self._ensure_consumer()
            state = consumer._subscription.subscription.assignment.state_value(tp)
        except Exception:  # not started, or no assignment (yet): no position
            return -1
        position = None if state is None else state._position
        return -1 if position is None else int(position)


async def seek_committed_or_beginning(consumer: Any,
                                     starts_over: Callable[[Any], bool]) -> dict[Any, int | None]:
    """Seek every partition assigned to the aiokafka `consumer` to its committed offset, and
    those `starts_over` names that have none (or 0) to their beginning; the committed offsets
    (None: none).

    aiokafka's seek_to_committed leaves a partition with nothing committed where it is. A
    new assignment starts there from the beginning (auto_offset_reset "earliest"), but the
    consumer's position moves as soon as records are fetched, and records fetched during a
    rebalance are dropped by the drain loop (streams.batching: the flow stops, or the
    generation changes, and whatever was fetched is read again from the committed offsets).
    For a partition nothing was committed for, "again" was nowhere: the records before the
    position were never read (a worker taking over the partitions of a worker paused before
    its first commit skipped thousands of events and claims; test_zombie)."""
    committed: dict[Any, int | None] = await consumer.seek_to_committed()
    fresh = [tp for tp, offset in committed.items() if not offset and starts_over(tp)]
    if fresh:
        await consumer.seek_to_beginning(*fresh)
    return committed


class Consumer(driver.Consumer):
    """faust's aiokafka consumer whose drain loop is `drain` (a subclass's), with faust's
    per-partition bookkeeping behind named methods."""

    _thread: ConsumerThread
    thread_class: type[ConsumerThread] = ConsumerThread

    def _new_consumer_thread(self) -> ConsumerThread:
        return self.thread_class(self, loop=self.loop, beacon=self.beacon)

    async def _drain_messages(self, fetcher: Any) -> None:  # faust's Fetcher service runs it
        await self.drain(fetcher._stopped.is_set)

    async def drain(self, fetcher_stopped: Callable[[], bool]) -> None:
        raise NotImplementedError

    @property
    def consumer_thread(self) -> ConsumerThread:
        return self._thread

    def stopped(self) -> bool:
        return bool(self._stopped.is_set())

    async def next_records(self, timeout: float) -> tuple[Any, set[Any] | None]:
        """faust's fetch: records by partition (or None), and the partitions not paused
        (None: all)."""
        records, active = await self._wait_next_records(timeout)
        return records, active

    async def commit_if_due(self) -> None:
        """faust's commit every N acknowledged messages (its commit_every)."""
        if self._commit_every is not None and self._n_acked >= self._commit_every:
            self._n_acked = 0
            await self.commit()

    def buffered(self, tp: Any) -> bool:
        return tp in self._buffered_partitions

    def active_partitions(self) -> set[Any]:
        return set(self._active_partitions or ())

    def read_offset(self, tp: Any) -> int | None:
        """faust's read offset of `tp`: the last record handed over (None: none yet)."""
        got: int | None = self._read_offset[tp]
        return got

    def set_read_offset(self, tp: Any, offset: int | None) -> None:
        self._read_offset[tp] = offset

    def acked(self, tp: Any) -> list[int]:
        """The offsets faust's own commit counts as acknowledged."""
        return list(self._acked[tp])

    def gaps(self, tp: Any) -> Any:
        """The offset ranges faust's commit may pass (compaction, transaction markers)."""
        return self._gap[tp]

    def to_message(self, tp: Any, record: Any) -> Any:
        return self._to_message(tp, record)

    async def add_gap(self, tp: Any, start: int, end: int) -> None:
        await self._add_gap(tp, start, end)

    def in_flight(self) -> set[Any]:
        """faust's set of unacknowledged messages, which a rebalance waits to see empty."""
        return set(self._unacked_messages)

    def hold(self, token: Any) -> None:
        """Add a stand-in to the unacknowledged messages: a rebalance waits for it."""
        self._unacked_messages.add(token)

    def release(self, token: Any) -> None:
        self._unacked_messages.discard(token)
        notify(self._waiting_for_ack)

    def fetch_position(self, tp: Any) -> int:
        return self._thread.fetch_position(tp)


class App(faust.App):
    """faust's app with a hook that runs first thing in every assignment, before faust's
    recovery reads any changelog or committed offset."""

    async def on_assignment(self, assigned: Any) -> bool:
        """Whether faust's assignment may go on (False: the app is crashing)."""
        return True

    async def _on_partitions_assigned(self, assigned: Any, generation_id: int = 0) -> None:
        if await self.on_assignment(assigned):
            await super()._on_partitions_assigned(assigned, generation_id)


async def update_topic_indices(app: Any) -> None:
    """faust's list of which topics are acked (it makes it when the app starts)."""
    await app.topics._update_indices()


class TableManager(faust_tables.TableManager):
    """faust's table manager with a recovery class of our choosing, and without its start-up
    second: faust sleeps a second before it starts recovery, to let tables declared late
    register. All of ours are declared before the app starts (streams.app.create_app), and
    the second was a third of a worker's start."""

    recovery_class: type[faust_recovery.Recovery] = faust_recovery.Recovery

    @property
    def recovery(self) -> faust_recovery.Recovery:
        if self._recovery is None:
            self._recovery = self.recovery_class(self.app, self, beacon=self.beacon,
                                                 loop=self.loop)
        got: faust_recovery.Recovery = self._recovery
        return got

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()


def table_rows(table: Any) -> dict[Any, Any]:
    """The plain dict under a faust table with the memory store (streams.app: store
    "memory://"): the store's `data`. The table's own Mapping interface costs a raised and
    caught KeyError for every key not there."""
    rows: dict[Any, Any] = table.data.data
    return rows


class Worker(faust.Worker):
    """faust's worker with hooks around its shutdown of the loop."""

    @property
    def stopped_by_signal(self) -> bool:
        """Whether a signal (SIGTERM, SIGINT) asked for the stop."""
        return bool(self._signal_stop_time)

    def before_shutdown(self) -> None:
        pass

    def after_shutdown(self) -> None:
        pass

    def _shutdown_loop(self) -> None:
        self.before_shutdown()
        super()._shutdown_loop()
        self.after_shutdown()
