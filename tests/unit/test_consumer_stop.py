"""How the worker's consumer thread stops when its broker is gone
(streams.kafka_internals.ConsumerThread; the whole worker: tests/integration/kafka/
test_workers.py). Here the two ways out of a stuck stop, each with what it is given."""

import asyncio
import inspect
import logging

import mode.services
import pytest

from streams import kafka_internals
from streams.kafka_internals import ConsumerThread


def test_mode_waits_for_a_service_stop_by_the_setting_we_lower() -> None:
    # the 10 s cap is mode's own wait; were it renamed, a stuck stop would wait 60 s again
    assert "self.shutdown_timeout" in inspect.getsource(mode.services.Service.stop)
    assert ConsumerThread.shutdown_timeout < mode.services.Service.shutdown_timeout


def test_a_stop_that_times_out_is_said_and_goes_on(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    async def stuck(self: object) -> None:
        raise TimeoutError

    monkeypatch.setattr(kafka_internals.driver.AIOKafkaConsumerThread, "stop", stuck)
    thread = object.__new__(ConsumerThread)
    with caplog.at_level(logging.WARNING, logger="jatkumo.worker"):
        asyncio.run(thread.stop())
    assert "did not stop within 10 s (is the broker up?)" in caplog.text


def test_aiokafkas_cancelled_fetch_is_no_death_of_the_thread_but_our_cancel_still_is(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def fetch_cancelled(self: object) -> None:
        raise asyncio.CancelledError  # what aiokafka's Fetcher.close lets out

    monkeypatch.setattr(kafka_internals.driver.AIOKafkaConsumerThread, "on_thread_stop",
                        fetch_cancelled)
    thread = object.__new__(ConsumerThread)
    asyncio.run(thread.on_thread_stop())  # no CancelledError out of it

    async def waits(self: object) -> None:
        await asyncio.sleep(60)

    monkeypatch.setattr(kafka_internals.driver.AIOKafkaConsumerThread, "on_thread_stop", waits)

    async def cancelled_ourselves() -> None:
        task = asyncio.ensure_future(thread.on_thread_stop())
        await asyncio.sleep(0)  # inside the library's stop now
        task.cancel()  # the stop itself is cancelled: that goes on up
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancelled_ourselves())
