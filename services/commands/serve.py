"""jatkumo serve --db FILE [--port N]: the service manager's dashboard, alerts and /metrics."""

import argparse
import getpass
import sys
from typing import Any

from services import config
from services.commands.common import existing_db
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
        "JATKUMO_SQL_PROCESSES, JATKUMO_ALERT_RESEND_SECONDS")
    p.add_argument("--db", type=existing_db, metavar="FILE.duckdb",
                   help="the DuckDB file a replay or the sink writes")
    p.add_argument("--port", type=int, default=8080, help="TCP port (default 8080)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--hash-password", action="store_true",
                   help="read a password (prompted, or one line on stdin) and print the hash "
                   "to put in the users file, then exit")
    p.set_defaults(run=run)
    return p


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

    settings = config.load_web()
    users = load_users(settings.users_file)
    app = build_app(args.db, settings, users, file_connector(args.db))
    run_server(app, args.host, args.port)
    return 0
