"""Analyst SQL in a process of its own, one process per query (started ahead, so the analyst does
not wait for an interpreter to start; it then runs that one query and exits).

A filter in front of a powerful connection is one bypass away from nothing, so the power is
taken away instead. The child process:

- opens the data file read-only, with external access off (no file, URL, ATTACH, COPY TO,
  extension), its own memory limit, one thread and a temporary folder of its own, and then
  locks its configuration (`lock_configuration`), so a statement cannot undo any of it;
- runs only a single SELECT (or EXPLAIN) statement, as DuckDB's own parser sees it;
- is capped by the kernel as well: its data size (a string bomb allocates outside DuckDB's
  buffer manager) and CPU time, and runs at a lower priority than the pages;
- sees no secret: its environment is a few harmless variables;
- for a user with a scope (services/scope.py), opens that scope's own file, which holds
  only the scope's rows (services/web/scopedb.py), never the main file: no name, catalogue
  function or path the query can write reaches another area's rows.

The parent kills it at the time limit (DuckDB cannot always interrupt a function in the middle),
lets each user run a capped number of queries at once and caps the number of processes, so the
pages (which read in the server process) keep their CPU. Results come back as Arrow IPC, which
carries data only (no pickle)."""

import asyncio
import contextlib
import json
import logging
import math
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from services.scope import Scope, current
from services.web.sqlguard import Refused, reason

if TYPE_CHECKING:  # the child process does not import the settings (nor what they import)
    from services.config import WebSettings

log = logging.getLogger("jatkumo.web")
# A SELECT in all its forms (WITH, FROM-first, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE) parses
# to SELECT; EXPLAIN only reads too. PIVOT as a statement parses to MULTI (it creates types).
READING = frozenset({"SELECT", "EXPLAIN"})
# A fresh interpreter's imports and the open of the file are not the query's time: the child
# says "ready" before the query, and the time limit starts then. Startup has a bound of its own.
STARTUP_SECONDS = 20.0
READY = b"ready\n"
# An answer bigger than these is refused, not held in memory. The server turns an answer
# into Python values (an attack's 160 MB export took the server to 2.3 GB, and stalled its
# pages for seconds): a download up to 64 MiB of Arrow data, a page (which shows at most the
# row limit) up to 8 MiB (a single 100 MB string once made a 400 MB page).
MAX_ANSWER_BYTES = 64 * 2**20
MAX_PAGE_BYTES = 8 * 2**20
# And at most this many cells, counted in the query's process as it reads: a NULL or a
# boolean takes next to nothing in Arrow, so 3.5 MB of answer made a 200 MB CSV and took the
# server to 2 GB (a review found it). A page shows at most the row limit; its cells are HTML.
MAX_ANSWER_CELLS = 20_000_000
MAX_PAGE_CELLS = 200_000
BATCH_ROWS = 2048


class Busy(Exception):
    """The query was not started; the message says what to wait for."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TimedOut(Exception):
    """The query's process was killed at the time limit."""


class QueryError(Exception):
    """DuckDB refused or failed the query; the message is DuckDB's, shortened."""


class TooMany(Exception):
    """The answer has more cells than the server will turn into a page or a download."""


@dataclass(frozen=True)
class Result:
    names: list[str]
    data: pa.Table  # as the query's process sent it: a download is written from it
    cut: bool
    # time.monotonic() when the query's time limit began (the child was ready): what the
    # server does with the answer afterwards (masking it) counts within the same limit
    began: float

    @cached_property
    def rows(self) -> list[tuple[Any, ...]]:
        """The rows as Python values (for a page: at most the row limit)."""
        columns = [c.to_pylist() for c in self.data.columns]
        return list(zip(*columns, strict=True))


