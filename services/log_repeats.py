"""Kafka clients' complaints, once in a while instead of a thousand times a second.

With its broker gone, a worker's aiokafka clients (a consumer and a transactional producer
per partition) each retry every few milliseconds and log every failure at ERROR: some
1,000 lines a second, 7 MB of log a minute (measured: 64,389 lines in 65 s). The first of
each kind is what an operator needs, and then how many followed."""

import logging
import threading
import time
from collections.abc import Callable

KAFKA_CLIENTS = ("aiokafka",)  # the top-level names of the libraries' loggers
EVERY = 30.0  # seconds between two records of one kind


class Repeats(logging.Filter):
    """Passes a record of a logger and message template (its text before the arguments)
    at most once every `every` seconds; the next one passed says how many were held back."""

    def __init__(self, every: float = EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every = every
        self.clock = clock
        # (logger, level, template) -> [when one was last passed, how many held since]
        self.seen: dict[tuple[str, int, str], list[float]] = {}
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        with self.lock:  # the consumer's thread and the main loop's log at once
            got = self.seen.get(key)
            if got is not None and now - got[0] < self.every:
                got[1] += 1
                return False
            held = 0 if got is None else int(got[1])
            self.seen[key] = [now, 0]
        if held:
            # added to the text after formatting (the arguments may hold a "%")
            # (empty arguments, not None: mode's formatter makes None a tuple of one)
            record.msg, record.args = record.getMessage() + (
                f" ({held} more like it in the last {self.every:.0f} s not shown)"), ()
        return True


def quiet_kafka_clients(every: float = EVERY) -> Repeats:
    """One Repeats on every logger of the Kafka clients made so far (a logger's filters
    are not its children's: each module's logger gets it). Call once their modules are
    imported; calling again adds none twice."""
    found = [lg for name, lg in list(logging.Logger.manager.loggerDict.items())
             if isinstance(lg, logging.Logger) and name.split(".")[0] in KAFKA_CLIENTS]
    shared = next((f for lg in found for f in lg.filters if isinstance(f, Repeats)), None)
    repeats = shared or Repeats(every)
    for lg in found:
        if repeats not in lg.filters:
            lg.addFilter(repeats)
    return repeats
