"""One worker process of a parallel replay. It owns some partitions of the clients. First it
reads its own range of the event file's lines (every worker one range, so the file is read
once, by all of them at the same time) and routes each line to its partition's spill file for
this range. Then, with every range routed, it loads its partitions one by one, each from the
spill files of all the ranges in the file's order. It tells the parent its counts and latest
effective date, gets the as-of date, evaluates, and leaves Arrow IPC files for the parent,
which is the one DuckDB writer.

Memory holds one partition's states at a time, except when the as-of date is only known after
every partition is loaded: then finished partitions wait, pickled, in the spool folder."""

import gc
import pickle
import resource
import traceback
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from multiprocessing.connection import Connection
from pathlib import Path

import pyarrow as pa

from analytics import columns
from schemas.errors import JatkumoError
from services.loader import LoadCounts, load
from services.partition import Numbered, batches, frame, unframe
from services.spill import SpillWriter, read_spill
from streams.core import ClientState, Rules, evaluate

CHUNK = 20_000  # clients evaluated per batch of result tables
PROGRESS_BYTES = 16 * 2**20  # routing progress is told the parent about this often


@dataclass(frozen=True)
class Job:
    path: Path  # the event file, named in dead letters' origin
    key: bytes | None = field(repr=False)  # no repr of a Job (a log, a traceback) shows a key
    spill_key: bytes = field(repr=False)  # seals the spill files (services/spill.py), per replay
    worker: int
    workers: int
    parts: int  # partitions k with k % workers == worker are this worker's
    rules: Rules
    spool: Path  # folder for the Arrow IPC files, spilled lines, pickled states
    as_of: date | None  # None: the latest effective date over all workers, from the parent
    span: tuple[int, int]  # the bytes of the file this worker routes (line_ranges)


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


def run(job: Job, conn: Connection) -> None:
    """Process entry point. Messages to the parent: ("read", bytes) now and then while routing,
    ("routed", lines in this worker's range), ("loaded", counts), ("done", clients, peak RSS in
    MiB, CPU seconds) or ("error", text); from the parent: the number of lines before each range
    once all are routed, then the as-of date."""
    gc.disable()  # millions of small acyclic tuples: the cycle collector would only cost time
    # No core dump of a crash: this process's memory holds raw lines (codes before the door)
    # and the keys.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        spool = _Spool(job.spool, job.worker)
        conn.send(("routed", route(job, conn)))
        firsts: list[int] = conn.recv()
        mine = list(range(job.worker, job.parts, job.workers))
        total, parked, evaluated = LoadCounts(), [], 0
        states: dict[str, ClientState] = {}
        for index, k in enumerate(mine):
            spilled = [spill_path(job.spool, k, r) for r in range(job.workers)]
            states, counts = load(_numbered(job, k, spilled, firsts), str(job.path), job.key, spool)
            for path in spilled:
                path.unlink()
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
    except _ParentGone:
        pass  # a killed replay: nobody to tell, and the next one removes the spool folder
    except JatkumoError as e:  # a message for the user, not a traceback
        conn.send(("error", str(e)))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class _ParentGone(Exception):
    pass


def spill_path(spool: Path, part: int, reader: int) -> Path:
    """The lines of partition `part` that worker `reader` found in its range."""
    return spool / f"lines.{part}.{reader}"


def route(job: Job, conn: Connection) -> int:
    """Spill the lines of this worker's range, each to its partition's file; the number of
    lines. The progress goes to the parent about every PROGRESS_BYTES. A routing that fails
    leaves no spill file of its own (none without its trailer)."""
    told = lines = 0

    def progress(done: int) -> None:
        nonlocal told
        if done - told >= PROGRESS_BYTES:
            if conn.poll():  # the parent sends nothing while the file is routed: it is gone
                raise _ParentGone
            conn.send(("read", done - told))
            told = done

    with ExitStack() as stack:  # each writer's exit: its trailer, or on an error no file
        files = [stack.enter_context(SpillWriter(spill_path(job.spool, k, job.worker),
                                                 job.spill_key, k, job.worker))
                 for k in range(job.parts)]
        for split in batches(job.path, job.parts, job.key, progress, job.span):
            for k, batch in enumerate(split):
                if batch[0]:
                    files[k].write(frame(batch))
                    lines += len(batch[0])
    conn.send(("read", job.span[1] - job.span[0] - told))
    return lines


def _numbered(job: Job, part: int, spilled: list[Path], firsts: list[int]) -> Numbered:
    """A partition's numbered lines from its spill files (one per reader), range after range
    (the file's order), numbered as in the whole file."""
    return chain.from_iterable(
        unframe(data, first)
        for reader, (path, first) in enumerate(zip(spilled, firsts, strict=True))
        for data in read_spill(path, job.spill_key, part, reader))


def _park(states: dict[str, ClientState], path: Path) -> Path:
    """A loaded partition waiting for the as-of date, pickled to disk to free the memory.

    Without the pickler's memo (`fast`): states are trees of dicts, tuples, numbers and
    strings, with no cycle and no object whose identity matters (a string reached twice is
    written twice, an equal one read back). The memo records every object pickled, millions
    of a partition, and without it a partition parks and comes back in about 0.7 of the time
    (600,000 national lines' states: 1.23-1.45 s against 0.71-1.06, 6 % more bytes). A
    national replay parks all but the last partition of each worker: that was an eighth of
    its CPU (profile, 2026-12-07). tests/integration/test_replay_parallel.py holds a parked
    replay to a single-process one. (`fast` has been called deprecated in the documentation
    since Python 2 and is still in the C pickler of every version since; were it gone, this
    line would fail loudly in that test, not silently.)"""
    with path.open("wb") as f:
        pickler = pickle.Pickler(f, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True
        pickler.dump(states)
    return path


def _evaluate_parked(path: Path, as_of: date, rules: Rules, spool: _Spool) -> int:
    with path.open("rb") as f:
        states: dict[str, ClientState] = pickle.load(f)
    path.unlink()
    evaluate_all(states.values(), as_of, rules, spool)
    return len(states)
