"""jatkumo sink --db FILE: the one DuckDB writer of the live pipeline."""

import argparse
import signal
from pathlib import Path
from typing import Any

from services import config
from services.commands.common import add_bootstrap, kafka_settings, tcp_port
from services.shown import said
from services.sink import run_sink


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "sink", help="write the relations from Kafka into a DuckDB file",
        description="Consume the workers' per-client results, the events and the dead letters "
        "and keep the relations of SPEC.md section 5 in a DuckDB file, with the consumed "
        "offsets in the same transactions: restart it at any time, it resumes where it was. "
        "Only one process may write the file; stop the sink before opening it elsewhere.")
    p.add_argument("--db", required=True, type=Path, metavar="FILE.duckdb")
    add_bootstrap(p)
    p.add_argument("--until-caught-up", action="store_true",
                   help="stop once everything in the topics so far is written")
    add_serve(p)
    p.set_defaults(run=run)
    return p


def add_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--serve", action="store_true",
                   help="also serve the dashboard from this process (live mode: it reads a "
                   "read-only snapshot of the file, FILE.snapshot.duckdb, which the sink "
                   "publishes every JATKUMO_SNAPSHOT_SECONDS, default 5)")
    p.add_argument("--port", type=tcp_port, default=8080, help="dashboard TCP port (default 8080)")
    p.add_argument("--host", default="127.0.0.1",
                   help="dashboard address to bind (default 127.0.0.1: this machine only)")


def stop_flag() -> list[bool]:
    """A flag set by SIGTERM or SIGINT: the sink finishes its transaction and stops."""
    flag = [False]

    def stop(_sig: int, _frame: Any) -> None:
        flag[0] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return flag


def run(args: argparse.Namespace) -> int:
    settings, kafka = config.load(rules_too=False), kafka_settings(args)
    live = None
    if args.serve:
        # Imported here so a plain sink does not pay for aiohttp and jinja2.
        from services.web.auth import load_users
        from services.web.live import LiveServer

        web = config.load_web(host=args.host, port=args.port)
        live = LiveServer(args.db, web, load_users(web.users_file), args.host, args.port)
    flag = stop_flag()

    def should_stop() -> bool:
        if flag[0] and live is not None:
            live.stop()  # before the sink closes the connection the pages read through
        return flag[0]

    try:
        report = run_sink(args.db, settings, kafka, should_stop=should_stop,
                          until_caught_up=args.until_caught_up,
                          on_open=None if live is None else lambda w: live.attach(w.con),
                          after_batch=None if live is None else live.after_batch,
                          # said once connected: an operator (and a test) knows the sink
                          # is reading, and a broker gone from now on is waited for
                          on_reading=lambda: print(f"sink: reading {kafka.bootstrap} into "
                                                   f"{said(args.db)}", flush=True))
    finally:
        if live is not None:
            live.stop()
    print(f"sink: wrote {report.records:,} records in {report.batches:,} transactions "
          f"to {said(args.db)}")  # a file may be named after a person
    return 0
