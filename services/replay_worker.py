"""One worker process of a parallel replay: loads its partition of clients, tells the parent
its counts and latest effective date, waits for the as-of date, evaluates, and leaves Arrow IPC
files for the parent, which is the one DuckDB writer."""

import gc
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

import pyarrow as pa

from analytics import columns
from services.loader import load
from streams.core import ClientState, Rules, evaluate

CHUNK = 20_000  # clients evaluated per batch of result tables


@dataclass(frozen=True)
class Job:
    path: Path
    key: bytes | None
    part: int
    parts: int
    rules: Rules
    spool: Path  # folder for this worker's Arrow IPC files


STREAMED = ("events", "dead_letters")  # written batch by batch while loading


class _Spool:
    """Arrow IPC files for the parent. Events and dead letters go one finished file per batch
    (written under a temporary name, then renamed) so the parent can insert them while this
    worker goes on loading; result relations are appended to one stream file each."""

    def __init__(self, folder: Path, part: int) -> None:
        self.folder, self.part = folder, part
        self.writers: dict[str, pa.ipc.RecordBatchStreamWriter] = {}
        self.seq = 0

    def __call__(self, relation: str, tbl: pa.Table) -> None:
        if not tbl.num_rows:
            return
        if relation in STREAMED:
            self.seq += 1
            final = self.folder / f"{relation}.{self.part}.{self.seq:06d}.arrow"
            tmp = final.with_suffix(".tmp")
            with pa.ipc.new_stream(str(tmp), tbl.schema) as w:
                w.write_table(tbl)
            tmp.rename(final)
            return
        w = self.writers.get(relation)
        if w is None:
            path = self.folder / f"{relation}.{self.part}.arrow"
            w = self.writers[relation] = pa.ipc.new_stream(str(path), tbl.schema)
        w.write_table(tbl)

    def close(self, relations: tuple[str, ...] | None = None) -> None:
        for name in list(self.writers):
            if relations is None or name in relations:
                self.writers.pop(name).close()


def evaluate_all(states: Iterable[ClientState], as_of: date, rules: Rules, emit: _Spool) -> None:
    chunk = []
    for state in states:
        chunk.append(evaluate(state, as_of, rules))
        if len(chunk) >= CHUNK:
            for relation, tbl in columns.result_tables(chunk).items():
                emit(relation, tbl)
            chunk = []
    for relation, tbl in columns.result_tables(chunk).items():
        emit(relation, tbl)


def run(job: Job, conn: Connection, progress: Synchronized | None) -> None:  # type: ignore[type-arg]
    """Process entry point. Messages to the parent: ("loaded", counts), ("done", clients) or
    ("error", text); from the parent: the as-of date."""
    gc.disable()  # millions of small acyclic tuples: the cycle collector would only cost time
    try:
        spool = _Spool(job.spool, job.part)

        def report(done: int) -> None:
            if progress is not None:
                progress.value = done

        states, counts = load(job.path, job.key, spool, job.part, job.parts, report)
        conn.send(("loaded", counts))
        as_of: date = conn.recv()
        evaluate_all(states.values(), as_of, job.rules, spool)
        spool.close()
        conn.send(("done", len(states)))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()

