"""jatkumo publish FILE [--bootstrap HOST:PORT]: events from a JSONL file onto jatkumo.events."""

import argparse
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from services import config
from services.commands.common import (
    Console,
    add_bootstrap,
    kafka_settings,
    process_count,
    readable_file,
)
from services.kafka_broker import ensure_topics
from services.publish import publish
from services.shown import shown
from streams import topics


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "publish", help="publish a JSONL event file to Kafka",
        description="Validate each line (identity codes are pseudonymised here, before anything "
        "is sent), publish valid events to jatkumo.events keyed by client, and lines that fail "
        "validation to jatkumo.dead-letters with the reason in a header.")
    p.add_argument("file", type=readable_file, metavar="FILE.jsonl")
    add_bootstrap(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--processes", type=process_count, default=1, metavar="N",
                   help="publish with N processes, each the clients of its share of the "
                   "partitions (default 1; up to the number of cores, and of partitions)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    settings, kafka = config.load(rules_too=False), kafka_settings(args)
    found = ensure_topics(kafka.bootstrap, kafka.partitions, kafka.replication)
    console = Console(stderr=True)
    processes = max(1, min(args.processes, len(found.get(topics.EVENTS, ())) or 1))
    if processes < args.processes:  # each process takes whole partitions: the rest had none
        console.print(f"publishing with {processes} processes, one per partition of "
                      f"{topics.EVENTS} (--processes {args.processes} asked for more)")
    size = args.file.stat().st_size
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=console, transient=True,
                  disable=args.quiet) as progress:
        task = progress.add_task(f"publishing {shown(args.file.name)}",
                                 total=size)
        report = publish(args.file, settings, kafka,
                         on_progress=lambda done: progress.update(task, completed=done),
                         processes=processes)
    console.print(f"published {report.events:,} events and {report.dead_letters:,} dead letters "
                  f"from {report.lines:,} lines to {kafka.bootstrap}")
    return 0
