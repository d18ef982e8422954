"""jatkumo sql "SELECT …" --db FILE [--csv]: ask the relations a question, read-only.

The dashboard's SQL page takes the power away rather than filtering for it (GUIDE.md, "Trust by
design"; services/web/sqlproc.py), and so does this command, with the same pieces: the file is
opened read-only with external access off (no file, URL, ATTACH, COPY TO, extension), a
memory limit (JATKUMO_SQL_MEMORY_LIMIT, as the page's) and a temporary folder of its own, and
its configuration locked; DuckDB's own parser decides that the query is one statement that
reads (sqlproc.one_statement: a SELECT, or an EXPLAIN of one). A hunt (2026-12-06) found
`jatkumo sql` writing files with COPY, reading them with read_text, running every statement
of "SELECT 1; SELECT 2", and EXPLAIN ANALYZE running what it explained.

The answer is read a chunk at a time and written as it comes (`SELECT * FROM range(100000000)`
took the process to 23 GB when it was read whole): the CSV holds every row, the table at most
TABLE_ROWS of them."""

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
from rich.table import Table
from rich.text import Text

from schemas.errors import JatkumoError, StoreError, UsageError
from schemas.types import readable
from services import config
from services.commands.common import Console, existing_db
from services.csvsafe import write_csv
from services.replay_files import duckdb_header
from services.shown import masked_names, masked_rows, said
from services.web.sqlguard import Refused
from services.web.sqlproc import BATCH_ROWS, QueryError, holds_time, one_statement, short

# A table is for reading: at most this many rows of an answer are shown as one (rich lays a
# table out from all its rows at once); --csv writes every row, a chunk at a time.
TABLE_ROWS = 10_000
CHUNK_ROWS = BATCH_ROWS
MEMORY_VARIABLE = "JATKUMO_SQL_MEMORY_LIMIT"
# A column whose type holds a date, a timestamp or a time (a list or struct of them too) is
# turned into text by DuckDB: Python has no date for DuckDB's infinity (it gave 9999-12-31,
# which is wrong) nor for a year past 9999 or before 1, nor a time for 24:00.
_EXAMPLE = 'e.g. jatkumo sql "SELECT * FROM continuity_gaps" --db gaps.duckdb'


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "sql", help="run a read-only SQL query over the relations",
        description="Run one SQL query that reads (SELECT, WITH, FROM, VALUES, TABLE, SHOW, "
        "DESCRIBE, SUMMARIZE, or EXPLAIN of one) against a jatkumo DuckDB file opened "
        "read-only, with no access to other files, URLs or extensions, and print the answer "
        f"as a table (at most {TABLE_ROWS:,} rows), or as CSV with --csv (every row, written "
        f"as it is read). DuckDB's memory limit is {MEMORY_VARIABLE} (default "
        f"{config.WebSettings.sql_memory_limit}, as for the dashboard's SQL page). Relations: "
        "as_of, events, dead_letters, contracts, continuity_gaps, handoff_status, "
        "compliance_violations, data_issues, clients, referrals, municipalities, "
        "gaps_by_place.")
    p.add_argument("query", metavar="QUERY", help='e.g. "SELECT * FROM continuity_gaps"')
    p.add_argument("--db", required=True, type=existing_db, metavar="FILE.duckdb")
    p.add_argument("--csv", action="store_true", help="print CSV (with a header) to stdout")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    statement = reading_statement(args.query)
    memory = memory_limit()
    check_db(args.db)
    with tempfile.TemporaryDirectory(prefix="jatkumo-sql-") as tmp:
        con = sandboxed(args.db, memory, tmp)
        try:
            names, rows = answer(con, statement, memory)
            return _print_csv(names, rows) if args.csv else _print_table(names, rows)
        finally:
            con.close()


