"""services.log_repeats: a Kafka client's complaint once in a while, then how many followed."""

import logging

import pytest

from services.log_repeats import Repeats, quiet_kafka_clients


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _record(msg: str, *args: object, name: str = "aiokafka",
            level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_one_of_a_kind_passes_a_while_and_the_next_says_how_many_were_held() -> None:
    clock = Clock()
    f = Repeats(every=30.0, clock=clock)
    assert f.filter(_record("Unable connect to node with id %s: %s", 1, "refused"))
    held = [f.filter(_record("Unable connect to node with id %s: %s", 1, f"try {i}"))
            for i in range(999)]
    assert not any(held)
    other = _record("Failed fetch messages from %s: %s", 1, "closed")
    assert f.filter(other)  # another kind has its own count
    clock.now += 30.0
    again = _record("Unable connect to node with id %s: %s", 1, "still refused")
    assert f.filter(again)
    assert again.getMessage() == ("Unable connect to node with id 1: still refused (999 more "
                                  "like it in the last 30 s not shown)")
    clock.now += 1.0
    assert not f.filter(_record("Unable connect to node with id %s: %s", 1, "x"))


def test_levels_and_loggers_are_kinds_of_their_own_and_a_percent_in_a_value_is_text() -> None:
    f = Repeats(every=30.0, clock=Clock())
    assert f.filter(_record("lost %s", "100%"))
    assert f.filter(_record("lost %s", "100%", level=logging.WARNING))
    assert f.filter(_record("lost %s", "100%", name="aiokafka.conn"))
    assert not f.filter(_record("lost %s", "50%"))
    f.clock.now += 31  # type: ignore[attr-defined]
    last = _record("lost %s", "100%")
    assert f.filter(last)
    assert last.getMessage() == "lost 100% (1 more like it in the last 30 s not shown)"


def test_every_kafka_client_logger_gets_one_filter_and_no_other_logger_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import aiokafka.consumer.fetcher  # noqa: F401 (its logger made)

    names = ["aiokafka", "aiokafka.consumer.fetcher", "jatkumo.worker", "faust"]
    loggers = [logging.getLogger(n) for n in names]
    for lg in loggers:  # as the test found them, put back after
        monkeypatch.setattr(lg, "filters", list(lg.filters))
    first = quiet_kafka_clients()
    assert quiet_kafka_clients() is first  # again: the same one, not a second
    for lg in loggers:
        mine = [f for f in lg.filters if isinstance(f, Repeats)]
        assert mine == ([first] if lg.name.startswith("aiokafka") else []), lg.name


def test_the_count_line_goes_through_the_workers_formatter() -> None:
    # the worker's handlers format with mode's formatter, which made arguments of None a
    # tuple of one: the count line failed with a "--- Logging error ---" traceback
    from mode.utils.logging import ExtensionFormatter

    clock = Clock()
    f = Repeats(every=30.0, clock=clock)
    f.filter(_record("Unable to update metadata from %s", [1]))
    f.filter(_record("Unable to update metadata from %s", [1]))
    clock.now += 31
    last = _record("Unable to update metadata from %s", [1])
    assert f.filter(last)
    text = ExtensionFormatter(fmt="%(message)s").format(last)
    assert text == "Unable to update metadata from [1] (1 more like it in the last 30 s not shown)"


def test_hostile_records_neither_crash_the_filter_nor_lose_their_text() -> None:
    # what a broker (or whoever answers on its port) can put into a client's log line: a
    # message that is an exception object, mapping arguments, a "%" with nothing to fill,
    # a megabyte of text, control characters; each kind is held and counted like any other
    clock = Clock()
    f = Repeats(every=30.0, clock=clock)
    odd = [_record(ValueError("bad %s"), "x"),  # type: ignore[arg-type]
           logging.LogRecord("aiokafka", logging.ERROR, __file__, 1, "node %(id)s: %(e)s",
                             ({"id": 1, "e": "refused"},), None),
           _record("100% of %s"),
           _record("reply %s", "\x1b[2J" + "A" * 1_000_000)]
    for r in odd:
        assert f.filter(r)
        r.getMessage()  # still formats
        assert not f.filter(r)  # the same kind again: held
    clock.now += 31
    for r in odd:
        again = logging.makeLogRecord(r.__dict__)
        assert f.filter(again)
        assert again.getMessage().endswith("(1 more like it in the last 30 s not shown)")
