"""The live sink's batch at national scale (not a test; prints figures).

A live batch replaces the rows of the clients it carries (services/sink_batch.py: a DELETE and
an INSERT per result relation, in one transaction). On a file that holds a national decade
(bench/national.py makes one: 250,000 young people), how long does a batch of clients the
file already has take, against the same batches on a file that holds only those clients?

1. Copies the national file's relations (--file) into a file of the sink's own (the sink
   rebuilds a file it did not write), and samples --batches x --clients of its clients;
   their rows, read from the file, become snapshots as the worker sends them
   (streams/topics.py).
2. Baseline: a fresh file that holds only those clients (written once, untimed); each batch
   is then written again and timed (every client known: the DELETE path).
3. The same batches into the copy of the national file, timed the same way, after the
   writer's opening (timed apart: what the sink does once when it starts on the file).

Prints the median and the 95th percentile of a batch's write on both, and their ratio (the
target: a batch costs the national file at most 1.5 times what it costs a small one, so
that the live pipeline's latency does not grow with the region).

    .venv/bin/python bench/sink.py [--file PATH] [--batches 40] [--clients 50]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = 1.5


def snapshots(db: Path, clients: int) -> list[bytes]:
    """Snapshots of `clients` clients sampled from the file, as the worker sends them."""
    import duckdb
    import orjson

    from streams import topics

    con = duckdb.connect(str(db), read_only=True)
    try:
        chosen = [c for (c,) in con.execute(
            f"SELECT client_id FROM clients USING SAMPLE {int(clients)} ROWS "
            "(reservoir, 7)").fetchall()]
        con.execute("CREATE TEMP TABLE chosen AS SELECT unnest($1::VARCHAR[]) AS client_id",
                    [chosen])
        docs: dict[str, dict[str, Any]] = {
            c: {"client_id": c, "as_of": 0, "t": 0,
                "rows": {name: [] for name in topics.RESULT_RELATIONS}} for c in chosen}
        for name, relation in topics.RESULT_RELATIONS.items():
            columns = ", ".join(relation.names)
            at = relation.names.index("client_id")
            for row in con.execute(f"SELECT {columns} FROM {name} WHERE client_id IN "
                                   "(SELECT client_id FROM chosen)").fetchall():
                docs[row[at]]["rows"][name].append(row)
        (as_of,) = con.execute("SELECT max(as_of_date) FROM as_of").fetchone() or (None,)
    finally:
        con.close()
    for doc in docs.values():  # dates as the worker writes them (streams.topics.encoded)
        doc["as_of"] = as_of or date(2024, 12, 31)
    return [orjson.dumps(doc, default=topics.encoded, option=orjson.OPT_PASSTHROUGH_DATETIME)
            for doc in docs.values()]


def filled(own: Path, national: Path) -> None:
    """Every result relation's rows of the national file, copied into the sink's own file."""
    import duckdb

    from streams import topics

    con = duckdb.connect(str(own))
    try:
        con.execute("ATTACH ? AS decade (READ_ONLY)", [str(national)])
        for name, relation in topics.RESULT_RELATIONS.items():
            columns = ", ".join(relation.names)
            con.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM decade.{name}")
        con.execute("DETACH decade")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def timed_batches(writer: Any, batches: list[list[bytes]], offset: int) -> list[float]:
    from services.sink_batch import Batch
    from streams import topics
    from tests.helpers import Record

    took = []
    for docs in batches:
        batch = Batch(None)
        batch.add(topics.CLIENT_RESULTS, 0, [Record(d, offset + i) for i, d in enumerate(docs)])
        offset += len(docs)
        began = time.perf_counter()
        writer.write(batch)
        took.append(time.perf_counter() - began)
    return took


def shown(took: list[float]) -> str:
    ordered = sorted(took)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(took) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--file", type=Path,
                    default=Path(tempfile.gettempdir()) / "jatkumo-national" / "national.duckdb",
                    help="a replayed national file (bench/national.py writes one there)")
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--clients", type=int, default=50, help="clients a batch")
    args = ap.parse_args()
    if args.batches < 1 or args.clients < 1:
        ap.error("--batches and --clients: a number of 1 or more")
    if not args.file.is_file():
        ap.error(f"--file: no file at {args.file}; run bench/national.py first (it replays "
                 "the national decade into that file), or name a replayed file")
    from services.sink_batch import Writer

    print(f"load average {os.getloadavg()[0]:.1f} (1 min, {os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docs = snapshots(args.file, args.batches * args.clients)
        batches = [docs[i:i + args.clients] for i in range(0, len(docs), args.clients)]
        print(f"{len(docs):,} clients of {args.file} in {len(batches)} batches of "
              f"{args.clients}")

        small = Writer(work / "small.duckdb")
        try:
            timed_batches(small, [docs], 0)  # the clients' rows, so each is known
            baseline = timed_batches(small, batches, len(docs))
        finally:
            small.close()
        print(f"  a file of only these clients: {shown(baseline)} a batch")

        # The sink rebuilds a file it did not write (one without its offsets): it is given
        # a file of its own, the national relations copied into it, as if it had consumed
        # the decade itself.
        own = work / "national.duckdb"
        Writer(own).close()
        filled(own, args.file)
        began = time.perf_counter()
        big = Writer(own)
        opened = time.perf_counter() - began
        try:
            national = timed_batches(big, batches, 0)
        finally:
            big.close()
        print(f"  the national file: {shown(national)} a batch (the writer opened it in "
              f"{opened:.1f} s)")
    ratio = statistics.median(national) / statistics.median(baseline)
    print(f"summary: a batch on the national file / on a small one (medians): {ratio:.2f} "
          f"(target <= {TARGET}: {'met' if ratio <= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
