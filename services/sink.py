"""`jatkumo sink`: the one DuckDB writer of the live pipeline.

It reads jatkumo.client-results (each client's complete rows), the worker's event-id table
changelog (per event id the version taken: the events relation, SPEC.md 1.4) and
jatkumo.dead-letters, only what committed transactions wrote (read_committed: a fenced
worker's aborted batch is never seen), and writes each batch in one DuckDB transaction together
with the offsets it consumed (table kafka_offsets). On start it seeks to those offsets, so a
crash at any moment neither loses nor doubles a row: the transaction either happened, offsets
included, or it did not. Rows are idempotent besides: a client's rows are replaced as a whole,
events are replaced per event_id and dead letters inserted once per origin.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.config import KafkaSettings, Settings
from services.log_repeats import quiet_kafka_clients
from services.sink_batch import Batch, Writer
from streams import topics
from streams.collector import Collector

log = logging.getLogger("jatkumo.sink")
INPUTS = (topics.CLIENT_RESULTS, topics.EVENT_IDS_CHANGELOG, topics.DEAD_LETTERS)
# After the first records of a batch, how long a poll waits for more before the batch is
# written. A worker's batch lands as one transaction per input partition, committed at once
# but landing a few ms apart; with no wait the sink wrote it in pieces (1.6 writes a worker
# batch), and a write costs some 25 ms of a core under load whatever its size. At 1,000
# events/s the sink's CPU went from 52-61 % of a core to 42-46 % with 5 ms (33-37 % with
# 15), the p99 publish -> gap row the same or lower (bench/kafka.py, 5 runs each).
COALESCE_MS = 5


@dataclass
class SinkReport:
    batches: int = 0
    records: int = 0


def consumer(bootstrap: str) -> Any:
    from aiokafka import AIOKafkaConsumer

    # aiokafka, not kafka-python, for reading: its record decoding is compiled, kafka-python's
    # is pure Python (70% of the sink's time, some 30 µs a record). No group: the sink is one
    # process and keeps its offsets in DuckDB, not in Kafka.
    # earliest: an offset no longer in the log (retention) resumes at the oldest one kept,
    # never at the end
    return AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                            group_id=None, client_id="jatkumo-sink",
                            auto_offset_reset="earliest", isolation_level="read_committed",
                            max_partition_fetch_bytes=8 * 1024 * 1024,
                            # an empty fetch is held this long by the broker (500 ms by
                            # default): a live row waited for it
                            fetch_max_wait_ms=100)


def assign(cons: Any, partitions: dict[str, list[int]],
           stored: dict[tuple[str, int], int]) -> list[Any]:
    """Every partition of the inputs, each at the offset stored with the rows (or 0: the
    beginning)."""
    from aiokafka import TopicPartition

    tps = [TopicPartition(topic, p) for topic in INPUTS for p in partitions.get(topic, ())]
    cons.assign(tps)
    for tp in tps:
        cons.seek(tp, stored.get((tp.topic, tp.partition), 0))
    return tps


async def caught_up(cons: Any, tps: list[Any], done: dict[tuple[str, int], int]) -> bool:
    """Whether every partition is written up to its end (the last stable offset: the end of
    the committed transactions), by the offsets written and the consumer's positions (which
    pass the transaction markers after the last record)."""
    ends = await cons.end_offsets(tps)
    for tp, end in ends.items():
        if max(done.get((tp.topic, tp.partition), 0), await cons.position(tp)) < end:
            return False
    return True


def run_sink(db: Path, settings: Settings, kafka: KafkaSettings,
             should_stop: Callable[[], bool] = lambda: False,
             until_caught_up: bool | Callable[[], bool] = False,
             batch_seconds: float = 0.2, batch_records: int = 50_000,
             on_open: Callable[[Writer], None] | None = None,
             after_batch: Callable[[Writer, bool], None] | None = None,
             on_reading: Callable[[], None] | None = None) -> SinkReport:
    """Consume and write until should_stop() (or, with until_caught_up, until every input
    partition has been written up to its end offset; given a function, only once it also
    says True, e.g. once the workers are done). `on_open` gets the writer once the file
    is open, and `after_batch` gets it after each round of the loop (with whether it
    committed a batch), between transactions: live mode publishes the dashboard's read-only
    snapshot there. `on_reading` is called once the consumer is connected and placed at the
    stored offsets: from then on a broker that goes away is waited for, not a failure."""
    from analytics import exact
    from services.kafka_broker import ensure_topics

    partitions = ensure_topics(kafka.bootstrap, kafka.partitions, kafka.replication)
    # A sink builds the published cube as it closes (and in live mode after its first batch)
    # unless the stored one is current: its solver is imported now, before any row waits,
    # not after the last one
    exact.load()
    writer = Writer(db)
    try:
        if on_open is not None:
            on_open(writer)
        # asyncio.run on a thread of its own: the caller's thread may be running an event
        # loop already (a test next to a browser driver; an application embedding the sink)
        with ThreadPoolExecutor(1, thread_name_prefix="jatkumo-sink") as pool:
            return pool.submit(asyncio.run, _consume(
                writer, settings, kafka, partitions, should_stop, until_caught_up,
                batch_seconds, batch_records, after_batch, on_reading)).result()
    finally:
        writer.close()


async def _consume(writer: Writer, settings: Settings, kafka: KafkaSettings,
                   partitions: dict[str, list[int]], should_stop: Callable[[], bool],
                   until_caught_up: bool | Callable[[], bool],
                   batch_seconds: float, batch_records: int,
                   after_batch: Callable[[Writer, bool], None] | None = None,
                   on_reading: Callable[[], None] | None = None) -> SinkReport:
    report = SinkReport()
    collector = Collector()
    collector.settle()  # the imports and the open file, before the first batch waits for it
    cons = consumer(kafka.bootstrap)
    quiet_kafka_clients()  # aiokafka's modules are imported now
    await cons.start()
    try:
        # One turn of the loop for the tasks start() made: aiokafka's stop() awaits its
        # offset task after cancelling it, and a task cancelled before its first step raises
        # there (a sink told to stop as it started ended in a CancelledError traceback)
        await asyncio.sleep(0)
        done = writer.offsets()
        tps = assign(cons, partitions, done)
        if on_reading is not None:
            on_reading()
        def finishing() -> bool:  # nothing more is coming: stop once caught up
            return until_caught_up is True or bool(until_caught_up and until_caught_up())

        while not should_stop():
            batch = Batch(settings.pseudonym_key)
            # the cycle collector's work after the batch is written, not while it gathers
            with collector.batch():
                deadline = time.monotonic() + batch_seconds
                wait_ms = 50
                while batch.size < batch_records and time.monotonic() < deadline:
                    polled = await cons.getmany(timeout_ms=wait_ms,
                                                max_records=batch_records - batch.size)
                    for tp, records in polled.items():
                        batch.add(tp.topic, tp.partition, records)
                        # past the markers after the last record, so a restart starts there
                        batch.offsets[(tp.topic, tp.partition)] = max(
                            batch.offsets.get((tp.topic, tp.partition), 0), await cons.position(tp))
                    if not polled and batch.size:
                        # nothing more came within COALESCE_MS: write now. Waiting out the
                        # window for more only delayed a live row (the window alone was 0.2 s
                        # of a 0.3 s budget); a backlog still makes big batches, as every poll
                        # then returns what was prefetched meanwhile, up to batch_records.
                        break
                    if batch.size:
                        wait_ms = COALESCE_MS
                if batch.size:
                    # in a thread: DuckDB lets go of the GIL, and the consumer fetches meanwhile
                    await asyncio.to_thread(writer.write, batch)
                    done.update(batch.offsets)
                    report.batches += 1
                    report.records += batch.size
            if not batch.size:  # a whole window without records: the time to checkpoint
                await asyncio.to_thread(writer.checkpoint_if_idle)
            if after_batch is not None:  # between transactions: nothing is writing
                await asyncio.to_thread(after_batch, writer, bool(batch.size))
            # asked after a write too: the last rows need no idle window after them
            if finishing() and await caught_up(cons, tps, done):
                break
    finally:
        await cons.stop()
    return report