def reading_statement(query: str) -> str:
    """The one statement that reads in `query`, as DuckDB's parser and the SQL page's gate see
    it (services/web/sqlproc.one_statement); else a UsageError saying what to do."""
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:  # bytes of the command line that are not UTF-8 (surrogateescape)
        raise UsageError("the query is not UTF-8 text (a byte of it is no character); write "
                         f"it again in UTF-8, {_EXAMPLE}") from None
    try:
        return one_statement(query)
    except Refused as e:
        if str(e).startswith("the query is empty"):
            raise UsageError(f"the query is empty; give one SELECT …, {_EXAMPLE}") from None
        raise UsageError(
            f"{e}. jatkumo sql runs one query that reads the relations (SELECT, WITH, FROM, "
            "SHOW, DESCRIBE, SUMMARIZE, EXPLAIN SELECT): it writes no file and changes no "
            "setting; save an answer with --csv > FILE.csv") from None
    except QueryError as e:  # DuckDB's parser refused it: the message points at where
        raise JatkumoError(f"{e}. Check the query; list relations with \"SHOW TABLES\"."
                           ) from None


def memory_limit() -> str:
    """DuckDB's memory limit: the SQL page's (JATKUMO_SQL_MEMORY_LIMIT, checked as the page
    checks it: a ConfigError, exit 2, says what it must be)."""
    return config.sql_memory(os.environ, MEMORY_VARIABLE, config.WebSettings.sql_memory_limit)


def check_db(db: Path) -> None:
    """A file DuckDB reads as a database: an events file given as --db failed in DuckDB's words
    ("Cannot launch in-memory database in read-only mode!"), which say nothing of what to do."""
    try:
        with open(db, "rb"):
            pass
    except OSError as e:
        raise UsageError(f"--db {said(db)}: cannot read it ({e.strerror}); give a DuckDB file "
                         "you may read") from None
    if not duckdb_header(db):
        raise UsageError(f"--db {said(db)} is not a DuckDB file (an events file is what "
                         "'jatkumo replay' reads, not its --db); give the file 'jatkumo replay "
                         "EVENTS --db FILE.duckdb' wrote")


def sandboxed(db: Path, memory: str, tmp: str) -> duckdb.DuckDBPyConnection:
    """`db` opened as the SQL page's process opens it (services/web/sqlproc._open): read-only,
    external access off, extensions neither loaded nor installed, a memory limit and a
    temporary folder of its own, and the configuration locked, so no statement undoes it.
    Not the page's one thread and 1GB of spill: a person's own query on their own machine may
    use its cores, and sort or group more than fits in memory."""
    try:
        con = duckdb.connect(str(db), read_only=True, config={
            "enable_external_access": False, "memory_limit": memory,
            "temp_directory": tmp, "autoload_known_extensions": False,
            "autoinstall_known_extensions": False, "allow_community_extensions": False})
    except duckdb.Error as e:
        raise StoreError(f"cannot open the DuckDB file {said(db)}: {e}. Check the path, and that "
                         "no other jatkumo process (replay, sink) is writing it; a file cut "
                         "short or damaged is made again with 'jatkumo replay EVENTS --db "
                         "FILE.duckdb'.") from None
    try:
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def answer(con: duckdb.DuckDBPyConnection, statement: str, memory: str
           ) -> tuple[list[str], Iterator[tuple[object, ...]]]:
    """The answer's column names (masked), and its rows as they are read, a chunk at a time,
    masked (an answer echoes what its query typed: SPEC.md 1.2)."""
    run, names = _with_dates_as_text(con, statement)
    try:
        cur = con.execute(run)
    except duckdb.Error as e:
        raise _failed(e, memory) from None
    if names is None:
        names = [d[0] for d in cur.description or []]
    return masked_names(names), _rows(cur, memory)


def _rows(cur: duckdb.DuckDBPyConnection, memory: str) -> Iterator[tuple[object, ...]]:
    while True:
        try:
            chunk = cur.fetchmany(CHUNK_ROWS)
        except duckdb.Error as e:
            raise _failed(e, memory) from None
        except (ValueError, OverflowError) as e:  # a value Python has no form for
            raise JatkumoError(f"a value of the answer cannot be shown ({e}); cast its column "
                               "to text (column::VARCHAR)") from None
        if not chunk:
            return
        yield from masked_rows(chunk)


