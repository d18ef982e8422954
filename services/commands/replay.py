"""jatkumo replay FILE --db DB [--as-of DATE]: the embedded pipeline, no broker."""

import argparse
import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import replace
from types import FrameType
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from services import config
from services.commands.common import Console, iso_date, readable_file
from services.replay import replay
from services.shown import shown
from services.summary import print_summary


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "replay", help="replay a JSONL event file into a DuckDB file (no broker)",
        description="Read events (one JSON object a line), apply SPEC.md's rules, and write the "
        "relations (continuity_gaps, handoff_status, …) into a DuckDB file. Malformed lines "
        "become dead letters; the run goes on.")
    p.add_argument("file", type=readable_file, metavar="FILE.jsonl", help="events, one a line")
    p.add_argument("--db", required=True, metavar="FILE.duckdb",
                   help="DuckDB file to (re)build; created if missing")
    p.add_argument("--as-of", type=iso_date, metavar="YYYY-MM-DD",
                   help="evaluate on this date (default: the latest effective date seen)")
    p.add_argument("--cutover", type=iso_date, metavar="YYYY-MM-DD",
                   help="the handoff date C (default 2023-01-01 or JATKUMO_CUTOVER)")
    p.add_argument("--handoffs", metavar="FILE.toml",
                   help="the handoffs (SPEC.md 4.1; default JATKUMO_HANDOFFS or the 2023 one)")
    p.add_argument("--thresholds", metavar="NAME=DAYS,…",
                   help="override gap thresholds, e.g. SERVICE_BREAK=45")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    settings = config.load(handoffs=args.handoffs)
    rules = settings.rules
    if args.cutover:
        config.default_only(rules, ["--cutover"])
        rules = replace(rules, cutover=args.cutover)
    if args.thresholds:
        rules = config.parse_thresholds(args.thresholds, rules)
    settings = replace(settings, rules=rules)
    console = Console(stderr=True)
    with terminated_as_interrupt():
        return _run(args, settings, console)


@contextlib.contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM (a service manager's stop, `kill`) as KeyboardInterrupt, so that a replay stopped
    either way removes its unfinished DuckDB file and spool folder (the `finally`s of
    services/replay.py) instead of dying in place."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _run(args: argparse.Namespace, settings: config.Settings, console: Console) -> int:
    if args.quiet:
        report = replay(args.file, args.db, settings, args.as_of)
        return 0
    size = args.file.stat().st_size
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"replaying {shown(args.file.name)}",
                                 total=size)
        report = replay(args.file, args.db, settings, args.as_of,
                        on_progress=lambda done: progress.update(task, completed=done))
        progress.update(task, completed=size)
    if settings.pseudonym_key is None and any("client_hetu" in r for r in report.dead_letters):
        console.print(f"[yellow]Events with client_hetu were refused: set {config.KEY_VAR} to "
                      "take identity codes.[/yellow]")
    print_summary(report, str(args.db), Console(), settings.rules.handoffs)
    return 0
