"""Context.flush when a partition's transaction does not happen: a fence crashes the worker
(status 75, a fresh process recovers), a stop does not.

Found by test_workers' stop during a rebalance: the refresh's flush ran while the SIGTERM's
Transactions.close gave the producers up (since fencing.Transactions waits for a transaction
under way before it drops a producer, the flush came after more often), and the clean stop
logged FENCED and a crash."""

from dataclasses import dataclass, field
from typing import Any

from streams.agents.context import AsOfClock, Context
from streams.fencing import FencedExit, Transactions
from tests.helpers import run_apart as run  # on a loop of its own, in a thread


@dataclass
class Consumer:
    committed_to: dict[Any, int] = field(default_factory=dict)


@dataclass
class App:  # our own port: what Context uses of the faust app when a flush is fenced
    consumer: Consumer = field(default_factory=Consumer)
    crashed: list[BaseException] = field(default_factory=list)

    async def crash(self, exc: BaseException) -> None:
        self.crashed.append(exc)


@dataclass
class Table:
    data: dict[bytes, bytes] = field(default_factory=dict)


async def _flush(stopping: bool) -> tuple[set[int], list[BaseException]]:
    txn = Transactions("127.0.0.1:1", "jatkumo-test")  # holds no producer: nothing connects
    if stopping:
        await txn.close()
    app = App()
    ctx = Context(app=app, topics=None, table=Table(), ids=Table(),  # type: ignore[arg-type]
                  rules=None, key=None, clock=AsOfClock("2024-06-30"),  # type: ignore[arg-type]
                  partitions=6, transactions=txn)
    ctx.send(3, "jatkumo.client-results", b"c1", b"{}")
    fenced = await ctx.flush()
    return fenced, app.crashed


def test_a_flush_during_a_stop_drops_its_work_without_a_crash() -> None:
    fenced, crashed = run(lambda: _flush(stopping=True))
    assert fenced == {3}
    assert crashed == []


def test_a_flush_for_a_partition_not_held_is_a_fence_and_the_worker_restarts() -> None:
    fenced, crashed = run(lambda: _flush(stopping=False))
    assert fenced == {3}
    assert [type(e) for e in crashed] == [FencedExit]


@dataclass
class Rows:  # a faust table with the memory store, as Context.rows_of reads it
    data: Table = field(default_factory=Table)
    name: str = "event-ids"
    changelog_topic_name: str = "jatkumo-worker-event-ids-changelog"


def test_put_many_writes_each_row_and_its_changelog_record_in_its_partition() -> None:
    ctx = Context(app=App(), topics=None, table=Table(), ids=Table(),  # type: ignore[arg-type]
                  rules=None, key=None, clock=AsOfClock("2024-06-30"),  # type: ignore[arg-type]
                  partitions=6, transactions=None)  # type: ignore[arg-type]
    table = Rows()
    ctx.put_many(table, [(b"e1", b'{"t":1}', 2), (b'e"2', b'{"t":2}', 4), (b"e3", b"{}", 2)])
    ctx.put(table, b"e1", b'{"t":3}', 2)  # a later write of a key replaces the row
    assert table.data.data == {b"e1": b'{"t":3}', b'e"2': b'{"t":2}', b"e3": b"{}"}
    name = table.changelog_topic_name
    # the key as a JSON string (what faust's recovery reads), in the named partition's
    # transaction, in the order written
    assert ctx.outbox == {
        2: [(name, b'"e1"', b'{"t":1}', 2, None, None), (name, b'"e3"', b"{}", 2, None, None),
            (name, b'"e1"', b'{"t":3}', 2, None, None)],
        4: [(name, b'"e\\"2"', b'{"t":2}', 4, None, None)]}
