"""The files a replay writes besides its DuckDB file, and the checks on its paths, so that each
mistake is a clear usage error (exit 2) or failure (exit 1), never a traceback:

- `--db` must not be the event file (nor its building file or write-ahead log: the replay
  removes those), through any symlink or hard link;
- `--db` must name a file in a folder that exists and can be written, by a path in UTF-8;
- an existing `--db` must be a DuckDB file (or empty): a replay replaces it, and a mistyped
  path must not destroy another file (`--db events-2024.jsonl`);
- a full disk is a failure that says so;
- a parallel replay's spool folder (`.jatkumo-replay-*`, beside the DuckDB file) holds a lock
  for as long as its replay runs: a folder whose lock nobody holds was left by a killed run and
  is removed by the next one.
"""

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from schemas.errors import StoreError, UsageError
from schemas.types import readable

SPOOL_PREFIX = ".jatkumo-replay-"
LOCK = "owner.lock"
# A spool folder without a lock file is from a version before locks or is a moment old: the
# older ones are taken as left behind.
UNLOCKED_STALE_S = 3600


def building_path(db: Path) -> Path:
    return db.with_name(f".{db.name}.replaying")


def check_paths(events: Path, db: Path) -> None:
    """Refuse a `--db` that would destroy the input or cannot be written."""
    try:
        str(db).encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 (DuckDB failed with std::bad_cast)
        raise UsageError(f"--db {readable(str(db))}: DuckDB opens only a path written in "
                         "UTF-8; give the file a name in UTF-8, e.g. --db gaps.duckdb"
                         ) from None
    if db.is_dir():
        raise UsageError(f"--db {db} is a folder; give the path of a DuckDB file in it, "
                         f"e.g. --db {db / 'gaps.duckdb'}")
    building = building_path(db)
    for path in (db, building, *(p.with_name(p.name + ".wal") for p in (db, building))):
        if same_file(path, events):
            raise UsageError(f"--db {db} would overwrite the event file {events}; give the "
                             "DuckDB file another name, e.g. --db gaps.duckdb")
    if not _replaceable(db):
        raise UsageError(f"--db {db} exists and is not a DuckDB file that can be read, and "
                         "a replay would replace it; give the path of a new file or of a "
                         "DuckDB file, e.g. --db gaps.duckdb")
    foreign = _not_replays(db)
    if foreign:
        raise UsageError(
            f"--db {db} holds {', '.join(foreign)}, which replay does not write and would "
            "delete: " + ("it is the event log of serve --ingest, the only copy of the "
                          "events it took; " if "event_log" in foreign else "")
            + "give a new file, e.g. --db gaps.duckdb")
    folder = db.parent
    if not folder.is_dir():
        raise UsageError(f"the folder of --db {db} does not exist (or is not a folder); "
                         "create it or give another path")
    probe = db.with_name(f".{db.name}.probe-{os.getpid()}")  # touches no file in use
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as e:
        raise _os_error(e, db) from e
    os.close(fd)
    probe.unlink(missing_ok=True)


# A DuckDB file's header: 8 bytes of checksum, then these four (DuckDB's storage format)
DUCKDB_MAGIC, DUCKDB_MAGIC_AT = b"DUCK", 8


def _replaceable(db: Path) -> bool:
    """Whether a replay may replace what is at `db`: nothing, an empty regular file, or a
    DuckDB file (its header; whatever else its bytes hold, DuckDB judges when it opens it).
    Looked at before it is opened: opening a FIFO waits for a writer for ever, and a device
    (/dev/null) is no file to replace. A file that cannot be read is not taken either: that
    it may be replaced does not say what it is."""
    try:
        st = db.stat()
    except (FileNotFoundError, NotADirectoryError):  # nothing there (the folder's check
        return True  # below says why, if the folder is what is missing)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    if st.st_size == 0:
        return True
    return duckdb_header(db)


