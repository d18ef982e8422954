"""The batch consumer's seek back (streams.batching.BatchConsumer.perform_seek), on a stand-in
for the few faust consumer members it uses: a partition of a batch topic with nothing
committed goes back to its beginning, not nowhere (records gathered and dropped there were
lost: the crash test found 13,000 events missing)."""

import asyncio
from types import SimpleNamespace
from typing import Any

from aiokafka import TopicPartition

from streams.batching import BatchConsumer

EVENTS, CHANGELOG = "jatkumo.events", "jatkumo-worker-client-state-changelog"


class Thread:
    def __init__(self) -> None:
        self.to_beginning: list[Any] = []

    async def seek_to_beginning(self, *tps: Any) -> None:
        self.to_beginning += tps


def _consumer(committed: dict[Any, int | None]) -> Any:
    async def seek_to_committed() -> dict[Any, int | None]:
        return committed

    return SimpleNamespace(seek_to_committed=seek_to_committed, _thread=Thread(),
                           transport=SimpleNamespace(batch_handlers={EVENTS: None}),
                           _read_offset={}, _committed_offset={})


def test_a_partition_with_nothing_committed_goes_back_to_its_beginning() -> None:
    never, zero, some = (TopicPartition(EVENTS, p) for p in range(3))
    table = TopicPartition(CHANGELOG, 0)  # faust's own: recovery places it
    consumer = _consumer({never: None, zero: 0, some: 120, table: None})
    asyncio.run(BatchConsumer.perform_seek(consumer))
    assert consumer._thread.to_beginning == [never, zero]
    assert consumer._read_offset == {never: None, zero: 0, some: 120, table: None}
    assert consumer._committed_offset == {zero: None, some: 120}


def test_committed_partitions_only_go_back_to_their_committed_offsets() -> None:
    consumer = _consumer({TopicPartition(EVENTS, 0): 5, TopicPartition(EVENTS, 1): 7})
    asyncio.run(BatchConsumer.perform_seek(consumer))
    assert consumer._thread.to_beginning == []
