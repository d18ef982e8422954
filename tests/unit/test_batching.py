"""The batch consumer's drain step (streams.batching) against a scripted fetch.

The consumer is faust's own, made by a faust app with the batch transport but never started:
only the fetch (`next_records`), the high-water mark and faust's per-message callback
are scripted, so that a rebalance can be made to land exactly inside a gather. The real
broker runs in tests/integration/kafka.
"""

import asyncio
from collections.abc import Callable
from typing import Any

import faust
from aiokafka.structs import ConsumerRecord
from faust.types import TP

from streams.batching import (
    BACKLOG,
    BACKLOG_BYTES,
    BACKLOG_WAIT,
    FETCH_MAX_WAIT_MS,
    TOP_UP,
    batch_transport,
    handle_batches,
)
from streams.kafka_internals import update_topic_indices
from tests.helpers import run_apart

EVENTS = TP("ev", 0)
CHANGELOG = TP("state-changelog", 0)


def records(tp: TP, offsets: range | list[int], value: bytes = b"v") -> list[Any]:
    return [ConsumerRecord(tp.topic, tp.partition, o, 0, 0, b"k", value, None, 1, 1, [])
            for o in offsets]


class Rig:
    """A never-started batch consumer with a scripted fetch: each round returns the next
    mapping of records; then nothing."""

    def __init__(self, rounds: list[dict[TP, list[Any]]]) -> None:
        self.app = faust.App("test-batching", broker="kafka://127.0.0.1:1", autodiscover=False)
        self.app.transport = batch_transport(self.app, 100_000)
        self.handed: list[list[Any]] = []
        self.offsets: list[dict[TP, int]] = []  # what each batch was told to commit
        self.delivered: list[Any] = []  # what went to faust's per-message callback
        self.on_callback: Callable[[], None] = lambda: None
        self.on_fetch: Callable[[], None] = lambda: None
        self.active: set[TP] | None = None  # faust's unpaused partitions; None: all
        self.fetched_again: list[dict[TP, int]] = []
        self.timeouts: list[float] = []  # of each fetch
        # a round after the first is a fetch under way: not there for a fetch that does not
        # wait (timeout 0)
        self.rounds_take_a_moment = False

        async def handler(batches: dict[TP, list[Any]], offsets: dict[TP, int]) -> None:
            self.handed.append([r for recs in batches.values() for r in recs])
            self.offsets.append(offsets)

        handle_batches(self.app, [self.app.topic(EVENTS.topic)], handler)
        self.consumer: Any = self.app.consumer
        rounds = list(rounds)

        async def fetch(timeout: float) -> tuple[dict[TP, list[Any]], set[TP] | None]:
            self.timeouts.append(timeout)
            await asyncio.sleep(0)
            self.on_fetch()
            if self.rounds_take_a_moment and timeout == 0 and len(self.timeouts) > 1:
                return {}, self.active
            return (rounds.pop(0) if rounds else {}), self.active

        async def fetch_again(offsets: dict[TP, int]) -> None:  # the consumer thread's seek
            self.fetched_again.append(offsets)

        async def callback(message: Any) -> None:
            self.delivered.append(message)
            self.on_callback()

        self.consumer.next_records = fetch
        self.consumer.highwater = lambda tp: 0
        self.consumer.callback = callback
        self.consumer.batch_thread.fetch_again = fetch_again

    def rebalance(self) -> None:
        """What a whole rebalance does to the consumer meanwhile: a new generation, and
        recovery's seek resetting the read offsets (no commits yet: none)."""
        self.app.consumer_generation_id += 1
        for tp in (EVENTS, CHANGELOG):
            self.consumer.set_read_offset(tp, None)

    async def drain_once(self) -> None:
        await update_topic_indices(self.app)  # faust's list of topics that are acked
        batches, generation = await self.consumer._gather()
        if batches:
            await self.consumer._hand_over(batches, generation)


def rebalance_in_fetch(n: int) -> Callable[[Rig], None]:
    """A set-up for `drained`: a whole rebalance happens during the rig's fetch number n
    (0: the first), and only then."""
    def before(rig: Rig) -> None:
        fetches = iter(range(1_000))

        def on_fetch() -> None:
            if next(fetches) == n:
                rig.rebalance()
        rig.on_fetch = on_fetch
    return before


def drained(rounds: list[dict[TP, list[Any]]], before: Callable[[Rig], None] = lambda r: None,
            ) -> Rig:
    """A rig made and drained once on a loop of its own (faust's events belong to the loop
    they were made on)."""
    async def go() -> Rig:
        rig = Rig(rounds)
        before(rig)
        await rig.drain_once()
        return rig

    rig: Rig = run_apart(go)
    return rig