def one_statement(sql: str) -> str:
    """The text of the one reading statement in `sql`, as DuckDB's parser splits it (DuckDB
    nests /* */ comments, for one thing, which a hand-written tokenizer got wrong)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise QueryError(short(e)) from None
    if not statements:
        raise Refused("the query is empty")
    if len(statements) > 1:
        raise Refused("one statement at a time: remove the ';' in the middle")
    kind = statements[0].type.name
    if kind == "MULTI":
        raise Refused("a PIVOT statement creates types first; write SELECT * FROM (PIVOT …)")
    if kind not in READING:
        raise Refused(reason(sql) or f"only queries that read run here, not {kind}")
    if not reads(statements[0]):
        raise Refused("EXPLAIN runs here only for a query that reads (EXPLAIN SELECT …)")
    return str(statements[0].query)


# EXPLAIN, then ANALYZE or options in parentheses: what it explains follows
_EXPLAIN_HEAD = re.compile(r"\s*EXPLAIN\s+(?:ANALY[SZ]E\b\s*|\([^()'\"]*\)\s*)?", re.I)


def _without_comments(text: str) -> str:
    """The text with each comment a blank, as DuckDB's tokenizer finds them (a comment before
    or inside `EXPLAIN ANALYZE` had a query that reads refused: a review, 2026-12-06)."""
    tokens = duckdb.tokenize(text)
    out, at = [], 0
    for k, (start, kind) in enumerate(tokens):
        if kind == duckdb.token_type.comment:
            end = tokens[k + 1][0] if k + 1 < len(tokens) else len(text)
            out += [text[at:start], " "]
            at = end
    return "".join(out) + text[at:]


def reads(statement: Any) -> bool:
    """Whether a statement DuckDB's parser made only reads: a SELECT, or an EXPLAIN of one.
    EXPLAIN ANALYZE runs what it explains: of a CREATE TEMP TABLE, a SET VARIABLE, an INSTALL
    (the network), a CHECKPOINT, it did them (a hunt, 2026-12-06)."""
    kind = statement.type.name
    if kind == "SELECT":
        return True
    if kind != "EXPLAIN":
        return False
    text = _without_comments(str(statement.query))
    head = _EXPLAIN_HEAD.match(text)
    if head is None:
        return False
    try:
        inner = duckdb.extract_statements(text[head.end():])
    except duckdb.Error:
        return False
    return len(inner) == 1 and inner[0].type.name == "SELECT"


OUT_OF_MEMORY = ("the query needs more memory than an analyst query may use: narrow it "
                 "(WHERE, fewer columns, an aggregate, LIMIT)")


def short(e: BaseException) -> str:
    return re.sub(r"\s+", " ", str(e))[:400]


def memory_bytes(limit: str) -> int:
    """'512MB', '1GB', '256MiB' in bytes (config.load_web accepts only these forms)."""
    m = re.fullmatch(r"\s*(\d+)\s*([MG])i?B\s*", limit, re.I)
    if m is None:
        raise ValueError(f"not a memory size: {limit!r}")
    return int(m.group(1)) * 2 ** (20 if m.group(2).upper() == "M" else 30)


class SqlRunner:
    """Runs analysts' queries, each in a fresh child process, within the limits of the web
    settings. `db` is a callable so live mode can point at the newest snapshot."""

    def __init__(self, db: Callable[[], Path], settings: "WebSettings",
                 scoped: Callable[[Scope], Path] | None = None) -> None:
        self.db, self.settings, self.scoped = db, settings, scoped
        self._running: Counter[str] = Counter()
        self._slots: asyncio.Semaphore | None = None
        # Children started ahead, each waiting for its one query: the interpreter's start and
        # imports are not paid while the analyst waits. A spare holds no file open.
        self._spares: list[_Spare] = []
        self._filling: asyncio.Task[None] | None = None

    def _slot(self) -> asyncio.Semaphore:
        # Made on first use: in live mode the app is built before its event loop runs.
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.sql_processes)
        return self._slots

    @contextlib.contextmanager
    def turn(self, user: str) -> Iterator[None]:
        """One of the user's queries at a time (sql_per_user), for as long as this lasts: a
        page holds it until the answer, a download made of it included, has gone."""
        wait = math.ceil(self.settings.sql_timeout_seconds)
        if self._running[user] >= self.settings.sql_per_user:
            n = self._running[user]
            raise Busy(f"you have {'a query' if n == 1 else f'{n} queries'} running: wait "
                       f"until it is done (at most {wait} s)", wait)
        self._running[user] += 1
        try:
            yield
        finally:
            self._running[user] -= 1
            if not self._running[user]:
                del self._running[user]

    async def run(self, user: str, sql: str, limit: int | None,
                  access_log: Callable[[], pa.Table] | None = None,
                  scope: Scope | None = None, turn_held: bool = False) -> Result:
        """`scope` defaults to the current request's (services/scope.py); `turn_held`: the
        caller holds the user's turn already."""
        statement = one_statement(sql)
        scope = scope or current()
        with contextlib.nullcontext() if turn_held else self.turn(user):
            slots = self._slot()
            s, wait = self.settings, math.ceil(self.settings.sql_timeout_seconds)
            try:
                # Waiting for a free process is not the query's time; a bounded wait.
                await asyncio.wait_for(slots.acquire(), s.sql_timeout_seconds)
            except TimeoutError:
                raise Busy("other analysts' queries are running: try again in a moment",
                           wait) from None
            try:
                # the access log's lines are read off the event loop (2 million of them held
                # every page for 8.7 s: a hunt, 2026-12-06)
                table = (await asyncio.to_thread(access_log)
                         if access_log and "access_log" in sql.lower() else None)
                db = await self._file(scope)
                return await self._child(statement, limit, table, db)
            finally:
                slots.release()

    async def _file(self, scope: Scope) -> Path:
        """The file the query reads: the main file for the whole area, else the scope's own
        (built once per version of the data; the first query after a change waits for it)."""
        if scope.whole:
            return self.db()
        if self.scoped is None:  # fail closed
            raise QueryError("no data for your scope: the server has no scoped files")
        return await asyncio.to_thread(self.scoped, scope)

    async def _spawn(self) -> "_Spare":
        tmp = tempfile.mkdtemp(prefix="jatkumo-sql-")
        try:
            with (Path(tmp) / "stderr").open("wb") as err:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "services.web.sqlproc", stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE, stderr=err, cwd=tmp, env=_child_env(tmp))
        except BaseException:  # cancelled as the server stops, or no process to be had
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return _Spare(proc, tmp)

    async def _take(self) -> "_Spare":
        while self._spares:
            spare = self._spares.pop()
            if spare.proc.returncode is None:
                break
            shutil.rmtree(spare.tmp, ignore_errors=True)  # died waiting: not used
        else:
            spare = await self._spawn()
        return spare

    def warm(self) -> None:
        """Start the spares (when the server starts)."""
        self._refill()

    def _refill(self) -> None:
        """After a query, not during it: a starting interpreter would take its CPU."""
        if self._filling is None or self._filling.done():
            self._filling = asyncio.create_task(self._fill())

    async def _fill(self) -> None:
        while len(self._spares) < self.settings.sql_processes:
            self._spares.append(await self._spawn())

    async def close(self) -> None:
        """Stop the spare children (the server is stopping)."""
        if self._filling is not None:
            self._filling.cancel()
        for spare in self._spares:
            await _end(spare.proc)
            shutil.rmtree(spare.tmp, ignore_errors=True)
        self._spares.clear()

    async def _child(self, statement: str, limit: int | None, table: pa.Table | None,
                     db: Path) -> Result:
        s = self.settings
        spare = await self._take()
        proc, tmp = spare.proc, spare.tmp
        # absolute: the child runs in a folder of its own (a relative --db, as the README
        # writes it, was looked for there, and every analyst query failed)
        header = {"db": str(Path(db).absolute()), "sql": statement, "limit": limit, "tmp": tmp,
                  "memory_limit": s.sql_memory_limit, "suppress_below": s.suppress_below,
                  "cpu_seconds": math.ceil(s.sql_timeout_seconds) + 5,
                  "access_log": table is not None}
        payload = json.dumps(header).encode() + b"\n" + (_ipc(table) if table else b"")
        errors = Path(tmp) / "stderr"
        most = MAX_ANSWER_BYTES if limit is None else MAX_PAGE_BYTES
        assert proc.stdin is not None and proc.stdout is not None
        began = time.monotonic()  # (a child that dies before it is ready answers no rows)
        try:
            proc.stdin.write(payload)
            # bounded too: a child that never reads (stuck starting) must not hold the slot
            await asyncio.wait_for(proc.stdin.drain(), STARTUP_SECONDS)
            proc.stdin.close()
            first = await asyncio.wait_for(proc.stdout.readline(), STARTUP_SECONDS)
            began = time.monotonic()
            if first != READY:  # it could not open the file: the answer says why
                out = first + await asyncio.wait_for(_read(proc.stdout, most), STARTUP_SECONDS)
            else:
                out = await asyncio.wait_for(_read(proc.stdout, most), s.sql_timeout_seconds)
            await asyncio.wait_for(proc.wait(), STARTUP_SECONDS)
        except TimeoutError:
            raise TimedOut() from None
        except (BrokenPipeError, ConnectionResetError):
            out = b""  # it died before reading its input: answered below
        finally:
            killed = proc.returncode is None
            await _end(proc)
            if proc.returncode and not killed:  # a crash or a kernel limit: worth a line
                log.warning("analyst SQL process exited %s: %s", proc.returncode,
                            errors.read_bytes()[-2000:].decode("utf-8", "replace").strip())
            shutil.rmtree(tmp, ignore_errors=True)
            self._refill()
        return _answer(proc.returncode, out, began)


