"""Live mode: the dashboard inside the sink process. DuckDB has one writer per file, so the pages
read the live file through cursors of the sink's own connection (each cursor is a separate
connection to the same database, fine from another thread) instead of opening the file again.
The web server runs on a thread of its own with its own event loop, so the sink's consume-write
loop never waits on a page, and is stopped before the sink closes its connection."""

import asyncio
import contextlib
import logging
import threading
from pathlib import Path

import duckdb
from aiohttp import web

from schemas.errors import ConfigError
from services.config import WebSettings
from services.web.auth import User
from services.web.db import Connect

log = logging.getLogger("jatkumo.web")
STAMP_SQL = "SELECT count(*), coalesce(sum(next_offset), 0) FROM kafka_offsets"


def cursor_connector(con: duckdb.DuckDBPyConnection) -> Connect:
    """Cursors of a dedicated base cursor: the sink's thread keeps `con` to itself, and
    cursors are made one at a time (the web answers from several worker threads)."""
    base = con.cursor()
    lock = threading.Lock()

    def connect() -> duckdb.DuckDBPyConnection:
        with lock:
            return base.cursor()
    return connect


class Stamp:
    """The version of the live data: the sink commits its offsets with every batch, so their
    sum changes exactly when new rows are visible (and cached answers must go)."""

    def __init__(self, connect: Connect) -> None:
        self.connect = connect

    def __call__(self) -> object:
        con = self.connect()
        try:
            row = con.execute(STAMP_SQL).fetchone()
        finally:
            con.close()
        return row


class LiveServer:
    """Start with `attach` (the sink's on_open hook); `stop` is idempotent."""

    def __init__(self, db: Path, settings: WebSettings, users: dict[str, User], host: str,
                 port: int) -> None:
        self.db, self.settings, self.users = db, settings, users
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        from services.web.server import build_app

        connect = cursor_connector(con)
        app = build_app(self.db, self.settings, self.users, connect,
                        stamp=Stamp(connect))
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

    def stop(self) -> None:
        loop, done, thread = self._loop, self._done, self._thread
        if thread is None or loop is None or done is None:
            return
        if thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(done.set)
            thread.join(30)
        self._thread = None
