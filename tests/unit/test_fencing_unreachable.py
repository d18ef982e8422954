"""A partition's transactional producer while the broker cannot be reached
(streams.fencing.Transactions._start): it is asked for again until the broker answers or the
worker stops, against a real aiokafka producer and a port where nothing listens (the whole
worker with its broker killed while it takes partitions over: tests/integration/kafka/
test_workers.py)."""

import asyncio
import logging
import socket
import time

import pytest
from aiokafka.errors import KafkaConnectionError

from streams import fencing
from streams.fencing import Transactions
from tests.helpers import run_apart


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens


def test_a_producer_is_asked_for_again_until_the_worker_stops(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(fencing, "UNREACHABLE_FIRST_WAIT", 0.05)
    monkeypatch.setattr(fencing, "UNREACHABLE_LAST_WAIT", 0.2)
    txn = Transactions(f"127.0.0.1:{_closed_port()}", "jatkumo-test-unreachable")

    async def go() -> tuple[bool, float, BaseException | None]:
        held = asyncio.ensure_future(txn.hold({0, 1}))
        await asyncio.sleep(1.5)  # several tries: it had crashed at the first (status 1)
        waiting = not held.done()
        began = time.monotonic()
        await txn.close()  # the worker stops
        try:
            await asyncio.wait_for(held, 10)
            error: BaseException | None = None
        except BaseException as e:
            error = e
        return waiting, time.monotonic() - began, error

    with caplog.at_level(logging.INFO, logger="jatkumo.worker"):
        waiting, took, error = run_apart(go)
    assert waiting, "hold() gave up while the broker was away"
    assert isinstance(error, KafkaConnectionError)  # the stop ends the wait: no producer
    assert took < 2
    assert txn.producers == {}
    said = [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(said) == 2, said  # once per partition, not once per try


def test_a_stop_wakes_a_long_wait_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fencing, "UNREACHABLE_FIRST_WAIT", 30.0)
    txn = Transactions(f"127.0.0.1:{_closed_port()}", "jatkumo-test-unreachable")

    async def go() -> float:
        held = asyncio.ensure_future(txn.hold({0}))
        await asyncio.sleep(0.5)  # the first try failed; now in its 30 s wait
        began = time.monotonic()
        await txn.close()
        with pytest.raises(KafkaConnectionError):
            await asyncio.wait_for(held, 10)
        return time.monotonic() - began

    assert run_apart(go) < 2
