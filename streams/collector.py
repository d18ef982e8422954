"""Python's cycle collector in a process that runs for days and holds much long-lived state:
the worker (every client it has seen, decoded) and the sink.

Left to itself, the collector walks every tracked object in its full collections, and it runs
one whenever the objects that survived grow by a quarter: with the state growing, pauses of
64 ms, then 120, 240, up to 456 ms in one latency run of bench/kafka.py (the worker's 15 full
collections in 70 s; 4.2 s of collecting in all, 1.8 s with this), each holding up every
event under way; in the sink 118 and 144 ms (its imports alone are some hundred thousand
objects). At a whole collection every FULL_EVERY seconds, a worker of national size pauses
that long once in that time (its clients are walked once, not at every quarter's growth).

Inside a batch there is no collection at all (`batch`): everything a batch makes lives until
its end (its outputs wait for its transaction, its table rows and entries stay), so each young
collection in it walked them all again and found nothing. On this machine the id stage's
records cost 3.3 µs an entry with the collector running and 0.6 without it, and the decoding
of their JSON 2.2 µs a claim against 0.8. A batch's cyclic garbage waits for its end.

So between two batches the process `settle`s: a collection of what was made since the last
settle (what is frozen is never walked: cheap, as it is at most a batch's worth), then
everything that survived is frozen (gc.freeze, a constant-time move of the lists). What
becomes garbage in a cycle after it was frozen (an object in flight at a settle) is found
by a whole collection, unfrozen, once every FULL_EVERY seconds: one pause in that time
instead of several a minute.
"""

import contextlib
import gc
import time
from collections.abc import Callable, Iterator

FULL_EVERY = 600.0  # seconds between whole collections


class Collector:
    def __init__(self, full_every: float = FULL_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.full_every = full_every
        self.clock = clock
        self.last_full = clock()

    def settle(self) -> bool:
        """Between two batches: collect the young objects and freeze the survivors; once
        every `full_every` seconds everything. Whether it was a whole collection."""
        now = self.clock()
        whole = now - self.last_full >= self.full_every
        if whole:
            gc.unfreeze()
            self.last_full = now
        gc.collect()  # with everything unfrozen whole; else only what is not frozen
        gc.freeze()
        return whole

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """A batch: no collection until it ends (awaits inside it included), then `settle`.
        The collector is left as it was found (replay runs with it off)."""
        was = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if was:
                gc.enable()
            self.settle()
