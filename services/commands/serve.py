"""jatkumo serve --db FILE [--port N]: the service manager's dashboard, alerts and /metrics."""

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from schemas.errors import ConfigError
from services import config
from services.commands.common import takes_no_file, tcp_port
from services.shown import said
from services.web.auth import hash_password, load_users
from services.web.db import file_connector


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "serve", help="serve the dashboard (overview, gaps, alerts, SQL) over HTTP",
        description="Serve the dashboard for a jatkumo DuckDB file, read-only, on 127.0.0.1. "
        "Users come from the file in JATKUMO_USERS; alerts go to JATKUMO_ALERTMANAGER_URL. "
        "The dashboard keeps its access log and alert state in FILE.web.duckdb beside FILE.",
        epilog="environment: JATKUMO_USERS (users file), JATKUMO_WEB_SECRET, "
        "JATKUMO_ALERTMANAGER_URL, JATKUMO_PUBLIC_URL, JATKUMO_SQL_ROW_LIMIT, "
        "JATKUMO_SQL_TIMEOUT_SECONDS, JATKUMO_SQL_MEMORY_LIMIT, JATKUMO_SQL_PER_USER, "
        "JATKUMO_SQL_PROCESSES, JATKUMO_SNAPSHOT_SECONDS (--ingest), "
        "JATKUMO_ALERT_RESEND_SECONDS")
    p.add_argument("--db", type=Path, metavar="FILE.duckdb",
                   help="the DuckDB file a replay or the sink writes")
    p.add_argument("--port", type=tcp_port, default=8080, help="TCP port (default 8080)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--ingest", action="store_true",
                   help="also take events on POST /api/v1/events and be the one writer of "
                   "--db (created if missing): live, with no broker")
    p.add_argument("--tokens", metavar="FILE.json",
                   help="--ingest: the source systems' tokens (default FILE.tokens.json)")
    p.add_argument("--handoffs", metavar="FILE.toml",
                   help="the handoffs (SPEC.md 4.1; default JATKUMO_HANDOFFS): with --ingest "
                   "the rules, and on the overview each handoff's date, services and kinds")
    p.add_argument("--hash-password", action="store_true",
                   help="read a password (prompted, or one line on stdin) and print the hash "
                   "to put in the users file, then exit")
    p.set_defaults(run=run)
    return p


def _not_relations(db: Path) -> str | None:
    """Why `db` is no DuckDB file of jatkumo's relations, or None (a users file given as --db
    started a server whose every alert round logged a traceback)."""
    import duckdb

    from services.replay_files import duckdb_header

    if db.is_file() and not duckdb_header(db):  # by its first bytes: DuckDB's own error for
        return "not a DuckDB file"  # an events file read as a writer's lock (a hunt)
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as e:
        said = str(e).splitlines()[0]
        # a writer holding the file is the store's to word (services/web/db.file_connector)
        return "not a DuckDB file" if "not a valid DuckDB database" in said else None
    try:
        names = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()
    return None if "gap_rows" in names else "it has no gap_rows relation"


def _not_ingest_db(db: Path) -> str | None:
    """Why serve --ingest cannot keep its events in `db` (with what to do), or None. A file
    that is no DuckDB file, or a folder that takes no file, was exit 1 in DuckDB's words
    (`--db /proc/self/status`: a review, 2026-12-07)."""
    from services.replay_files import duckdb_header

    try:
        if db.is_dir():
            return "is a folder; give the path of a DuckDB file in it"
        if db.exists():
            if not (db.is_file() and duckdb_header(db)):
                return ("exists and is not a DuckDB file; give the file serve --ingest keeps "
                        "its events in, or the path of a new one")
            return None
    except OSError as e:  # a name too long, a folder one may not enter
        return f"cannot be looked at ({e.strerror}); give another path"
    refused = takes_no_file(db.parent)
    if refused is not None:
        return (f"is in a folder that takes no new file ({refused}); give a path in a folder "
                "you may write in")
    return None


def run(args: argparse.Namespace) -> int:
    if args.hash_password:
        pw = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
        print(hash_password(pw.rstrip("\n")))
        return 0
    if args.db is None:
        print("jatkumo serve: error: give --db FILE.duckdb (made by 'jatkumo replay')",
              file=sys.stderr)
        return 2
    # Imported here so other subcommands do not pay for aiohttp and jinja2.
    from services.web.server import build_app
    from services.web.server import run as run_server

    settings = config.load_web(host=args.host, port=args.port)
    users = load_users(settings.users_file)
    if args.handoffs is not None:
        try:
            config.handoffs_flag(args.handoffs)
            config.read_handoffs(args.handoffs)
        except ConfigError as e:
            print(f"jatkumo serve: error: {e}", file=sys.stderr)
            return 2
        # The overview labels each handoff from the configuration it reads
        # (services/web/published.configured_handoffs): the flag is the variable's equal.
        os.environ["JATKUMO_HANDOFFS"] = str(args.handoffs)
    if args.ingest:
        problem = _not_ingest_db(args.db)
        if problem is not None:
            print(f"jatkumo serve: error: --db {said(args.db)} {problem}",
                  file=sys.stderr)
            return 2
        return _serve_ingest(args, settings, users)
    if not args.db.is_file():
        print(f"jatkumo serve: error: no DuckDB file at {args.db}; make one with 'jatkumo "
              f"replay FILE --db {args.db}', or add --ingest to start an empty live one",
              file=sys.stderr)
        return 2
    db = args.db
    problem = _not_relations(db)
    if problem is not None:
        print(f"jatkumo serve: error: {db} is not a file of jatkumo's relations ({problem}); "
              f"give the file 'jatkumo replay FILE --db FILE.duckdb' or the sink wrote",
              file=sys.stderr)
        return 2
    app = build_app(db, settings, users, file_connector(db))
    run_server(app, args.host, args.port)
    return 0


def _serve_ingest(args: argparse.Namespace, web_settings: config.WebSettings,
                  users: dict[str, Any]) -> int:
    from services.ingest import live
    from services.ingest.tokens import TokenStore
    from services.web.live import Snapshot, publishing
    from services.web.server import build_app
    from services.web.server import run as run_server
    from services.web.webstore import WebStore, web_path

    settings = config.load(handoffs=args.handoffs)
    ingest = config.load_ingest()
    embedded = live.open_embedded(args.db, settings)
    # The pages and analysts' SQL never use the writer's connection: they read a read-only
    # snapshot, published under the writer's lock (between two batches) when the data changed.
    snapshot = Snapshot(args.db, web_settings.snapshot_seconds)
    with embedded.lock:
        snapshot.publish(embedded.con)
    app = build_app(snapshot.path, web_settings, users, file_connector(snapshot.path),
                    store=WebStore(web_path(args.db)))
    live.attach(app, embedded, TokenStore(live.tokens_path(args.db, args.tokens)), ingest)
    # After attach: its cleanup (which closes the writer) runs after this one stops.
    app.cleanup_ctx.append(publishing(snapshot, embedded.lock, lambda: embedded.con,
                                      live.stamp(embedded)))
    run_server(app, args.host, args.port)
    return 0
