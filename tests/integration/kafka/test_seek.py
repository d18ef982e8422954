"""The seek that ends every recovery (streams.kafka_internals.seek_committed_or_beginning) on
a real broker: records a consumer fetched and then dropped are read again, also in a
partition nothing was committed for.

Before: faust's seek (aiokafka's seek_to_committed) left such a partition where the dropped
fetch had moved it. A worker taking over the partitions of a worker paused before its first
commit of them dropped the fetch that came in during its recovery, and skipped those records
for good: test_zombie lost 2,500-7,600 claims (the events relation short by that much) or a
block of events (every relation different), in 2 of the first 4 runs after the claims were
batched. These are the two partitions of that story, one committed and one not."""

from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from streams.kafka_internals import seek_committed_or_beginning
from tests.helpers import run_apart

pytestmark = pytest.mark.kafka
TOPIC = "jatkumo.seek-test"  # the kafka fixture deletes jatkumo topics before each test
GROUP = "jatkumo-seek-test"
NEVER, COMMITTED = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)
RECORDS = 10


async def _drain(cons: AIOKafkaConsumer) -> dict[TopicPartition, list[int]]:
    """Everything up to the end of both partitions, as a fetch during a rebalance brings it
    (and the drain loop then drops it): the consumer's positions move past it."""
    got: dict[TopicPartition, list[int]] = {NEVER: [], COMMITTED: []}
    for _ in range(100):
        if min([await cons.position(tp) for tp in got]) >= RECORDS:
            break
        for tp, recs in (await cons.getmany(timeout_ms=500)).items():
            got[tp] += [r.offset for r in recs]
    return got


async def _scenario(bootstrap: str) -> dict[str, Any]:
    def consumer() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=GROUP,
                                enable_auto_commit=False, auto_offset_reset="earliest")

    committer = consumer()
    await committer.start()
    try:
        committer.assign([COMMITTED])
        await committer.commit({COMMITTED: 4})  # the other partition: nothing ever committed
    finally:
        await committer.stop()
    cons = consumer()
    await cons.start()
    try:
        cons.assign([NEVER, COMMITTED])
        seen: dict[str, Any] = {"first": await _drain(cons)}
        # aiokafka's (and so faust's) own seek: the committed partition goes back, the other
        # stays past what was dropped
        seen["theirs"] = await cons.seek_to_committed()
        seen["theirs at"] = {tp: await cons.position(tp) for tp in (NEVER, COMMITTED)}
        await _drain(cons)
        seen["ours"] = await seek_committed_or_beginning(cons, lambda tp: tp.topic == TOPIC)
        seen["ours at"] = {tp: await cons.position(tp) for tp in (NEVER, COMMITTED)}
        seen["again"] = await _drain(cons)
        await _drain(cons)
        # a partition not named stays where it is, as before
        seen["unnamed"] = await seek_committed_or_beginning(cons, lambda tp: False)
        seen["unnamed at"] = {tp: await cons.position(tp) for tp in (NEVER, COMMITTED)}
        return seen
    finally:
        await cons.stop()


def test_a_partition_nothing_was_committed_for_is_read_again_from_its_beginning(
        kafka: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=kafka)
    try:
        admin.create_topics([NewTopic(TOPIC, num_partitions=2, replication_factor=1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka, acks="all")
    for tp in (NEVER, COMMITTED):
        for i in range(RECORDS):
            producer.send(TOPIC, value=f"{tp.partition}-{i}".encode(), partition=tp.partition)
    producer.flush()
    producer.close()

    seen = run_apart(lambda: _scenario(kafka))

    assert seen["first"] == {NEVER: list(range(RECORDS)), COMMITTED: list(range(4, RECORDS))}
    assert seen["theirs"] == {NEVER: None, COMMITTED: 4}
    assert seen["theirs at"] == {NEVER: RECORDS, COMMITTED: 4}  # what lost the records
    assert seen["ours"] == {NEVER: None, COMMITTED: 4}
    assert seen["ours at"] == {NEVER: 0, COMMITTED: 4}
    assert seen["again"] == {NEVER: list(range(RECORDS)), COMMITTED: list(range(4, RECORDS))}
    assert seen["unnamed at"] == {NEVER: RECORDS, COMMITTED: 4}
