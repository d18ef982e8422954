"""The transactional producers of streams.fencing on a real broker, when an assignment gives a
partition up while a transaction of it is under way.

Before: Transactions.hold stopped the producer of a partition given up at once. A flush
outside any batch (the refresh after a recovery, which faust's recovery awaits, and which a
rebalance does not wait for) could be in the middle of that partition's transaction: aiokafka
then never ended the transaction, the flush never returned, the recovery never completed and
the worker took no record again (test_zombie: "gave up waiting for the workers to commit every
event after 400 s", 1 run in 9). Now the producer is stopped once its transaction is over."""

import asyncio
import time

import pytest
from kafka import KafkaConsumer, TopicPartition

from services.kafka_broker import ensure_topics
from streams import topics
from streams.fencing import Output, Transactions
from tests.helpers import run_apart

pytestmark = pytest.mark.kafka
RECORDS = 2_000


async def _give_up_during_a_transaction(bootstrap: str) -> tuple[str, bool]:
    """A transaction of partition 0 under way, and an assignment without partition 0 meanwhile:
    how the transaction ended, and whether the producer is still held afterwards."""
    txn = Transactions(bootstrap, "jatkumo-test-txn")
    outputs: list[Output] = [(topics.DEAD_LETTERS, None, b"x" * 200, 0, None, None)
                             for _ in range(RECORDS)]
    try:
        await txn.hold({0})
        commit = asyncio.create_task(txn.commit(0, outputs, {}))
        while not txn.locks[0].locked():  # the transaction has begun
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        lost = await txn.hold(set())
        assert lost == {0}
        try:
            await asyncio.wait_for(commit, 60)
            ended = "committed"
        except TimeoutError:
            ended = "never"
        return ended, 0 in txn.producers
    finally:
        await txn.close()


def _committed_records(bootstrap: str) -> int:
    cons = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                         isolation_level="read_committed", enable_auto_commit=False)
    try:
        tp = TopicPartition(topics.DEAD_LETTERS, 0)
        cons.assign([tp])
        cons.seek_to_beginning(tp)
        # The coordinator writes a commit's markers after it has answered the commit: until
        # then a committed reader's end (the last stable offset) stays before the records
        # (CI, 2026-12-05: 0 records read, once). Wait for it to pass them, 30 s at most.
        deadline = time.monotonic() + 30
        end = cons.end_offsets([tp])[tp]
        while end <= RECORDS and time.monotonic() < deadline:
            time.sleep(0.1)
            end = cons.end_offsets([tp])[tp]
        n = 0
        while cons.position(tp) < end:
            n += sum(len(b) for b in cons.poll(timeout_ms=1000).values())
        return n
    finally:
        cons.close()


def test_a_partition_given_up_mid_transaction_ends_its_transaction_first(kafka: str) -> None:
    ensure_topics(kafka, 1)
    ended, held = run_apart(lambda: _give_up_during_a_transaction(kafka))
    assert ended == "committed"  # not left hanging for ever
    assert not held  # and given up
    assert _committed_records(kafka) == RECORDS
