"""One worker process of a parallel replay. It owns some partitions of the clients. The parent
reads the event file once and routes every line: the lines of this worker's first partition
arrive through a pipe while the file is being read, those of its other partitions are spilled to
files it loads one by one afterwards. It tells the parent its counts and latest effective date,
gets the as-of date, evaluates, and leaves Arrow IPC files for the parent, which is the one
DuckDB writer.

Memory holds one partition's states at a time, except when the as-of date is only known after
every partition is loaded: then finished partitions wait, pickled, in the spool folder."""

import gc
import pickle
import resource
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import chain
from multiprocessing.connection import Connection
from pathlib import Path

import pyarrow as pa

from analytics import columns
from services.loader import LoadCounts, load
from services.partition import Numbered, read_frames, unframe
from streams.core import ClientState, Rules, evaluate

CHUNK = 20_000  # clients evaluated per batch of result tables


@dataclass(frozen=True)
class Job:
    path: Path  # the event file, named in dead letters' origin
    key: bytes | None
    worker: int
    workers: int
    parts: int  # partitions k with k % workers == worker are this worker's
    rules: Rules
    spool: Path  # folder for the Arrow IPC files, spilled lines (`lines.K`), pickled states
    as_of: date | None  # None: the latest effective date over all workers, from the parent


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


def run(job: Job, conn: Connection, lines: Connection) -> None:
    """Process entry point. Messages to the parent: ("loaded", counts), ("done", clients, peak
    RSS in MiB, CPU seconds) or ("error", text); from the parent: the as-of date on `conn`,
    line frames on `lines`."""
    gc.disable()  # millions of small acyclic tuples: the cycle collector would only cost time
    try:
        spool = _Spool(job.spool, job.worker)
        mine = list(range(job.worker, job.parts, job.workers))
        total, parked, evaluated = LoadCounts(), [], 0
        states: dict[str, ClientState] = {}
        for index, k in enumerate(mine):
            spilled = job.spool / f"lines.{k}"
            # The spill files are complete once the pipe has ended: the first is read then.
            source: Numbered = (received(lines) if index == 0
                                else chain.from_iterable(map(unframe, read_frames(spilled))))
            states, counts = load(source, str(job.path), job.key, spool)
            if index > 0:
                spilled.unlink()
            total.merge(counts)
            if index < len(mine) - 1:  # free the memory before the next partition
                if job.as_of is not None:
                    evaluate_all(states.values(), job.as_of, job.rules, spool)
                    evaluated += len(states)
                else:
                    parked.append(_park(states, job.spool / f"states.{k}.pickle"))
                states = {}
        conn.send(("loaded", total))
        as_of: date = conn.recv()
        for path in parked:
            evaluated += _evaluate_parked(path, as_of, job.rules, spool)
        evaluate_all(states.values(), as_of, job.rules, spool)
        spool.close()
        use = resource.getrusage(resource.RUSAGE_SELF)
        # Reported, because the parent's RUSAGE_CHILDREN does not see the fork server's children.
        conn.send(("done", evaluated + len(states), use.ru_maxrss / 1024,
                   use.ru_utime + use.ru_stime))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()
        lines.close()


def received(lines: Connection) -> Numbered:
    """The numbered lines of the frames arriving on `lines`, up to the empty end message."""
    return chain.from_iterable(map(unframe, _frames(lines)))


def _frames(lines: Connection) -> Iterator[bytes]:
    while data := lines.recv_bytes():
        yield data


def _park(states: dict[str, ClientState], path: Path) -> Path:
    """A loaded partition waiting for the as-of date, pickled to disk to free the memory."""
    with path.open("wb") as f:
        pickle.dump(states, f, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _evaluate_parked(path: Path, as_of: date, rules: Rules, spool: _Spool) -> int:
    with path.open("rb") as f:
        states: dict[str, ClientState] = pickle.load(f)
    path.unlink()
    evaluate_all(states.values(), as_of, rules, spool)
    return len(states)