def test_a_fetched_batch_is_handed_over_whole_with_the_offset_to_commit() -> None:
    rig = drained([{EVENTS: records(EVENTS, range(10))}])
    assert [[r.offset for r in b] for b in rig.handed] == [list(range(10))]
    assert rig.offsets == [{EVENTS: 10}]  # committed by the handler, in its transaction
    assert rig.consumer.read_offset(EVENTS) == 9
    assert not rig.consumer.acked(EVENTS)  # faust's own commit never sees them
    assert not rig.consumer.in_flight()  # a rebalance would not wait for it


def test_a_backlog_is_gathered_into_one_batch() -> None:
    rig = drained([{EVENTS: records(EVENTS, range(0, BACKLOG))},
                   {EVENTS: records(EVENTS, range(BACKLOG, BACKLOG + 5))}])
    assert [len(b) for b in rig.handed] == [BACKLOG + 5]


def test_a_backlog_waits_for_the_fetch_under_way_until_a_round_brings_nothing() -> None:
    # taking only what was prefetched cut a backlog into batches of one fetch round each,
    # and each batch evaluates and writes every client it touches again
    def under_way(rig: Rig) -> None:
        rig.rounds_take_a_moment = True

    rig = drained([{EVENTS: records(EVENTS, range(0, BACKLOG))},
                   {EVENTS: records(EVENTS, range(BACKLOG, 2 * BACKLOG))},
                   {EVENTS: records(EVENTS, range(2 * BACKLOG, 3 * BACKLOG))}], under_way)
    assert [len(b) for b in rig.handed] == [3 * BACKLOG]
    assert rig.timeouts == [1.0, BACKLOG_WAIT, BACKLOG_WAIT, BACKLOG_WAIT]


