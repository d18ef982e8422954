"""A thread that owns the store and runs its writes in order, so DuckDB's work (which releases
the GIL) overlaps with the Python that validates and applies the next events. One thread, one
connection: DuckDB's transaction stays whole, and writes keep their order."""

import queue
import threading
from collections.abc import Callable
from typing import Any

_DONE = object()


class BackgroundWriter:
    def __init__(self, depth: int = 4) -> None:
        # A bounded queue: if DuckDB falls behind, the reader waits instead of piling up batches.
        self._jobs: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="jatkumo-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _DONE:
                return
            if self._error is None:  # after a failure, drain without running anything
                try:
                    fn, args = job
                    fn(*args)
                except BaseException as e:  # handed to the caller in wait() or close()
                    self._error = e
            self._jobs.task_done()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        self._raise()
        self._jobs.put((fn, args))

    def wait(self) -> None:
        """Wait until every submitted write is done; re-raise the first failure, if any."""
        self._jobs.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        """Wait for every submitted write; re-raise the first failure, if any."""
        if self._thread.is_alive():
            self._jobs.put(_DONE)
            self._thread.join()
        self._raise()
