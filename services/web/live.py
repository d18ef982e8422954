"""Live mode: the dashboard inside the sink process. DuckDB has one writer per file, and the
writer's connection has every power (writing, files on the host). So the pages and the
analysts' SQL never touch it: the sink publishes a read-only snapshot of its file every few
seconds (checkpoint, copy to a temporary file, atomic rename), and the dashboard reads that
file exactly as `jatkumo serve` reads a replay's file. The web server runs on a thread of its
own with its own event loop, so the sink's consume-write loop never waits on a page."""

import asyncio
import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from aiohttp import web

from schemas.errors import ConfigError
from services.config import WebSettings
from services.web.auth import User

if TYPE_CHECKING:
    from services.sink_batch import Writer

log = logging.getLogger("jatkumo.web")


def snapshot_path(db: Path) -> Path:
    return db.with_name(db.stem + ".snapshot.duckdb")


class Snapshot:
    """The published copy of the sink's file. `publish` runs on the sink's own thread between
    two transactions, so nothing writes while the file is copied; a reader that opened the
    previous copy keeps reading it (the rename gives the path a new file, never a half one)."""

    def __init__(self, db: Path, every_seconds: float) -> None:
        self.db, self.path, self.every = db, snapshot_path(db), every_seconds
        self._last = float("-inf")
        self._stale = False  # committed since the last copy
        for old in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            old.unlink(missing_ok=True)  # left by a sink killed in the middle of a copy

    def publish(self, con: duckdb.DuckDBPyConnection) -> None:
        # The writer stores the published cube of exactly these relations first (the writes
        # since the last copy invalidated it), so the pages read it instead of building it.
        from services.web import published

        published.ensure_stored(con)
        con.execute("CHECKPOINT")  # everything committed is in the main file, none in the WAL
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            shutil.copyfile(self.db, tmp)
            with tmp.open("rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        self._last, self._stale = time.monotonic(), False

    def maybe_publish(self, con: duckdb.DuckDBPyConnection, wrote: bool) -> None:
        """Between two of the sink's batches: publish what was committed since the last copy
        once that copy is `every` seconds old (also when the sink has gone idle)."""
        self._stale = self._stale or wrote
        if self._stale and time.monotonic() - self._last >= self.every:
            self.publish(con)


def publishing(snapshot: Snapshot, lock: threading.Lock,
               con: Callable[[], duckdb.DuckDBPyConnection], version: Callable[[], object]
               ) -> Callable[[web.Application], AsyncIterator[None]]:
    """For a writer inside the web server (`serve --ingest`): every `snapshot.every` seconds,
    when `version()` has moved, publish under the writer's `lock` (between two batches)."""

    def publish() -> object:
        with lock:
            seen = version()
            snapshot.publish(con())
            return seen

    async def loop() -> None:
        seen = version()
        while True:
            await asyncio.sleep(snapshot.every)
            if version() != seen:
                try:
                    seen = await asyncio.to_thread(publish)
                except (OSError, duckdb.Error) as e:  # a full disk: the pages lag, say so
                    log.warning("the dashboard's snapshot was not published: %s", e)

    async def ctx(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx


class LiveServer:
    """Start with `attach` (the sink's on_open hook), call `after_batch` after each round of
    the sink's loop (it publishes the snapshot now and then); `stop` is idempotent."""

    def __init__(self, db: Path, settings: WebSettings, users: dict[str, User], host: str,
                 port: int) -> None:
        self.db, self.settings, self.users = db, settings, users
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.snapshot = Snapshot(db, settings.snapshot_seconds)

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        from services.web.db import file_connector
        from services.web.server import build_app
        from services.web.webstore import WebStore, web_path

        self.snapshot.publish(con)  # the pages have a file to read from the start
        snap = self.snapshot.path
        # The access log and alert state stay beside the live file, not the snapshot.
        app = build_app(snap, self.settings, self.users, file_connector(snap),
                        store=WebStore(web_path(self.db)))
        self._thread = threading.Thread(target=self._serve, args=(app,), name="jatkumo-web",
                                        daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise ConfigError(f"the dashboard cannot listen on {self.host}:{self.port}: "
                              f"{self._error}. Choose another --port.") from None
        print(f"dashboard: http://{self.host}:{self.port}", flush=True)

    def _serve(self, app: web.Application) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main(app))
        finally:
            loop.close()

    async def _main(self, app: web.Application) -> None:
        from services.web.server import PathOnlyAccessLogger

        self._done = asyncio.Event()
        runner = web.AppRunner(app, access_log_class=PathOnlyAccessLogger)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as e:
            self._error = e
            self._ready.set()
            await runner.cleanup()
            return
        self._ready.set()
        try:
            await self._done.wait()
        finally:
            await runner.cleanup()  # alert rounds stop, the web store closes

    def after_batch(self, writer: "Writer", wrote: bool) -> None:
        self.snapshot.maybe_publish(writer.con, wrote)

    def stop(self) -> None:
        loop, done, thread = self._loop, self._done, self._thread
        if thread is None or loop is None or done is None:
            return
        if thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(done.set)
            thread.join(30)
        self._thread = None
