"""Reading the main DuckDB file for the dashboard: read-only, external access off, opened per
request so the file is never held between requests (a replay can rebuild it in between) and
never opened for writing (one writer per file). In live mode the file is the read-only snapshot
the sink publishes (services/web/live.py), never the sink's own connection."""

import asyncio
import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from analytics.store import connect as open_store
from services.scope import Scope, current
from services.web.logtext import KnownClients
from services.web.scopedb import ScopedFiles
from services.web.views import add_missing_views

Connect = Callable[[], duckdb.DuckDBPyConnection]
SUPPRESS_VAR = "jatkumo_suppress_below"
READ_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False}


def file_connector(path: Path) -> Connect:
    def connect() -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(path), read_only=True, config=READ_CONFIG)
        except duckdb.Error:
            # Let the store word the error (what to do when a writer holds the file).
            return open_store(path, read_only=True)
        add_missing_views(con)
        return con
    return connect


def with_threshold(connect: Connect, below: int) -> Connect:
    """Connections on which the dash_* views suppress counts below `below` (the views read the
    variable; without it they use 5, so `jatkumo sql` on the file is suppressed the same)."""
    def threshold_connect() -> duckdb.DuckDBPyConnection:
        con = connect()
        con.execute(f"SET VARIABLE {SUPPRESS_VAR} = {int(below)}")
        return con
    return threshold_connect


def scoped_connector(files: ScopedFiles, below: int
                     ) -> Callable[[Scope], duckdb.DuckDBPyConnection]:
    """Connections to a scope's own file (services/web/scopedb.py), like the main file's:
    read-only, external access off, the dash_* views and the suppression threshold set."""
    def connect(scope: Scope) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(files.path(scope)), read_only=True, config=READ_CONFIG)
        add_missing_views(con)
        con.execute(f"SET VARIABLE {SUPPRESS_VAR} = {int(below)}")
        return con
    return connect


Rows = list[tuple[Any, ...]]
ScopedConnect = Callable[[Scope], duckdb.DuckDBPyConnection]


class Reader:
    """Rows for the pages. A signed-in user with a scope reads their scope's own file (the
    scope of the request: services/scope.py), everyone else the main file; `connect`
    is the main file's (the published cube and /metrics read it whole)."""

    def __init__(self, connect: Connect, stamp: Callable[[], object] | None = None,
                 scoped: ScopedConnect | None = None) -> None:
        self.connect = connect
        self.scoped = scoped
        # Answers for one version of the file are kept (a few dozen), so a manager paging
        # back and forth over a national file does not recompute the same aggregates.
        self.stamp = stamp
        self._cache: OrderedDict[tuple[Any, ...], list[list[dict[str, Any]]]] = OrderedDict()

    def open(self, whole: bool = False) -> duckdb.DuckDBPyConnection:
        """A connection for the current request's scope (`whole`: the main file, for the
        server's own bookkeeping, never for what a page shows)."""
        scope = current()
        if whole or scope.whole:
            return self.connect()
        if self.scoped is None:  # fail closed: a scoped user never falls back to all rows
            raise RuntimeError("a scoped user needs the reader's scoped files")
        return self.scoped(scope)

    def rows_sync(self, sql: str, params: Sequence[Any] = (), whole: bool = False
                  ) -> tuple[list[str], Rows]:
        con = self.open(whole)
        try:
            cur = con.execute(sql, list(params))
            names = [d[0] for d in cur.description or []]
            return names, cur.fetchall()
        finally:
            con.close()

    async def rows(self, sql: str, params: Sequence[Any] = (), whole: bool = False
                   ) -> tuple[list[str], Rows]:
        # DuckDB blocks; a worker thread keeps the event loop answering other requests (it
        # runs in a copy of this context, so with this request's scope).
        return await asyncio.to_thread(self.rows_sync, sql, params, whole)

    def _many_sync(self, queries: Sequence[tuple[str, Sequence[Any]]]
                   ) -> list[list[dict[str, Any]]]:
        con = self.open()
        try:
            out = []
            for sql, params in queries:
                cur = con.execute(sql, list(params))
                names = [d[0] for d in cur.description or []]
                out.append([dict(zip(names, r, strict=True)) for r in cur.fetchall()])
            return out
        finally:
            con.close()

    async def many(self, *queries: tuple[str, Sequence[Any]]) -> list[list[dict[str, Any]]]:
        """Several queries on one connection: one open of the file per page, not per query."""
        version = self.stamp() if self.stamp else None
        key = (version, current().key,
               tuple((sql, repr(list(params))) for sql, params in queries))
        if version is not None and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        got = await asyncio.to_thread(self._many_sync, queries)
        if version is not None:
            self._cache[key] = got
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        return got

    def _arrow_sync(self, sql: str, params: Sequence[Any]) -> pa.Table:
        con = self.open()
        try:
            return con.sql(sql, params=list(params)).to_arrow_table()
        finally:
            con.close()

    async def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """One query's answer as an Arrow table, not cached: a download of a national file's
        rows, which columns carry far more cheaply than a row object per row."""
        return await asyncio.to_thread(self._arrow_sync, sql, params)

    async def dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        names, rows = await self.rows(sql, params)
        return [dict(zip(names, r, strict=True)) for r in rows]


