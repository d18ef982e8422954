"""services.sink_ids: the event ids a sink's file may have a row of, as sorted runs of
hashes, answer like a set of every id added, through every merge of the runs."""

import itertools
import random
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from services import sink_ids


def _ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> Any:
    return sink_ids.hashes(con, pa.table({"event_id": pa.array(ids, pa.string())}))


def test_the_runs_answer_as_a_set_of_every_id_written_through_their_merges() -> None:
    rng = random.Random(5)
    con = duckdb.connect()
    con.execute("CREATE TABLE events (event_id VARCHAR)")
    con.execute("INSERT INTO events SELECT 'old-' || i FROM range(1000) t(i)")
    seen = sink_ids.SeenIds(con)
    written = {f"old-{i}" for i in range(1000)}
    sizes = []
    for b in range(40):
        batch = [f"new-{b}-{i}" for i in range(rng.choice([1, 7, 50, 300, 2000]))]
        asked = batch + rng.sample(sorted(written), 20) + [f"never-{b}-{i}" for i in range(20)]
        got = seen.have(_ids(con, asked))
        assert [bool(x) for x in got] == [eid in written for eid in asked]
        seen.add(_ids(con, batch))
        written.update(batch)
        runs = [len(r) for r in seen.runs]
        # largest first, each at least twice the next: a few runs, not one a batch
        assert all(a >= 2 * b for a, b in itertools.pairwise(runs)), runs
        assert all(bool(np.all(r[:-1] <= r[1:])) for r in seen.runs)
        sizes.append(len(runs))
    assert max(sizes) <= 8 and sum(len(r) for r in seen.runs) == len(written)


def test_an_empty_file_and_an_empty_batch() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE events (event_id VARCHAR)")
    seen = sink_ids.SeenIds(con)
    assert seen.runs == [] and not seen.have(_ids(con, ["a", "b"])).any()
    seen.add(_ids(con, []))
    assert seen.runs == [] and len(seen.have(_ids(con, []))) == 0
    seen.add(_ids(con, ["a"]))
    assert list(seen.have(_ids(con, ["a", "b"]))) == [True, False]