def _not_replays(db: Path) -> list[str]:
    """The tables of an existing DuckDB file at `db` that no replay writes: a replay replaces
    the whole file, and the HTTP ingest's `event_log` (the events it took, kept nowhere
    else), the sink's offsets or anyone's own tables went with it without a word (a hunt,
    2026-12-06). A file a writer holds is refused; one DuckDB cannot read is left to the
    replay, which replaces it."""
    if not db.is_file() or db.stat().st_size == 0:
        return []
    import duckdb

    from analytics.relations import TABLES, VIEWS

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            names = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "ORDER BY 1").fetchall()]
    except duckdb.Error as e:
        if "lock" in str(e).lower():  # a writer holds it (serve --ingest, the sink): the
            # replay would replace the file under it, its log with it (a review, 2026-12-06)
            raise UsageError(f"--db {db} is held by another process that writes it (serve "
                             "--ingest, the sink, a replay); stop it first, or give a new "
                             "file, e.g. --db gaps.duckdb") from None
        return []  # a damaged file: a replay may replace it
    return [readable(n) for n in names if n not in {*TABLES, *VIEWS}]


def duckdb_header(path: Path) -> bool:
    """Whether the file at `path` begins as a DuckDB database does (False if unreadable)."""
    try:
        with open(path, "rb") as f:
            head = f.read(DUCKDB_MAGIC_AT + len(DUCKDB_MAGIC))
    except OSError:
        return False
    return head[DUCKDB_MAGIC_AT:] == DUCKDB_MAGIC


def same_file(a: Path, b: Path) -> bool:
    """Whether two names are one file: the same path, or through a symlink or a hard link."""
    try:
        return a.resolve() == b.resolve() or os.path.samefile(a, b)
    except OSError:  # a missing file is no other file
        return False


def _os_error(e: OSError, db: Path) -> Exception:
    if e.errno == errno.ENOSPC:
        return disk_full(db)
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS) or (
            e.errno == errno.ENOENT and db.parent.is_dir()):
        # a folder that takes no new file (/proc's) said "does not exist" (an attack,
        # 2026-12-07)
        return UsageError(f"cannot write in the folder of --db {db} ({e.strerror}); give a "
                          "path in a folder you can write")
    if e.errno in (errno.ENOENT, errno.ENOTDIR):
        return UsageError(f"the folder of --db {db} does not exist (or is not a folder); "
                          "create it or give another path")
    return StoreError(f"cannot write {db}: {e.strerror}")


def disk_full(db: Path) -> StoreError:
    return StoreError(f"no space left on the disk of {db.parent}: the replay stopped and "
                      f"{db} was left as it was. Free some space (a replay needs about twice "
                      "the event file while it runs) and run it again")


def is_disk_full(error: BaseException) -> bool:
    """Whether an error (from DuckDB, Arrow, a worker's message, or the OS) is a full disk."""
    seen: set[int] = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            return True
        if "No space left on device" in str(e) or "not enough space" in str(e).lower():
            return True
        e = e.__cause__ or e.__context__
    return False


def is_unwritable(error: BaseException) -> bool:
    text = str(error)
    return (isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EROFS)) or (
        "Permission denied" in text or "Read-only file system" in text)


@contextlib.contextmanager
def spool_folder(folder: Path) -> Iterator[Path]:
    """A new spool folder in `folder`, locked while in use and removed afterwards (also on
    KeyboardInterrupt and on SIGTERM, which the command turns into one)."""
    clean_stale(folder)
    path = Path(tempfile.mkdtemp(prefix=SPOOL_PREFIX, dir=folder))
    try:
        # Locked before it gets its name: a cleaner never sees the lock file unlocked.
        with (path / f"{LOCK}.new").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            lock.write(f"{os.getpid()}\n")
            lock.flush()
            (path / f"{LOCK}.new").rename(path / LOCK)
            yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def clean_stale(folder: Path) -> list[Path]:
    """Remove the spool folders in `folder` left by replays that are gone; returns them."""
    removed = []
    with contextlib.suppress(OSError):
        for path in folder.glob(f"{SPOOL_PREFIX}*"):
            if path.is_dir() and _stale(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _stale(path: Path) -> bool:
    try:
        lock = (path / LOCK).open("r")
    except FileNotFoundError:
        try:
            return time.time() - path.stat().st_mtime > UNLOCKED_STALE_S
        except OSError:
            return False
    except OSError:
        return False
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: its replay runs
            return False
        return True