class Refs:
    """Opaque references for client ids: HMAC with the server's secret, so a reference in a
    page, form or alert cannot be turned back into a pseudonym without this server."""

    def __init__(self, secret: bytes, reader: Reader, stamp: Callable[[], object]) -> None:
        self.secret = secret
        self._client_mac = hmac.new(secret, b"client:", hashlib.sha256)
        self.reader = reader
        self.stamp = stamp  # changes when the data changes (file mtime)
        self._cache: dict[str, tuple[object, dict[str, str]]] = {}  # per scope
        # every client of the whole area with its reference, per version of the data: the
        # references pages ask for are looked up in it, and so are the ids typed into text
        self._every: tuple[object, KnownClients] | None = None
        self._every_lock = threading.Lock()

    def of(self, client_id: str) -> str:
        every = self._every
        known = every[1].refs.get(client_id) if every is not None else None
        if known is not None:  # (the reference of an id depends on no scope nor version)
            return known
        # the keyed state after b"client:" is computed once and copied: the same HMAC, at
        # less cost (an export references every gap's client)
        h = self._client_mac.copy()
        h.update(client_id.encode())
        return h.hexdigest()[:20]

    def mark(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()[:20]

    def table_sync(self) -> dict[str, str]:
        """Reference -> client id, for the clients of the current scope only: a reference
        of another area's client resolves to nothing."""
        stamp, key = self.stamp(), current().key
        got = self._cache.get(key)
        if got is None or got[0] != stamp:
            if current().whole:  # the whole area's, made once for both
                refs = dict(self._every_client().refs)
            else:
                _, rows = self.reader.rows_sync("SELECT client_id FROM clients")
                refs = {r[0]: self.of(r[0]) for r in rows}
            got = self._cache[key] = (stamp, {ref: cid for cid, ref in refs.items()})
        return got[1]

    async def resolve(self, ref: str) -> str | None:
        table = await asyncio.to_thread(self.table_sync)
        return table.get(ref.strip())

    def _every_client(self) -> KnownClients:
        """Every client of the whole area with its reference, for this version of the data
        (kept: the ids typed into any text a user writes are looked up in it; any client's
        id is hidden from the log, whoever typed it)."""
        with self._every_lock:  # built once per version, not by every request that asks
            stamp = self.stamp()
            if self._every is None or self._every[0] != stamp:
                _, rows = self.reader.rows_sync("SELECT client_id FROM clients", whole=True)
                self._every = (stamp, KnownClients.of({r[0]: self.of(r[0]) for r in rows}))
            return self._every[1]

    async def known_clients(self) -> KnownClients:
        return await asyncio.to_thread(self._every_client)

    async def warm(self) -> None:
        """Build the reference table ahead of the first timeline (about 0.5 s for the
        national file's quarter of a million clients)."""
        await asyncio.to_thread(self.table_sync)


def file_stamp(path: Path) -> Callable[[], object]:
    def stamp() -> object:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)
    return stamp
