"""The end of an analyst query's process (services/web/sqlproc.py: `_end`), with real child
processes. On CI, under load, a query cut at its time limit while its process was still writing
its answer never ended on the server: asyncio's `wait()` waits for the output pipe to close,
and a pipe whose reading was paused (its buffer full) never read to its end. The user's slot
was lost for good, and the server could not stop."""

import asyncio
import logging
import sys
import time
from pathlib import Path

import duckdb
import pytest

from analytics.relations import create_all
from services.config import WebSettings
from services.scope import WHOLE
from services.web import sqlproc
from tests.helpers import run_apart

WRITER = "import sys; sys.stdout.buffer.write(b'x' * 20_000_000)"


async def child(code: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-c", code,
                                                stdout=asyncio.subprocess.PIPE)


async def unread_answer() -> asyncio.subprocess.Process:
    """A child blocked writing a 20 MB answer, its reader paused with a full buffer: as the
    server leaves one when it refuses an answer or cuts it at the time limit."""
    proc = await child(WRITER)
    assert proc.stdout is not None
    await proc.stdout.read(1 << 20)
    await asyncio.sleep(0.5)  # the pipe is read until the reader's buffer is full, then paused
    return proc


def test_a_killed_child_with_an_unread_answer_ends_at_once(
        caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> int | None:
        proc = await unread_answer()
        try:
            await sqlproc._end(proc)
        finally:  # were it left open, its pipes would be closed after the loop (a noisy error)
            proc._transport.close()  # type: ignore[attr-defined]
        return proc.returncode

    with caplog.at_level(logging.ERROR, logger="jatkumo.web"):
        code = run_apart(main)
    assert code == -9  # killed, and reaped
    # Without reading to the end, the bounded wait inside ran out and said so.
    assert not [r for r in caplog.records if "did not end" in r.getMessage()]


def test_the_hang_is_real_without_the_drain() -> None:
    """The reason for `_end`: with only kill and wait, the same child is never waited for
    (a check that the test above sets up the case it claims to)."""
    async def main() -> bool:
        proc = await unread_answer()
        proc.kill()
        try:
            await asyncio.wait_for(proc.wait(), 3)
        except TimeoutError:
            hung = True
        else:
            hung = False
        await sqlproc._end(proc)  # and it ends it still
        return hung

    assert run_apart(main)


def test_a_child_that_answered_and_exited_keeps_its_exit_code() -> None:
    """The query's usual end: its answer read, its exit waited for, then `_end`."""
    async def main() -> int | None:
        proc = await child("import sys; sys.stdout.write('done'); sys.exit(3)")
        assert proc.stdout is not None
        assert await proc.stdout.read() == b"done"
        await asyncio.wait_for(proc.wait(), 20)
        await sqlproc._end(proc)
        return proc.returncode

    assert run_apart(main) == 3


def test_an_answers_time_limit_counts_from_the_querys_start(tmp_path: Path) -> None:
    """The page masks an answer within the query's own time limit, counted from when the
    child was ready (Result.began), not from when the answer came: a query near its limit
    and then a long masking held the server for twice the limit (left open, 2026-12-07).
    A query that runs for a second or more: its run lies between `began` and the answer, so most of
    the call's time comes after `began` (taken at the answer, it was a few milliseconds)."""
    db = tmp_path / "gaps.duckdb"
    with duckdb.connect(str(db)) as con:
        create_all(con)  # the relations, empty: the child looks for them as it opens
    # a long limit: the query must finish on a loaded machine
    runner = sqlproc.SqlRunner(lambda: db, WebSettings(secret=b"began",
                                                       sql_timeout_seconds=300.0))

    async def main() -> tuple[float, sqlproc.Result, float]:
        try:
            await runner.run("u", "SELECT 1", 10, scope=WHOLE)  # a spare process is ready
            before = time.monotonic()
            got = await runner.run(
                "u", "SELECT count(*) AS n FROM range(300000000) WHERE range % 7 = 3", 10,
                scope=WHOLE)
            return before, got, time.monotonic()
        finally:
            await runner.close()

    before, got, after = run_apart(main)
    assert got.rows == [(42857143,)]
    assert before < got.began < after
    assert after - got.began > 0.5 * (after - before), (before, got.began, after)