def test_a_round_of_few_but_large_records_is_a_backlog() -> None:
    # a record of claims holds a whole batch's claims of a partition: four rounds of three
    # such records are one batch, not two
    big = b"c" * (BACKLOG_BYTES // 3 + 1)
    rig = drained([{EVENTS: records(EVENTS, range(3 * i, 3 * i + 3), big)} for i in range(4)])
    assert [len(b) for b in rig.handed] == [12]
    assert rig.timeouts == [1.0, *[BACKLOG_WAIT] * 4]


def test_a_round_just_under_the_backlog_bytes_is_live() -> None:
    near = b"c" * (BACKLOG_BYTES // 3 - 1)
    rig = drained([{EVENTS: records(EVENTS, range(3 * i, 3 * i + 3), near)} for i in range(4)])
    assert [len(b) for b in rig.handed] == [6]  # the round and the top-up, as a live batch
    assert rig.timeouts == [1.0, TOP_UP]


def test_records_read_before_do_not_make_a_round_a_backlog() -> None:
    # a seek back brings large records again that were read already: not this batch's
    big = b"c" * BACKLOG_BYTES

    def read_up_to_3(rig: Rig) -> None:
        rig.consumer.set_read_offset(EVENTS, 3)

    rig = drained([{EVENTS: records(EVENTS, range(0, 3), big) + records(EVENTS, [3, 4])},
                   {EVENTS: records(EVENTS, [5])}, {EVENTS: records(EVENTS, [6])}],
                  read_up_to_3)
    assert [[r.offset for r in b] for b in rig.handed] == [[3, 4, 5]]
    assert rig.timeouts == [1.0, TOP_UP]


def test_a_live_batch_takes_the_next_fetch_too_and_no_more() -> None:
    # live: what was buffered is one fetch's worth from early in the last batch; the fetch
    # after it (waited for TOP_UP at most) joins this batch, a third round the next one
    rig = drained([{EVENTS: records(EVENTS, range(0, 10))},
                   {EVENTS: records(EVENTS, range(10, 20))},
                   {EVENTS: records(EVENTS, range(20, 30))}])
    assert [[r.offset for r in b] for b in rig.handed] == [list(range(20))]
    assert rig.timeouts == [1.0, TOP_UP]


def test_records_read_before_are_not_handed_over_again() -> None:
    def read_up_to_5(rig: Rig) -> None:
        rig.consumer.set_read_offset(EVENTS, 5)  # faust keeps the record at the read offset

    rig = drained([{EVENTS: records(EVENTS, range(10))}], read_up_to_5)
    assert [r.offset for r in rig.handed[0]] == [5, 6, 7, 8, 9]


def test_offsets_skipped_in_a_batch_topic_are_no_gaps_for_faust() -> None:
    # faust's commit never commits a batch topic (the handler does, in its transactions), so
    # a gap there is never passed nor removed: the tree only grew, one gap a transaction
    # marker, and faust rebuilds it on every add
    rig = drained([{EVENTS: records(EVENTS, [0, 1, 2, 6, 7])}])
    assert [[r.offset for r in b] for b in rig.handed] == [[0, 1, 2, 6, 7]]
    assert rig.offsets == [{EVENTS: 8}]  # what the handler commits passes them
    assert not rig.consumer.gaps(EVENTS)


def test_a_rebalance_inside_a_gather_leaves_the_read_offsets_to_the_new_generation() -> None:
    # The loss the crash test found: a changelog record's callback awaits; a whole rebalance
    # happens meanwhile (the new generation's recovery resets the read offsets); the stale
    # gather then must not mark its events as read, or the new generation skips them.
    def rebalance_on_callback(rig: Rig) -> None:
        rig.on_callback = rig.rebalance

    rig = drained([{CHANGELOG: records(CHANGELOG, [0]), EVENTS: records(EVENTS, range(BACKLOG))},
                   {EVENTS: records(EVENTS, range(BACKLOG, BACKLOG + 10))}],
                  rebalance_on_callback)
    assert len(rig.delivered) == 1  # the changelog record went to faust, then the rebalance
    assert rig.handed == []
    assert rig.consumer.read_offset(EVENTS) is None
    assert rig.consumer.read_offset(CHANGELOG) is None  # recovery reads it again from 0


def test_what_a_fetch_brings_after_a_rebalance_is_kept_and_the_stale_gather_dropped() -> None:
    # The other half: the fetch during which the rebalance happened returns what the new
    # assignment read (from the committed offsets, here the beginning); dropping it lost the
    # first events of a new assignment for good, since the position had moved past them.
    rig = drained([{EVENTS: records(EVENTS, range(100, 100 + BACKLOG))},
                   {EVENTS: records(EVENTS, range(0, 10))}], rebalance_in_fetch(1))
    assert [[r.offset for r in b] for b in rig.handed] == [list(range(10))]
    assert rig.consumer.read_offset(EVENTS) == 9


def test_changelog_records_fetched_as_a_rebalance_ends_reach_the_recovery() -> None:
    # A worker's recovery waited forever for changelog records that its consumer had dropped
    # because its drain loop had started waiting in the generation before.
    rig = drained([{CHANGELOG: records(CHANGELOG, range(5))}], rebalance_in_fetch(0))
    assert [m.offset for m in rig.delivered] == [0, 1, 2, 3, 4]
    assert rig.consumer.read_offset(CHANGELOG) == 4


def test_records_of_a_partition_paused_meanwhile_are_fetched_again() -> None:
    # faust pauses a new assignment's partitions for its recovery after a fetch of them may
    # have begun; dropping what that fetch brought lost it for good where nothing had been
    # committed (the seek to the committed offsets then moves nothing)
    def pause_events(rig: Rig) -> None:
        rig.active = {CHANGELOG}

    rig = drained([{EVENTS: records(EVENTS, range(100, 110)),
                    CHANGELOG: records(CHANGELOG, [0])}], pause_events)
    assert rig.handed == []
    assert rig.fetched_again == [{EVENTS: 100}]
    assert [m.offset for m in rig.delivered] == [0]  # the changelog is not paused: taken


def test_a_batch_is_not_handed_over_once_the_flow_has_stopped() -> None:
    # faust's revoke stops the flow first thing; the batch will be read again after it
    async def gather_then_revoke() -> Rig:
        rig = Rig([{EVENTS: records(EVENTS, range(10))}])
        batches, generation = await rig.consumer._gather()
        assert batches
        rig.consumer.stop_flow()
        await rig.consumer._hand_over(batches, generation)
        return rig

    rig: Rig = run_apart(gather_then_revoke)
    assert rig.handed == []
    assert rig.consumer.read_offset(EVENTS) is None


def test_the_seek_ending_a_recovery_takes_the_batch_topics_back_to_their_start() -> None:
    # what the drain loop drops during a rebalance is read again from the committed offsets,
    # and from the beginning where nothing was committed (on the broker:
    # tests/integration/kafka/test_seek.py); faust's changelogs are its recovery's to seek
    async def make() -> tuple[bool, bool]:
        thread = Rig([]).consumer.batch_thread
        return thread.starts_over(EVENTS), thread.starts_over(CHANGELOG)

    assert run_apart(make) == (True, False)


def test_the_broker_holds_an_empty_fetch_a_tenth_of_a_second() -> None:
    async def make() -> int:
        rig = Rig([])
        got = rig.consumer.batch_thread.fetch_settings(rig.app.transport)
        assert got["isolation_level"] == "read_committed"  # a zombie's aborted batch: unread
        return int(got["fetch_max_wait_ms"])

    assert run_apart(make) == FETCH_MAX_WAIT_MS == 100