async def _end(proc: asyncio.subprocess.Process) -> None:
    """Kill `proc` if it still runs, and wait for it and its output pipe to close.

    asyncio (3.11) wakes `wait()` only once every pipe of the child has closed. A pipe whose
    reading is paused (its reader's buffer full: an answer refused as too big, or cut at the
    time limit) never reads to the end a killed child leaves, so `wait()` never returned: the
    query's slot was lost for good (every later query of that user got "busy"), and the
    server could not stop. CI saw both on a loaded machine. Reading what is left and dropping
    it resumes the pipe up to its end; both waits are bounded all the same."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    try:
        if proc.stdout is not None:
            with contextlib.suppress(OSError):  # the pipe broke: it is closed all the same
                await asyncio.wait_for(_drop(proc.stdout), STARTUP_SECONDS)
        await asyncio.wait_for(proc.wait(), STARTUP_SECONDS)
    except TimeoutError:
        log.error("analyst SQL process %s did not end within %s s of its kill", proc.pid,
                  STARTUP_SECONDS)


async def _drop(stream: asyncio.StreamReader) -> None:
    while await stream.read(1 << 20):
        pass


async def _read(stream: asyncio.StreamReader, most: int) -> bytes:
    chunks, size = [], 0
    while chunk := await stream.read(1 << 20):
        size += len(chunk)
        if size > most:
            raise QueryError(f"the answer is over {most >> 20} MiB: select fewer columns or "
                             "rows")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class _Spare:
    proc: asyncio.subprocess.Process
    tmp: str  # its own folder: working directory, HOME, DuckDB's temporary files


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _child_env(tmp: str) -> dict[str, str]:
    """No JATKUMO_* (the reference secret, the pseudonym key) and no credentials of any kind:
    only what the interpreter needs to start and import jatkumo."""
    root = str(Path(__file__).resolve().parents[2])
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "TMPDIR": tmp,
            "LANG": "C.UTF-8", "PYTHONPATH": root, "PYTHONDONTWRITEBYTECODE": "1"}


def _answer(code: int | None, out: bytes, began: float) -> Result:
    line, _, rest = out.partition(b"\n")
    try:
        head = json.loads(line) if line else None
    except ValueError:
        head = None
    if not isinstance(head, dict):
        # Killed by the kernel (address space, CPU time) or crashed before it could answer.
        raise QueryError("the query stopped without an answer: it needed more memory or CPU "
                         f"than an analyst query may use (exit {code})")
    if not head.get("ok"):
        message = str(head.get("message", "the query failed"))
        if head.get("kind") == "refused":
            raise Refused(message)
        raise QueryError(message)
    table = pa.ipc.open_stream(pa.BufferReader(rest)).read_all()
    return Result(list(table.column_names), table, bool(head.get("cut")), began)


# ---- the child ---------------------------------------------------------------------------

def _limit_self(header: dict[str, Any]) -> None:
    """Kernel limits first, before DuckDB opens anything: they hold whatever DuckDB does."""
    # the pages' threads come first; set before the limits, so a process with its limits
    # (which a test reads in /proc) is one that yields already
    os.nice(10)
    # Data, not address space: DuckDB and Arrow reserve far more address space than they use.
    room = memory_bytes(str(header["memory_limit"])) + 2**29  # the interpreter and libraries
    resource.setrlimit(resource.RLIMIT_DATA, (room, room))
    cpu = int(header["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _open(header: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    from services.web.views import add_missing_views

    con = duckdb.connect(str(header["db"]), read_only=True, config={
        "enable_external_access": False, "memory_limit": str(header["memory_limit"]),
        "threads": 1, "temp_directory": str(header["tmp"]), "max_temp_directory_size": "1GB",
        "autoload_known_extensions": False, "autoinstall_known_extensions": False,
        "allow_community_extensions": False})
    add_missing_views(con)
    con.execute(f"SET VARIABLE jatkumo_suppress_below = {int(header['suppress_below'])}")
    if header.get("access_log"):
        # The dashboard's access log, as a snapshot the parent sent: the web file is not
        # opened here (its writer is the server).
        con.register("access_log", pa.ipc.open_stream(sys.stdin.buffer).read_all())
    con.execute("SET lock_configuration = true")
    return con


def _query(con: duckdb.DuckDBPyConnection, sql: str, limit: int | None
           ) -> tuple[pa.Table, bool]:
    statements = duckdb.extract_statements(sql)  # checked again, here where it runs
    if len(statements) != 1 or not reads(statements[0]):
        raise Refused("only one statement that reads runs here")
    rel = con.sql(sql)
    if rel is None:
        raise Refused("only one statement that reads runs here")
    reader = rel.to_arrow_reader(BATCH_ROWS)
    batches: list[pa.RecordBatch] = []
    rows, most = 0, MAX_ANSWER_CELLS if limit is None else MAX_PAGE_CELLS
    width = max(len(reader.schema), 1)
    for batch in reader:
        batches.append(batch)
        rows += batch.num_rows
        if limit is not None and rows > limit:
            break
        if rows * width > most:
            raise TooMany(f"the answer is over {most:,} cells: select fewer columns or rows")
    table = in_python_range(pa.Table.from_batches(batches, schema=reader.schema), con)
    cut = limit is not None and table.num_rows > limit
    return (table.slice(0, limit) if cut else table), cut


def holds_time(kind: pa.DataType) -> bool:
    """Whether values of this Arrow type hold a date or a timestamp, at any depth."""
    t = pa.types
    if t.is_date(kind) or t.is_timestamp(kind) or t.is_time(kind):
        return True
    if t.is_list(kind) or t.is_large_list(kind) or t.is_fixed_size_list(kind):
        return holds_time(kind.value_type)
    if t.is_map(kind):
        return holds_time(kind.key_type) or holds_time(kind.item_type)
    if t.is_struct(kind) or t.is_union(kind):
        return any(holds_time(kind.field(i).type) for i in range(kind.num_fields))
    if t.is_dictionary(kind):
        return holds_time(kind.value_type)
    return False


# What Python's date, datetime and time hold, in days or in units of a second since the epoch:
# 0001-01-01 to 9999-12-31, and a day's time short of 24:00 (DuckDB has TIME '24:00:00')
_DAYS = (-719_162, 2_932_896)
_SECONDS = (-62_135_596_800, 253_402_300_799)
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _fits_python(column: pa.ChunkedArray) -> bool:
    """Whether every value of a column of dates, timestamps or times has a Python form: told
    from its least and greatest values where it is flat (a download's million dates are not
    made Python objects to find out), tried where it is nested or holds nanoseconds."""
    kind, t = column.type, pa.types
    if t.is_date32(kind):
        lo, hi = _DAYS
        raw = column.cast(pa.int32())
    elif t.is_timestamp(kind) and kind.unit != "ns":
        lo, hi = (s * _PER_SECOND[kind.unit] for s in _SECONDS)
        raw = column.cast(pa.int64())
    elif t.is_time(kind):
        lo, hi = 0, 86_400 * _PER_SECOND[kind.unit] - 1
        raw = column.cast(pa.int64())
    else:
        try:
            column.to_pylist()
        except (OverflowError, ValueError):
            return False
        return True
    least, most = pc.min_max(raw).values()
    return least.as_py() is None or (least.as_py() >= lo and most.as_py() <= hi)


def in_python_range(table: pa.Table, con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The answer with each column of dates or timestamps (at any depth: a list, a struct, a
    map of them) that Python cannot hold as DuckDB's text of it: DuckDB's infinity, a year 0
    or 294247, a timestamp's nanoseconds. Such a value made the page and every download a
    500 (an OverflowError turning the answer into Python values: a hunt, 2026-12-06)."""
    for i, column in enumerate(table.columns):
        if not holds_time(column.type) or _fits_python(column):
            continue
        con.register("jatkumo_answer_column", pa.table({"c": column}))
        try:
            text = con.sql("SELECT CAST(c AS VARCHAR) AS c FROM jatkumo_answer_column"
                           ).to_arrow_table().column(0)
        finally:
            con.unregister("jatkumo_answer_column")
        table = table.set_column(i, table.schema.field(i).name, text)
    return table


def main() -> int:
    out = sys.stdout.buffer
    line = sys.stdin.buffer.readline()  # a spare waits here, imports done
    if not line:
        return 0  # the server stopped before it needed this one
    header = json.loads(line)
    _limit_self(header)
    try:
        con = _open(header)
        out.write(READY)
        out.flush()
        table, cut = _query(con, str(header["sql"]), header["limit"])
        data = _ipc(table)  # before "ok": Arrow may run out of memory here too
    except Refused as e:
        out.write(json.dumps({"ok": False, "kind": "refused", "message": str(e)}).encode())
        return 0
    except (duckdb.OutOfMemoryException, pa.ArrowMemoryError, MemoryError):
        # DuckDB's own advice (SET threads, SET memory_limit) is refused on the page: say
        # what an analyst can do (an attack, 2026-12-07, was told to SET what it may not)
        out.write(json.dumps({"ok": False, "kind": "error", "message": OUT_OF_MEMORY}).encode())
        return 0
    except (duckdb.Error, pa.ArrowException, TooMany) as e:
        out.write(json.dumps({"ok": False, "kind": "error", "message": short(e)}).encode())
        return 0
    out.write(json.dumps({"ok": True, "cut": cut}).encode() + b"\n")
    out.write(data)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
