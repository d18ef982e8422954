"""Which event ids the sink's file may have a row of, as DuckDB's 64-bit hashes of them.

The id stage marks the first record of an event id ("n": 1, streams.tables.pack_id) so that
the sink can insert its row without looking for an older one (a DELETE that scans the whole
events relation). That mark is a hint from a topic, and a wrong one wrote an event twice: a
CI run of tests/integration/kafka/test_crash.py (workers and sinks killed at random) ended
with two event rows doubled. So the sink checks each marked id here first, and an id whose
hash the file has takes the DELETE path like any other. A hash shared by two ids only costs
that DELETE, never a row.

Memory: 8 bytes an event (200 MB for the national decade's 25 million), in sorted numpy
arrays."""

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa


def hashes(con: duckdb.DuckDBPyConnection, ids: pa.Table) -> Any:
    """DuckDB's hash of each id of `ids` (a table of one column, event_id), as uint64."""
    _ids = ids  # read by name in the query (DuckDB's replacement scan)
    got = con.execute("SELECT hash(event_id) AS h FROM _ids").fetchnumpy()["h"]
    return np.asarray(got, dtype=np.uint64)


def _member(run: Any, hashed: Any) -> Any:
    at = np.minimum(np.searchsorted(run, hashed), len(run) - 1)
    return run[at] == hashed


class SeenIds:
    """Sorted runs of hashes, largest first, each at least twice the size of the next: a
    batch's hashes are a new run, merged with the run before it while that one is not
    twice its size (a binary counter: each hash is merged some log2(events / batch) times,
    and a lookup searches as many runs). One array merged with every batch cost 0.5 s a
    merge at 25 million."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        got = con.execute("SELECT hash(event_id) AS h FROM events").fetchnumpy()["h"]
        base = np.sort(np.asarray(got, dtype=np.uint64))  # a repeat does no harm
        self.runs: list[Any] = [base] if len(base) else []

    def have(self, hashed: Any) -> Any:
        """A boolean array: which of these hashes the file may have a row of."""
        found = np.zeros(len(hashed), dtype=bool)
        for run in self.runs:
            found |= _member(run, hashed)
        return found

    def add(self, hashed: Any) -> None:
        """After a commit: these ids have rows now."""
        if not len(hashed):
            return
        runs = self.runs
        runs.append(np.sort(np.asarray(hashed, dtype=np.uint64)))
        while len(runs) > 1 and len(runs[-2]) < 2 * len(runs[-1]):
            # two sorted runs one after the other: numpy's stable sort of integers this
            # wide is timsort, which merges them in one pass
            last = runs.pop()
            runs[-1] = np.sort(np.concatenate([runs[-1], last]), kind="stable")
