"""A partition's transactional producer while the broker cannot be reached
(streams.fencing.Transactions): asked for again until the broker answers or the worker
stops, against real aiokafka producers and real sockets: a port where nothing listens (a
refused connection) and one that takes connections and never answers (a broker gone quiet:
aiokafka waits 40 s a request). The whole worker with its broker killed while it takes
partitions over: tests/integration/kafka/test_workers.py."""

import asyncio
import logging
import socket
import time
from collections.abc import Iterator

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaError, UnsupportedVersionError

from streams import fencing
from streams.fencing import Stopping, Transactions, unreachable
from tests.helpers import run_apart


@pytest.fixture
def refused() -> Iterator[str]:
    """An address that refuses connections: bound, not listening, held for the whole test
    (a port let go could be taken by another process meanwhile)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def silent() -> Iterator[str]:
    """An address that takes connections and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)  # the kernel completes the handshakes; nobody reads
        yield f"127.0.0.1:{s.getsockname()[1]}"


def _said(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


async def _stopped_once_said(txn: Transactions, partitions: set[int],
                             caplog: pytest.LogCaptureFixture, words: str, times: int) -> float:
    """hold() the partitions, wait until `words` were said `times` times, stop the worker:
    the seconds from the stop until hold() ended (with Stopping)."""
    held = asyncio.ensure_future(txn.hold(partitions))
    deadline = time.monotonic() + 10
    while len(_said(caplog, words)) < times:
        assert time.monotonic() < deadline and not held.done()
        await asyncio.sleep(0.02)
    began = time.monotonic()
    await txn.close()
    with pytest.raises(Stopping):
        await asyncio.wait_for(held, 10)
    return time.monotonic() - began


def test_a_producer_is_asked_for_again_until_the_worker_stops(
        refused: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(fencing, "UNREACHABLE_FIRST_WAIT", 0.05)
    monkeypatch.setattr(fencing, "UNREACHABLE_LAST_WAIT", 0.2)
    txn = Transactions(refused, "jatkumo-test-unreachable")

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
    assert isinstance(error, Stopping)
    assert took < 8  # at once (some 0.01 s), not at the bound above: room for a busy machine
    assert txn.producers == {}
    said = _said(caplog, "waiting for the broker")
    assert len(said) == 2, said  # once per partition, not once per try
    assert all("KafkaConnectionError" in m for m in said), said


def test_a_stop_wakes_a_long_wait_between_tries_at_once(
        refused: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(fencing, "UNREACHABLE_FIRST_WAIT", 30.0)
    txn = Transactions(refused, "jatkumo-test-unreachable")

    with caplog.at_level(logging.INFO, logger="jatkumo.worker"):
        # the first try failed once that is said: in the 30 s wait then
        assert run_apart(lambda: _stopped_once_said(txn, {0}, caplog, "waiting for the", 1)) < 2


def test_a_start_that_gets_no_answer_is_said_and_a_stop_ends_it(
        silent: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """aiokafka's own wait (40 s for the bootstrap's answer here; for ever for a coordinator
    after the bootstrap) is raced against the stop: the stop had to wait it out."""
    monkeypatch.setattr(fencing, "SLOW_START", 0.3)
    txn = Transactions(silent, "jatkumo-test-silent")

    with caplog.at_level(logging.INFO, logger="jatkumo.worker"):
        assert run_apart(lambda: _stopped_once_said(txn, {0, 1}, caplog, "no answer in", 2)) < 2
    assert txn.producers == {}


class _RefusedAtZero(Transactions):
    """Partition 0's broker refuses outright (a fake of our own class's one step)."""

    async def _start(self, partition: int) -> object:  # type: ignore[override]
        if partition == 0:
            await asyncio.sleep(0.2)
            raise UnsupportedVersionError("refused")
        return await super()._start(partition)


def test_a_refusal_does_not_wait_for_another_partitions_broker(
        refused: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fencing, "UNREACHABLE_FIRST_WAIT", 0.05)
    monkeypatch.setattr(fencing, "UNREACHABLE_LAST_WAIT", 0.2)
    txn = _RefusedAtZero(refused, "jatkumo-test-refused")

    async def go() -> float:
        began = time.monotonic()
        with pytest.raises(UnsupportedVersionError):
            await asyncio.wait_for(txn.hold({0, 1}), 10)  # partition 1 would wait for ever
        return time.monotonic() - began

    assert run_apart(go) < 2
    assert txn.producers == {}


def test_what_counts_as_unreachable() -> None:
    lost = KafkaConnectionError("Connection at 127.0.0.1:9092 closed")
    wrapped = KafkaError(repr(lost))  # how aiokafka's coordinator lookup raises it again
    wrapped.__cause__ = lost
    assert unreachable(lost) and unreachable(wrapped)
    assert not unreachable(KafkaError("KafkaConnectionError in the words only"))
    assert not unreachable(UnsupportedVersionError("refused"))
    assert not unreachable(asyncio.CancelledError())
