"""jatkumo audit --db FILE: check a DuckDB file against the relation declarations (grain
unique, NOT NULL columns filled, declared columns and types); exit 1 on any finding."""

import argparse
from typing import Any

from analytics.audit import audit
from analytics.store import connect
from schemas.errors import JatkumoError
from schemas.hetu import mask_codes
from services.commands.common import existing_db
from services.commands.sql import check_db


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "audit", help="check a DuckDB file's relations against their declared grain",
        description="Check every relation of a jatkumo DuckDB file against its declaration "
        "(analytics/relations.py): the declared columns and types are there, the key (grain) "
        "is unique, NOT NULL columns hold no NULL, as_of has exactly one row. Exit status 0: "
        "all hold; 1: each finding is printed. Opens the file read-only.")
    p.add_argument("--db", required=True, type=existing_db, metavar="FILE.duckdb")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    # a file that is no DuckDB file: exit 2 and what to give, as `jatkumo sql` says it (it
    # was exit 1 in DuckDB's words: a review, 2026-12-07)
    check_db(args.db)
    con = connect(args.db, read_only=True)
    try:
        audited, findings = audit(con)
    finally:
        con.close()
    if findings:
        lines = "\n".join(f"  {f}" for f in findings)
        raise JatkumoError(
            f"{args.db} breaks its declared relations ({len(findings)} finding"
            f"{'s' if len(findings) != 1 else ''}):\n{lines}\nThe file was written by a "
            "different version, changed by hand, or a writer has a bug: rebuild it with "
            "'jatkumo replay', and report the finding if a fresh file shows it too.")
    print(f"jatkumo audit: {mask_codes(str(args.db))}: {len(audited)} relations hold their "
          f"declared grain ({', '.join(audited)})")
    return 0