def _with_dates_as_text(con: duckdb.DuckDBPyConnection, statement: str
                        ) -> tuple[str, list[str] | None]:
    """The statement to run, and its column names when it is not the statement itself: each
    column holding a date or a timestamp as DuckDB's text of it ('infinity', a year 294000),
    the others as they are. When DuckDB cannot describe the statement (an error, which the
    statement's own run then reports) it runs as it is."""
    if duckdb.extract_statements(statement)[0].type.name != "SELECT":
        return statement, None  # an EXPLAIN: text
    body = _body(statement)
    try:  # the answer's Arrow types (none of its rows), as the SQL page tells them apart
        # (a name or an enum label 'date' inside a type's text is no date: a review)
        relation = con.sql(one_statement(body))
        schema = relation.limit(0).to_arrow_table().schema
        names = list(relation.columns)  # as written: Arrow renames a second `x` to `x_1`
    except (Refused, QueryError, duckdb.Error):
        return statement, None
    timed = [holds_time(field.type) for field in schema]
    if not any(timed):
        return statement, None
    columns = ", ".join(f"CAST(#{i} AS VARCHAR)" if t else f"#{i}"
                        for i, t in enumerate(timed, 1))
    wrapped = f"SELECT {columns} FROM (\n{body}\n)"
    try:
        return one_statement(wrapped), names
    except (Refused, QueryError):  # not one statement that reads: not run
        return statement, None


def _body(statement: str) -> str:
    """The statement without the semicolons and comments after it (DuckDB's statement text
    keeps them), so that it can stand in parentheses."""
    tokens = duckdb.tokenize(statement)
    end = len(statement)
    for k in range(len(tokens) - 1, -1, -1):
        start, kind = tokens[k]
        following = tokens[k + 1][0] if k + 1 < len(tokens) else len(statement)
        if kind == duckdb.token_type.comment or (
                kind == duckdb.token_type.operator
                and statement[start:following].strip() == ";"):
            end = start
            continue
        break
    return statement[:end]


def _failed(e: duckdb.Error, memory: str) -> JatkumoError:
    if isinstance(e, duckdb.PermissionException):
        # external access is off: a file, a URL, an extension's folder
        return UsageError(f"{short(e)}. jatkumo sql reads only the relations in --db, no other "
                          "file, URL or extension: query those (list them with \"SHOW TABLES\")")
    if isinstance(e, duckdb.OutOfMemoryException):
        first = str(e).strip().splitlines()[0] if str(e).strip() else "out of memory"
        return JatkumoError(f"{first}. The query needs more memory than {MEMORY_VARIABLE} "
                            f"({memory}) gives DuckDB: narrow it (WHERE, fewer columns, "
                            f"LIMIT) or raise {MEMORY_VARIABLE}, e.g. {MEMORY_VARIABLE}=2GB")
    return JatkumoError(f"{e}. Check the query; list relations with \"SHOW TABLES\".")


def _print_csv(names: list[str], rows: Iterator[tuple[object, ...]]) -> int:
    if sys.stdout.isatty():
        # read on a terminal, which would run a sender's escape sequence (a title, a
        # cleared screen, a link): controls shown as escapes there, as in the table below;
        # to a file or a pipe the values go as they are
        names = [readable(n) for n in names]
        rows = (tuple(readable(v) if isinstance(v, str) else v for v in row) for row in rows)
    write_csv(sys.stdout, names, rows)  # formulas neutralised (services/csvsafe.py)
    return 0


def _print_table(names: list[str], rows: Iterator[tuple[object, ...]]) -> int:
    shown = list(islice(rows, TABLE_ROWS + 1))
    cut = len(shown) > TABLE_ROWS
    # every name and value as plain text: a dead letter's raw line or reason is whatever a
    # sender wrote, and rich read "[/x]" in one as markup (a crash) and "[link=...]" as a
    # link; control characters (an escape sequence) are shown as escapes, not sent on
    table = Table(show_lines=False)
    for n in names:
        table.add_column(Text(readable(n)))
    for row in shown[:TABLE_ROWS]:
        table.add_row(*(Text("NULL" if v is None else readable(str(v))) for v in row))
    Console().print(table)
    if cut:
        Console(stderr=True).print(
            f"the first {TABLE_ROWS:,} rows; the answer has more: add --csv for every row "
            "(--csv > answer.csv), or narrow the query (WHERE, LIMIT)", markup=False,
            soft_wrap=True)
    else:
        Console(stderr=True).print(f"{len(shown):,} rows")
    return 0
