"""The cycle collector's policy of the long-running processes (streams.collector): young
garbage goes at every settle, survivors are frozen (never walked again by the automatic
collections), and garbage that was frozen goes at the next whole collection."""

import gc
import weakref
from collections.abc import Iterator

import pytest

from streams.collector import Collector


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> tuple[Node, weakref.ref[Node]]:
    a, b = Node(), Node()
    a.other, b.other = b, a  # only the cycle collector can free these
    return a, weakref.ref(a)


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process's objects go back to the collector


def test_settle_collects_young_cycles_and_freezes_what_survives() -> None:
    now = [0.0]
    collector = Collector(full_every=600.0, clock=lambda: now[0])
    gc.disable()  # no automatic collection in between: what happens is the settle's doing
    try:
        node, dead = cycle()
        kept = Node()  # alive at the settle: frozen
        del node
        assert dead() is not None
        assert not collector.settle()
        assert dead() is None, "a cycle made since the last settle is collected"
        assert gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        later, frozen_ref = cycle()
        assert not collector.settle()  # `later` is alive: frozen with it
        assert gc.get_freeze_count() > frozen
        del later
        now[0] = 599.0
        assert not collector.settle()
        assert frozen_ref() is not None, "frozen garbage waits for the whole collection"
        now[0] = 600.0
        assert collector.settle(), "a whole collection after full_every seconds"
        assert frozen_ref() is None
        assert collector.last_full == 600.0
        now[0] = 900.0
        assert not collector.settle()
        assert kept.other is None  # alive throughout
    finally:
        gc.enable()


def test_a_batch_collects_nothing_until_it_ends_then_settles() -> None:
    collector = Collector(full_every=600.0, clock=lambda: 0.0)
    assert gc.isenabled()
    with collector.batch():
        assert not gc.isenabled(), "no automatic collection inside a batch"
        node, dead = cycle()
        del node
        for _ in range(50_000):  # far past the young generation's threshold
            cycle()
        assert dead() is not None, "a batch's cyclic garbage waits for its end"
    assert gc.isenabled()
    assert dead() is None, "the settle at the end collected it"
    assert gc.get_freeze_count() > 0, "and froze the survivors"


def test_a_batch_that_fails_still_settles_and_leaves_the_collector_as_found() -> None:
    collector = Collector(full_every=600.0, clock=lambda: 0.0)
    with pytest.raises(RuntimeError), collector.batch():
        node, dead = cycle()
        del node
        raise RuntimeError("the batch failed")
    assert gc.isenabled()
    assert dead() is None
    gc.disable()  # replay runs with the collector off: a batch does not turn it on
    try:
        with collector.batch():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
