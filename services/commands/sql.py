"""jatkumo sql "SELECT …" --db FILE [--csv]: ask the relations a question, read-only."""

import argparse
import sys
from typing import Any

import duckdb
from rich.table import Table
from rich.text import Text

from analytics.store import connect
from schemas.errors import JatkumoError
from schemas.types import readable
from services.commands.common import Console, existing_db
from services.csvsafe import write_csv
from services.shown import masked_names, masked_rows


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "sql", help="run a read-only SQL query over the relations",
        description="Run one SQL query against a jatkumo DuckDB file opened read-only and print "
        "the answer as a table, or as CSV with --csv. Relations: as_of, events, dead_letters, "
        "contracts, continuity_gaps, handoff_status, compliance_violations, data_issues, "
        "clients, referrals, municipalities, gaps_by_place.")
    p.add_argument("query", metavar="QUERY", help='e.g. "SELECT * FROM continuity_gaps"')
    p.add_argument("--db", required=True, type=existing_db, metavar="FILE.duckdb")
    p.add_argument("--csv", action="store_true", help="print CSV (with a header) to stdout")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    con = connect(args.db, read_only=True)
    try:
        cur = con.execute(args.query)
        names = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    except duckdb.Error as e:
        raise JatkumoError(f"{e}. Check the query; list relations with \"SHOW TABLES\"."
                           ) from None
    finally:
        con.close()
    # an answer echoes what its query typed (a literal, an alias): codes masked, as on the
    # SQL page (the relations hold none, SPEC.md 1.2)
    names, rows = masked_names(names), masked_rows(rows)
    if args.csv:
        if sys.stdout.isatty():
            # read on a terminal, which would run a sender's escape sequence (a title, a
            # cleared screen, a link): controls shown as escapes there, as in the table below;
            # to a file or a pipe the values go as they are
            names = [readable(n) for n in names]
            rows = [tuple(readable(v) if isinstance(v, str) else v for v in row)
                    for row in rows]
        write_csv(sys.stdout, names, rows)  # formulas neutralised (services/csvsafe.py)
        return 0
    # every name and value as plain text: a dead letter's raw line or reason is whatever a
    # sender wrote, and rich read "[/x]" in one as markup (a crash) and "[link=...]" as a
    # link; control characters (an escape sequence) are shown as escapes, not sent on
    table = Table(show_lines=False)
    for n in names:
        table.add_column(Text(readable(n)))
    for row in rows:
        table.add_row(*(Text("NULL" if v is None else readable(str(v))) for v in row))
    Console().print(table)
    Console(stderr=True).print(f"{len(rows):,} rows")
    return 0
