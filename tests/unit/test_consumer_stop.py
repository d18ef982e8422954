"""How the worker's consumer thread stops when its broker is gone
(streams.kafka_internals.ConsumerThread; the whole worker: tests/integration/kafka/
test_workers.py), with what aiokafka's stop lets out."""

import asyncio

import pytest

from streams import kafka_internals
from streams.kafka_internals import ConsumerThread
from tests.helpers import run_apart  # CI found this thread's loop left running by another test


def test_aiokafkas_cancelled_fetch_is_no_death_of_the_thread_but_our_cancel_still_is(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def fetch_cancelled(self: object) -> None:
        raise asyncio.CancelledError  # what aiokafka's Fetcher.close lets out

    monkeypatch.setattr(kafka_internals.driver.AIOKafkaConsumerThread, "on_thread_stop",
                        fetch_cancelled)
    thread = object.__new__(ConsumerThread)
    run_apart(thread.on_thread_stop)  # no CancelledError out of it

    async def waits(self: object) -> None:
        await asyncio.sleep(60)

    monkeypatch.setattr(kafka_internals.driver.AIOKafkaConsumerThread, "on_thread_stop", waits)

    async def cancelled_ourselves() -> None:
        task = asyncio.ensure_future(thread.on_thread_stop())
        await asyncio.sleep(0)  # inside the library's stop now
        task.cancel()  # the stop itself is cancelled: that goes on up
        with pytest.raises(asyncio.CancelledError):
            await task

    run_apart(cancelled_ourselves)
