"""jatkumo sink --db FILE: the one DuckDB writer of the live pipeline."""

import argparse
import signal
from pathlib import Path
from typing import Any

from services import config
from services.commands.common import add_bootstrap, kafka_settings
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
    p.set_defaults(run=run)
    return p


def stop_flag() -> list[bool]:
    """A flag set by SIGTERM or SIGINT: the sink finishes its transaction and stops."""
    flag = [False]

    def stop(_sig: int, _frame: Any) -> None:
        flag[0] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return flag


def run(args: argparse.Namespace) -> int:
    flag = stop_flag()
    report = run_sink(args.db, config.load(), kafka_settings(args), should_stop=lambda: flag[0],
                      until_caught_up=args.until_caught_up)
    print(f"sink: wrote {report.records:,} records in {report.batches:,} transactions "
          f"to {args.db}")
    return 0
