"""What the alerts need from their host, as protocols: a reader of the relations and a store
for their own state. The dashboard (services.web) provides both and imports the alerts; the
alerts never import services.web, so the two packages do not import each other."""

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import duckdb

Rows = list[tuple[Any, ...]]


class RelationReader(Protocol):
    """services.web.db.Reader: a read-only query, off the event loop; `whole` reads the whole
    wellbeing area whatever the request's scope (services/scope.py)."""

    async def rows(self, sql: str, params: Sequence[Any] = (), whole: bool = False
                   ) -> tuple[list[str], Rows]: ...


class StateStore(Protocol):
    """services.web.webstore.WebStore: one connection to the dashboard's own file, shared by
    threads under `lock`."""

    con: duckdb.DuckDBPyConnection
    lock: threading.Lock

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows: ...
