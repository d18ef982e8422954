"""The dashboard's own small DuckDB file (FILE.web.duckdb next to the main one): the access log,
alert state (acknowledgements, silences) and the secret of opaque references. The serve process
is its only writer; the main file stays read-only to the dashboard."""

import secrets
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from schemas.errors import StoreError
from services.scope import Scope, current

ACCESS_LOG_DOC = ("access_log: who did what, when, on the dashboard (Client Data Act 703/2023: "
                  "every processing of client data is logged); target is a page, an opaque "
                  "client reference or an alert reference, never a client id. "
                  "grain: one row per page view, query, export or action.")
SCHEMA = """
CREATE TABLE IF NOT EXISTS web_settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
-- access_log: who did what, when, on the dashboard (Client Data Act 703/2023: every processing
-- of client data is logged). target is a page, an opaque client reference or an alert
-- reference, never a client id.
-- grain: one row per page view, query, export or action.
CREATE TABLE IF NOT EXISTS access_log (
    logged_at TIMESTAMPTZ NOT NULL, user_name VARCHAR NOT NULL, role VARCHAR NOT NULL,
    action VARCHAR NOT NULL, target VARCHAR, detail VARCHAR, row_count BIGINT,
    outcome VARCHAR NOT NULL
);
-- The scope the user had when the entry was written (both empty: the whole wellbeing area, or
-- no signed-in user; NULL in entries written before the columns: the whole area too): what a
-- scoped admin may read of the log (services/web/pages/access.py). No DEFAULT: DuckDB 2.0
-- cannot replay a WAL holding a default expression without downloading its core_functions
-- extension, so a file killed before its checkpoint would not open again (every insert
-- names both columns anyway).
ALTER TABLE access_log ADD COLUMN IF NOT EXISTS scope_areas VARCHAR[];
ALTER TABLE access_log ADD COLUMN IF NOT EXISTS scope_municipalities VARCHAR[];
"""
COLUMNS = ("logged_at, user_name, role, action, target, detail, row_count, outcome, "
           "scope_areas, scope_municipalities")


def web_path(main: Path) -> Path:
    return main.with_name(main.name + ".web.duckdb") if main.suffix != ".duckdb" else \
        main.with_name(main.stem + ".web.duckdb")


class WebStore:
    def __init__(self, path: Path) -> None:
        try:
            self.con = duckdb.connect(str(path))
        except duckdb.Error as e:
            raise StoreError(f"cannot open the dashboard's file {path}: {e}. Is another "
                             "'jatkumo serve' running on the same --db?") from e
        self.lock = threading.Lock()  # one connection, several threads: one at a time
        self.execute(SCHEMA)
        self.execute("CHECKPOINT")  # the schema on disk, not in a WAL a kill -9 leaves behind

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.con.execute(sql, list(params)).fetchall()

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        with self.lock:
            # a relation, not a DB-API result: DuckDB 2 warns that the latter copies the rows
            return self.con.sql(sql, params=list(params)).to_arrow_table()

    def secret(self, configured: bytes | None) -> bytes:
        if configured:
            return configured
        rows = self.execute("SELECT value FROM web_settings WHERE key = 'ref_secret'")
        if rows:
            return bytes.fromhex(rows[0][0])
        # Kept so references (and alert identities) survive a restart.
        value = secrets.token_bytes(32)
        self.execute("INSERT INTO web_settings VALUES ('ref_secret', ?)", [value.hex()])
        return value

    def log(self, user: str, role: str, action: str, target: str | None = None,
            detail: str | None = None, row_count: int | None = None,
            outcome: str = "ok", scope: Scope | None = None) -> None:
        """One entry, with the user's scope: by default the scope of the request being
        answered (services/scope.py; the whole area outside a signed-in request)."""
        scope = current() if scope is None else scope
        self.execute(f"INSERT INTO access_log ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [datetime.now(UTC), user, role, action, target, detail, row_count,
                      outcome, sorted(scope.areas), sorted(scope.municipalities)])

    def close(self) -> None:
        with self.lock:
            self.con.close()
