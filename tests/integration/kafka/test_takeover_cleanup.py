"""What a worker's takeover of partitions leaves behind when it is cut short (streams.fencing
Transactions.hold), with real producers on a real broker beside a partition whose broker
cannot be reached (a refused port) or that is refused outright: no producer that was started
is left open (it holds a live producer epoch, which has fenced the partition's previous
owner), and a start that was slow and then went through says so."""

import asyncio
import logging
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import UnsupportedVersionError

from streams import fencing
from streams.fencing import Transactions
from tests.helpers import run_apart

pytestmark = pytest.mark.kafka


@pytest.fixture
def refused() -> Iterator[str]:
    with socket.socket() as s:  # bound, not listening: connections are refused
        s.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{s.getsockname()[1]}"


class _Apart(Transactions):
    """Each partition's producer to an address of its own, every producer made kept; a
    partition in `refusing` is refused outright once another's producer has started (a fixed
    0.5 s was not always enough for a broker's first transactional start under load: some
    0.2-0.4 s on a busy core), and one in `lingering` waits
    for ever and takes 0.5 s to end when cancelled (fakes of our own step)."""

    def __init__(self, addresses: dict[int, str], refusing: frozenset[int] = frozenset(),
                 lingering: frozenset[int] = frozenset()):
        super().__init__(addresses[0], "jatkumo-test-takeover")
        self.addresses, self.refusing, self.lingering = addresses, refusing, lingering
        self.made: list[tuple[int, AIOKafkaProducer]] = []
        self.started_ids: set[int] = set()
        self.stopped: set[int] = set()

    def _make_producer(self, partition: int) -> AIOKafkaProducer:
        self.bootstrap = self.addresses[partition]
        producer = super()._make_producer(partition)
        self.made.append((partition, producer))
        stop = producer.stop

        async def stopped() -> None:  # what was stopped, told by its own stop
            self.stopped.add(id(producer))
            await stop()

        producer.stop = stopped  # type: ignore[method-assign]
        return producer

    async def _started_unless_closing(self, producer: AIOKafkaProducer,
                                      slow: Callable[[str], None]) -> bool:
        started = await super()._started_unless_closing(producer, slow)
        if started:
            self.started_ids.add(id(producer))
        return started

    async def _start(self, partition: int) -> AIOKafkaProducer:
        if partition in self.refusing:
            deadline = time.monotonic() + 60
            while not self.started_ids and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            raise UnsupportedVersionError("refused")
        if partition in self.lingering:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                await asyncio.sleep(0.5)
                raise
        return await super()._start(partition)

    def started(self, partition: int) -> AIOKafkaProducer | None:
        return next((p for q, p in self.made if q == partition and id(p) in self.started_ids),
                    None)


def _open(txn: _Apart) -> list[int]:
    return [q for q, p in txn.made if id(p) not in txn.stopped]


def test_a_refusal_stops_the_producer_another_partition_started(kafka: str,
                                                                refused: str) -> None:
    txn = _Apart({0: kafka, 1: refused}, refusing=frozenset({1}))

    async def go() -> None:
        with pytest.raises(UnsupportedVersionError):
            await asyncio.wait_for(txn.hold({0, 1}), 60)

    run_apart(go)
    assert [q for q, _ in txn.made] == [0]  # partition 0's producer was made...
    assert txn.started(0) is not None  # ...and started (its epoch taken) before the refusal
    assert _open(txn) == [] and txn.producers == {}


def test_a_takeover_cancelled_twice_leaves_no_producer_open(kafka: str, refused: str) -> None:
    """A second cancel while the first's cleanup waited skipped the stopping (a review found
    partition 0's started producer left open)."""
    txn = _Apart({0: kafka, 1: refused}, lingering=frozenset({1}))

    async def go() -> None:
        held = asyncio.ensure_future(txn.hold({0, 1}))
        deadline = time.monotonic() + 60
        while txn.started(0) is None:  # partition 0 taken; partition 1 waits
            assert time.monotonic() < deadline and not held.done()
            await asyncio.sleep(0.01)
        held.cancel()
        await asyncio.sleep(0.1)  # the cleanup waits for partition 1's start to end
        held.cancel()
        with pytest.raises(asyncio.CancelledError):
            await held

    run_apart(go)
    assert _open(txn) == [], txn.made
    assert txn.producers == {}


def test_a_slow_start_that_goes_through_is_said_to_have_waited(
        kafka: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A start that hangs after the broker's bootstrap (aiokafka asks for the coordinator
    again and again) and goes through once the broker answers: the wait and its end are
    said (the end was not: the test of the whole worker looks for it)."""
    monkeypatch.setattr(fencing, "SLOW_START", 0.001)  # any real start is slower than 1 ms
    txn = _Apart({0: kafka})

    async def go() -> Any:
        try:
            return await asyncio.wait_for(txn.hold({0}), 60)
        finally:
            await txn.close()

    with caplog.at_level(logging.INFO, logger="jatkumo.worker"):
        run_apart(go)
    said = [r.getMessage() for r in caplog.records if r.name == "jatkumo.worker"]
    assert any("no answer in 0.001 s" in m for m in said), said
    assert any("took its transactional producer after" in m for m in said), said
    assert _open(txn) == []
