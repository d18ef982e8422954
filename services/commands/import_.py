"""jatkumo import attendance|contracts FILE.csv: a register's spreadsheet export as events."""

import argparse
import sys
from datetime import datetime
from typing import Any

from rich.console import Console

from schemas.errors import UsageError
from schemas.hetu import mask_codes
from services import config
from services.commands.common import distinct_files, readable_file, writable_file
from services.importer.run import import_file

SOURCE_MAX = 100  # SPEC.md 1.1: source is 1-100 characters
SHOWN = 20  # bad rows printed; the rest are counted (all of them with --errors FILE)


def _timestamp(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time with its zone; write e.g. 2024-12-31T16:00:00+02:00")
    return at


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
                   "standard output)")
    p.add_argument("--errors", metavar="FILE", help="write every bad row here (line;reason)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    if not 1 <= len(args.source) <= SOURCE_MAX:
        raise UsageError(f"--source must be 1-{SOURCE_MAX} characters")
    if args.contract_map and args.kind != "attendance":
        raise UsageError("--contract-map is for attendance exports only")
    out_path = None if args.out == "-" else writable_file(args.out, "--out")
    errors = writable_file(args.errors, "--errors")
    distinct_files({"the export": args.file, "--mapping": args.mapping,
                    "--contract-map": args.contract_map, "--out": out_path, "--errors": errors})
    settings = config.load(rules_too=False)
    out = sys.stdout.buffer if out_path is None else open(out_path, "wb")  # noqa: SIM115
    try:
        report = import_file(args.kind, args.file, source=args.source,
                             key=settings.pseudonym_key, out=out, mapping=args.mapping,
                             recorded_at=args.recorded_at, contracts=args.contract_map)
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    # plain lines, never wrapped: FILE:LINE: reason is what editors and grep understand. An
    # export may be named after its client (asiakas_050395-912K.csv): the name is masked too.
    for line, reason in report.bad[:SHOWN]:
        print(mask_codes(f"{args.file}:{line}: {reason}"), file=sys.stderr)
    if len(report.bad) > SHOWN:
        print(f"… and {len(report.bad) - SHOWN} more bad rows", file=sys.stderr)
    console = Console(stderr=True)
    if errors is not None:
        with open(errors, "w", encoding="utf-8") as f:
            # the reasons are masked where they are made; masked again here so that this file
            # stays free of codes whatever a later reason quotes
            f.writelines(mask_codes(f"{line};{reason}\n") for line, reason in report.bad)
    console.print(f"{report.rows} rows ({report.encoding}, '{report.delimiter}'): "
                  f"{report.events} events written, {len(report.bad)} bad rows", markup=False)
    return 0
