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


class _Spool:
    """Arrow IPC stream files, one per relation, appended batch by batch."""

    def __init__(self, folder: Path, part: int) -> None:
        self.folder, self.part = folder, part
        self.writers: dict[str, pa.ipc.RecordBatchStreamWriter] = {}

    def __call__(self, relation: str, tbl: pa.Table) -> None:
        if not tbl.num_rows:
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
        spool.close(("events", "dead_letters"))  # the parent inserts these while we evaluate
        conn.send(("loaded", counts))
        as_of: date = conn.recv()
        evaluate_all(states.values(), as_of, job.rules, spool)
        spool.close()
        conn.send(("done", len(states)))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()

