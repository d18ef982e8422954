"""jatkumo import attendance|contracts FILE.csv: a register's spreadsheet export as events."""

import argparse
import contextlib
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from schemas.errors import UsageError
from schemas.hetu import mask_codes
from schemas.types import FIRST_DAY, LAST_DAY
from services import config
from services.commands.common import (
    Console,
    distinct_files,
    no_identity_code,
    readable_file,
    replaced_on_success,
    writable_file,
)
from services.csvsafe import csv_line, neutral
from services.importer.run import ImportReport, plan_import, write_events

SOURCE_MAX = 100  # SPEC.md 1.1: source is 1-100 characters
SHOWN = 20  # bad rows printed; the rest are counted (all of them with --errors FILE)


# The door's bounds of occurred_at (schemas.events.Envelope): a --recorded-at outside them made
# every row a bad row, and one near year 1 or 9999 a traceback when turned to UTC.
EARLIEST = datetime(FIRST_DAY.year, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_DAY.year + 1, 1, 1, tzinfo=UTC)


def _timestamp(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time with its zone; write e.g. 2024-12-31T16:00:00+02:00")
    if not EARLIEST <= at < LATEST:  # aware times compare without overflow
        raise argparse.ArgumentTypeError(
            f"{text!r} is outside the years {FIRST_DAY.year}-{LAST_DAY.year} that every event "
            "lies in; give when the export was taken, e.g. 2024-12-31T16:00:00+02:00")
    return at


def _check_source(source: str) -> None:
    """--source goes into every event: what the door would refuse in each row is refused once
    here (a name that is not UTF-8 had been a traceback, an identity code a bad row each)."""
    if not 1 <= len(source) <= SOURCE_MAX:
        raise UsageError(f"--source must be 1-{SOURCE_MAX} characters")
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:  # bytes of another encoding, as the shell passed them
        raise UsageError("--source is not UTF-8 text; name the system in UTF-8, e.g. "
                         "--source workshop:PAJA-OULU-1") from None
    no_identity_code("--source", source, "a source")


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "import", help="turn a register's CSV export (attendance, contracts) into events",
        description="Read a CSV export (';' or ',', UTF-8 or Windows-1252, dates 31.12.2024 or "
        "ISO) and write one event a line, each checked by the same door as replay. Event ids "
        "come from the rows, so importing the same file again adds nothing.")
    p.add_argument("kind", choices=("attendance", "contracts"), help="what the export holds")
    p.add_argument("file", type=readable_file, metavar="FILE.csv", help="the export")
    p.add_argument("--source", required=True, metavar="SYSTEM",
                   help="the source field of the events, e.g. workshop:PAJA-OULU-1")
    p.add_argument("--mapping", type=readable_file, metavar="MAP.toml",
                   help="which column holds which field (default: columns named as fields)")
    p.add_argument("--contract-map", type=readable_file, metavar="CONTRACTS.csv",
                   help="attendance: client's contract by day (client_id,contract_id,"
                   "start_date,end_date) when the export names no contract")
    p.add_argument("--recorded-at", type=_timestamp, metavar="TIME",
                   help="when the export was taken (ISO time with zone); it orders corrections")
    p.add_argument("--out", required=True, metavar="EVENTS.jsonl", help="file to write ('-': "
                   "standard output); an existing one is replaced only when the import "
                   "finishes")
    p.add_argument("--errors", metavar="FILE", help="write every bad row here, as CSV "
                   "(line;reason; '-': standard output)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    _check_source(args.source)
    if args.contract_map and args.kind != "attendance":
        raise UsageError("--contract-map is for attendance exports only")
    out_path = None if args.out == "-" else writable_file(args.out, "--out")
    # '-' is standard output for --errors as for --out (it had written a file named '-': a
    # hunt, 2026-12-06); not for both, whose lines would be mixed
    if args.out == "-" and args.errors == "-":
        raise UsageError("--out - and --errors - both name standard output; give one of them "
                         "a file, e.g. --errors bad-rows.csv")
    errors = None if args.errors in (None, "-") else writable_file(args.errors, "--errors")
    distinct_files({"the export": args.file, "--mapping": args.mapping,
                    "--contract-map": args.contract_map, "--out": out_path, "--errors": errors})
    settings = config.load(rules_too=False)
    # everything that can refuse the import is read and checked before a file is opened
    plan = plan_import(args.kind, args.file, source=args.source, mapping=args.mapping,
                       recorded_at=args.recorded_at, contracts=args.contract_map)
    # each of --out and --errors replaced only when the import has written it whole (a
    # reader of stdout that stops reading is answered by services.cli.main)
    with contextlib.ExitStack() as files:
        out = (sys.stdout.buffer if out_path is None
               else files.enter_context(replaced_on_success(out_path, "--out")))
        report = write_events(plan, out, settings.pseudonym_key)
        if errors is not None:
            _write_errors(files.enter_context(replaced_on_success(errors, "--errors")),
                          report)
        elif args.errors == "-":
            _write_errors(sys.stdout.buffer, report)
            sys.stdout.buffer.flush()
    _print_report(args.file, report)
    return 0


def _write_errors(f: BinaryIO, report: ImportReport) -> None:
    """The bad rows as CSV of `;` (Finnish Excel's separator), through services.csvsafe as
    every CSV jatkumo writes: a reason quotes the cell, which had reached the file as it was,
    `=HYPERLINK(...)` a cell of its own after a `;` of the quote (a hunt, 2026-12-06)."""
    # the reasons are masked where they are made; masked again here, before the quoting and
    # after it, so that this file stays free of codes whatever a later reason quotes
    f.writelines(mask_codes(csv_line([line, neutral(mask_codes(reason))], ";") + "\n"
                            ).encode("utf-8") for line, reason in report.bad)


def _print_report(export: Path, report: ImportReport) -> None:
    # plain lines, never wrapped: FILE:LINE: reason is what editors and grep understand. An
    # export may be named after its client (asiakas_050395-912K.csv): the name is masked too.
    for line, reason in report.bad[:SHOWN]:
        print(mask_codes(f"{export}:{line}: {reason}"), file=sys.stderr)
    if len(report.bad) > SHOWN:
        print(f"… and {len(report.bad) - SHOWN} more bad rows", file=sys.stderr)
    Console(stderr=True).print(
        f"{report.rows} rows ({report.encoding}, '{report.delimiter}'): "
        f"{report.events} events written, {len(report.bad)} bad rows", markup=False)
