"""`jatkumo replay`: the embedded driver. Events go through the door into per-client states, every
client is evaluated as of one date with the pure core, and the relations are written to DuckDB.

A small file is replayed in this process. A large one is split by client over worker processes
(one per core): each validates and evaluates its own clients and leaves Arrow files, which this
process, the one DuckDB writer, inserts while the workers go on."""

import contextlib
import gc
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

import pyarrow as pa

from analytics import columns, relations
from analytics.store import Store
from analytics.writer import BackgroundWriter
from schemas.errors import JatkumoError, StoreError, UsageError
from services import replay_worker
from services.config import Settings
from services.fork_server import fork_server
from services.loader import LoadCounts, load
from services.partition import line_ranges, numbered
from services.replay_files import (
    building_path,
    check_paths,
    clean_stale,
    disk_full,
    is_disk_full,
    is_unwritable,
    spool_folder,
)
from services.resolve import multi_partition_ids, resolve
from services.spill import new_key
from streams.core import evaluate

PARALLEL_FROM_BYTES = 32 * 2**20  # below this, starting worker processes costs more than it saves
# Measured: about 800 bytes of client state per event, 3 per byte of JSON. Partitions of this
# size keep each worker under 1 GiB, so two workers and the writer stay under 4 GiB nationally.
PARTITION_BYTES = 256 * 2**20
RESULT_CHUNK = 20_000  # clients evaluated per batch handed to the writer
WRITER_ROOM = 3  # inserts queued while the workers load: fewer than BackgroundWriter's depth


@dataclass
class ReplayReport(LoadCounts):
    clients: int = 0
    as_of: date | None = None
    workers: int = 1
    worker_peak_mib: float = 0.0  # the largest peak RSS of a worker process, if any
    worker_cpu_s: float = 0.0  # CPU time of the worker processes together


def default_workers(path: Path) -> int:
    if path.stat().st_size < PARALLEL_FROM_BYTES:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def replay(path: Path, db: Path, settings: Settings, as_of: date | None = None,
           on_progress: Callable[[int], None] | None = None,
           workers: int | None = None, partitions: int | None = None) -> ReplayReport:
    """Rebuild every relation in `db` from the events in `path`. `workers` and `partitions`
    (of the clients) are chosen from the file size unless given."""
    workers = default_workers(path) if workers is None else workers
    if partitions is None:
        # A multiple of the workers: with one partition more for one of them, the others would
        # wait idle for its last one (10 s of the national file's 200).
        rounds = -(-path.stat().st_size // (PARTITION_BYTES * workers))
        partitions = workers * max(1, rounds)
    partitions = max(partitions, workers)
    # The relations are built in a new file beside the target and committed batch by batch
    # (one transaction over a national file would hold gigabytes in memory); the finished file
    # then replaces the target in one rename, so a failed run leaves the old file as it was and
    # readers (the dashboard) see either the old relations or the new ones.
    db = Path(db)
    check_paths(path, db)
    for folder in {db.parent, path.parent}:  # the events' folder: where spools were kept before
        clean_stale(folder)
    building = building_path(db)
    _remove_db(building)
    store = Store(building, settings.duckdb_memory)
    writer = BackgroundWriter()
    gc.disable()  # millions of small acyclic tuples: the cycle collector would only cost time
    try:
        writer.submit(store.begin_rebuild, False)
        if partitions == 1:
            report = _inline(path, store, writer, settings, as_of, on_progress)
        else:
            report = _parallel(path, db, store, writer, settings, as_of, on_progress, workers,
                               partitions)
        moved = _event_ids(path, store, writer, settings, report, partitions > 1)
        if as_of is None and moved is not None and moved != report.as_of:
            raise _AsOfMoved(moved)
        writer.submit(_store_cube, store, settings)
        writer.submit(store.checkpoint)
        writer.close()
        store.close()
        _remove_db(db, keep_main=True)  # a stale write-ahead log must not meet the new file
        os.replace(building, db)
    except BaseException as error:
        with contextlib.suppress(BaseException):
            writer.close()
        store.close()
        _remove_db(building)
        if isinstance(error, _AsOfMoved):
            # The versions not taken held the latest effective date, or the one taken moved
            # it: the default as-of date (SPEC.md 5) is another day. Rare; done again with it.
            return replay(path, db, settings, error.day, on_progress, workers, partitions)
        if isinstance(error, Exception) and not isinstance(error, UsageError):
            if is_disk_full(error):
                raise disk_full(db) from error
            if is_unwritable(error):
                raise StoreError(f"cannot write in the folder of {db}: {error}") from error
        raise
    finally:
        gc.enable()
    return report


def _store_cube(store: Store, settings: Settings) -> None:
    """The cube the dashboard publishes (services/web/published.py), built once here from the
    finished relations and stored beside them in the same file (analytics/cube_store.py), so
    the dashboard reads it instead of building it at every start (a second of CPU on a
    national file)."""
    from services.web import published

    store.commit_appends()
    store.con.begin()
    published.store(store.con, settings.rules.handoffs)
    store.con.commit()


class _AsOfMoved(Exception):  # a signal inside replay, not an error
    def __init__(self, day: date) -> None:
        super().__init__(day)
        self.day = day


def _event_ids(path: Path, store: Store, writer: BackgroundWriter, settings: Settings,
               report: "ReplayReport", parallel: bool) -> date | None:
    """SPEC.md 1.4 over the whole file (services/resolve.py): the ids some loader saw with
    other text, and in a parallel replay the ids more than one partition took. Returns the
    latest effective date of the events taken when anything was decided, else None."""
    writer.wait()
    store.commit_appends()
    # A parallel replay's workers are done: the query over every event id (8 s of one core
    # on the national file) and the cube's queries get every core.
    store.con.execute("RESET threads")
    ids = set(report.conflicted)
    if parallel:
        ids |= multi_partition_ids(store)
    if not ids:
        return None
    assert report.as_of is not None
    done = resolve(path, store, settings.pseudonym_key, settings.rules, report.as_of, report,
                   ids)
    row = store.con.execute("SELECT count(*) FROM clients").fetchone()
    report.clients = row[0] if row else 0
    return done.as_of


def _remove_db(path: Path, keep_main: bool = False) -> None:
    for p in ([] if keep_main else [path]) + [path.with_name(path.name + ".wal")]:
        p.unlink(missing_ok=True)


def _report(counts: LoadCounts, clients: int, as_of: date, workers: int) -> ReplayReport:
    return ReplayReport(**vars(counts), clients=clients, as_of=as_of, workers=workers)


def _inline(path: Path, store: Store, writer: BackgroundWriter, settings: Settings,
            as_of: date | None, on_progress: Callable[[int], None] | None) -> ReplayReport:
    def emit(relation: str, tbl: pa.Table) -> None:
        writer.submit(store.append, {relation: tbl})

    states, counts = load(numbered(path, on_progress), str(path), settings.pseudonym_key, emit)
    day = as_of or counts.latest or date.today()
    writer.submit(store.set_as_of, day)
    chunk = []
    for state in states.values():
        chunk.append(evaluate(state, day, settings.rules))
        if len(chunk) >= RESULT_CHUNK:
            writer.submit(store.append, columns.result_tables(chunk))
            chunk = []
    writer.submit(store.append, columns.result_tables(chunk))
    return _report(counts, len(states), day, 1)


def _parallel(path: Path, db: Path, store: Store, writer: BackgroundWriter, settings: Settings,
              as_of: date | None, on_progress: Callable[[int], None] | None,
              workers: int, partitions: int) -> ReplayReport:
    ctx = fork_server("services.replay_worker")
    # The workers use every core; a DuckDB thread per core on top of them only adds switching.
    writer.submit(store.con.execute, "SET threads = 1")
    read = 0

    def progress(message: tuple[Any, ...]) -> None:
        nonlocal read
        read += message[1]
        if on_progress is not None:
            on_progress(read)

    # Beside the DuckDB file, whose folder must be writable anyway (the events' may not be).
    with spool_folder(db.parent) as spool:
        spill_key = new_key()  # in memory only: in the workers' pickled arguments, over a pipe
        procs, conns = [], []
        try:
            for part, span in enumerate(line_ranges(path, workers)):
                job = replay_worker.Job(path, settings.pseudonym_key, spill_key, part, workers,
                                        partitions, settings.rules, spool, as_of, span)
                mine, theirs = ctx.Pipe()
                proc = ctx.Process(target=replay_worker.run, daemon=True, args=(job, theirs))
                proc.start()
                theirs.close()  # the worker's end: a dead worker then ends the pipe here
                procs.append(proc)
                conns.append(mine)
            # Every worker reads and routes its range of the file; the lines before each range
            # then number its lines as in the whole file.
            routed = _gather(conns, procs, "routed", lambda: None, progress)
            firsts = list(accumulate((m[1] for m in routed[:-1]), initial=0))
            for conn in conns:
                conn.send(firsts)
            feeder = _Feeder(spool, writer, store)
            counts = LoadCounts()
            # Not waiting for the writer here: each worker waits for the as-of date.
            for message in _gather(conns, procs, "loaded", lambda: feeder.feed(wait=False)):
                counts.merge(message[1])
            day = as_of or counts.latest or date.today()
            for conn in conns:
                conn.send(day)
            feeder.feed()  # the last batches of events and dead letters
            writer.submit(store.set_as_of, day)
            done = _gather(conns, procs, "done", lambda: None)
            feeder.feed(tuple(r.name for r in relations.RESULTS))
            writer.wait()  # the spool folder goes away when this block ends
        finally:
            for proc in procs:
                if proc.is_alive():
                    proc.kill()
                proc.join()
    report = _report(counts, sum(m[1] for m in done), day, workers)
    report.worker_peak_mib = max(m[2] for m in done)
    report.worker_cpu_s = sum(m[3] for m in done)
    return report


def _gather(conns: list[Connection], procs: list[Any], expect: str,
            on_tick: Callable[[], None],
            on_read: Callable[[tuple[Any, ...]], None] | None = None) -> list[tuple[Any, ...]]:
    """One message of kind `expect` from every worker; a worker's error is raised here.
    `on_tick` runs between waits (it hands finished batches to the writer); `on_read` takes the
    routing's progress messages."""
    got: dict[int, tuple[Any, ...]] = {}
    while len(got) < len(conns):
        for ready in wait([c for i, c in enumerate(conns) if i not in got], timeout=0.2):
            i = conns.index(cast(Connection, ready))
            try:
                message = conns[i].recv()
            except EOFError:  # it ended without a word: killed (out of memory?) or crashed
                procs[i].join(5)  # its exit code, which is None until it is reaped
                message = ("error", f"the worker process ended with exit code "
                                    f"{procs[i].exitcode}")
            if message[0] == "error":
                raise JatkumoError(f"a replay worker failed; nothing was written:\n{message[1]}")
            if message[0] == "read" and on_read is not None:
                on_read(message)
                continue
            got[i] = message
        on_tick()
    return [got[i] for i in range(len(conns))]


class _Feeder:
    """Hands the workers' finished Arrow files to the writer, each once, in file order."""

    def __init__(self, spool: Path, writer: BackgroundWriter, store: Store) -> None:
        self.spool, self.writer, self.store = spool, writer, store
        self.fed: set[Path] = set()
        self.pending = 0  # files handed over and not inserted yet
        self.lock = threading.Lock()

    def feed(self, relations: tuple[str, ...] = replay_worker.STREAMED, wait: bool = True) -> None:
        """With `wait=False` (while the workers load) hand over only what the writer can take
        without blocking, and go back to the workers' messages."""
        for relation in relations:
            for path in sorted(self.spool.glob(f"{relation}.*.arrow")):
                if path not in self.fed:
                    if not wait and self.pending >= WRITER_ROOM:
                        return
                    self.fed.add(path)
                    with self.lock:
                        self.pending += 1
                    self.writer.submit(self._insert, relation, path)

    def _insert(self, relation: str, path: Path) -> None:
        try:
            _insert_file(self.store, relation, path)
        finally:
            with self.lock:
                self.pending -= 1


def _insert_file(store: Store, relation: str, path: Path) -> None:
    with pa.memory_map(str(path)) as source:
        for batch in pa.ipc.open_stream(source):
            store.append({relation: pa.Table.from_batches([batch])})
    path.unlink()  # the disk it took is free again for the next batches
