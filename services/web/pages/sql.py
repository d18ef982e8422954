"""SQL: an analyst's own read-only questions over the relations, in a process of their own
(services/web/sqlproc.py) with a row limit, a time limit (the process is killed), a memory
limit and a per-user cap; CSV export neutralised against formula injection; every query in
the access log with ids and codes hidden."""

import asyncio
import re
from typing import Any

from aiohttp import web

from analytics.relations import BY_NAME, TABLES, VIEWS, view_sql
from services.shown import masked_names, shown_rows
from services.web import export
from services.web.app import ctx, lang_of, needs, posted, redacted, render, session
from services.web.auth import PERMISSIONS
from services.web.pages import access
from services.web.sqlguard import Refused
from services.web.sqlproc import OUT_OF_MEMORY, Busy, QueryError, SqlRunner, TimedOut
from services.web.webstore import ACCESS_LOG_DOC

# A refusal's reason (services/web/sqlguard.py, also raised in the query's own process, so it
# arrives as text) in the reader's language: the catalogue key of the first pattern it matches.
REASONS = (("the query is empty", "refuse_empty"), ("one statement at a time", "refuse_many"),
           ("only read-only queries", "refuse_first"), ("is not allowed", "refuse_word"),
           ("reads files or runs other SQL", "refuse_files"),
           ("file paths and URLs", "refuse_paths"), ("a quote is never closed", "refuse_quote"),
           ("dollar-quoted", "refuse_dollar"), ("a comment /* is never closed", "refuse_comment"))


def reason(message: str) -> tuple[str, str | None]:
    """(catalogue key, the part of the query it names, if any) of a refusal."""
    key = next((k for text, k in REASONS if text in message), "refuse_other")
    named = re.search(r"not '([^']*)'|^(\w+)(?: is not allowed|\(\) reads)", message)
    detail = next((g for g in named.groups() if g), None) if named else None
    return key, detail if key != "refuse_other" else message


def failure(message: str) -> dict[str, str | None]:
    """A failed query in words: our own two limits by name (the exit status kept), else a
    translated lead with DuckDB's own message after it, as it is (as code)."""
    if message.startswith("the query stopped without an answer"):
        code = re.search(r"exit -?\d+", message)
        return {"error": "sql_killed", "detail": code.group(0) if code else None}
    if message.startswith("the answer is over"):
        return {"error": "sql_too_big", "detail": None}
    if message == OUT_OF_MEMORY:
        return {"error": "sql_memory", "detail": None}
    return {"error": "sql_failed", "detail": message}


EXAMPLE = ("SELECT gap_type, count(*) AS gaps\nFROM continuity_gaps\nWHERE is_open\n"
           "GROUP BY gap_type\nORDER BY gaps DESC")


def _headers(text: str) -> list[tuple[str, str]]:
    """(name, header comment) of each relation a file creates (a dash_* file also creates the
    count view beneath it); comments inside a statement are not part of its header."""
    out, head = [], []
    for line in text.splitlines():
        if line.startswith("--"):
            head.append(line[2:].strip())
        elif m := re.match(r"CREATE (?:TABLE|VIEW) (\w+)", line):
            out.append((m.group(1), " ".join(head)))
            head = []
        elif line.strip():
            head = []
    return out


def relation_names() -> list[str]:
    """The relations the page describes, each in the catalogue's words (`rel_NAME`)."""
    return [name for name, _ in relation_docs()]


def relation_docs() -> list[tuple[str, str]]:
    """Each relation with its header comment (what it holds and its grain)."""
    docs = []
    for name in TABLES:  # their DDL is derived from analytics/relations.py
        if name != "gap_rows":  # continuity_gaps is the view to read
            docs += _headers(BY_NAME[name].ddl())
    for name in VIEWS:
        docs += _headers(view_sql(name))
    docs.append(("access_log", ACCESS_LOG_DOC))
    return docs


@needs("sql")
async def sql_form(request: web.Request) -> web.StreamResponse:
    return render(request, "sql.html", page="sql", query=EXAMPLE, docs=relation_names())


@needs("sql")
async def sql_run(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    form = await posted(request)
    text, fmt = str(form.get("query", "")), str(form.get("format", "table"))
    logged = await redacted(request, text)
    values: dict[str, Any] = {"page": "sql", "query": text, "docs": relation_names()}
    runner = c.analyst_sql()
    try:
        # the user's query is theirs until its answer has gone, a download's making included
        # (made after the query's process had answered, three downloads of one analyst ran
        # at once: a hunt, 2026-12-06)
        with runner.turn(s.user):
            return await answer(request, runner, text, fmt, logged, values)
    except Busy as e:
        return busy(request, logged, values, e)


def busy(request: web.Request, logged: str, values: dict[str, Any], e: Busy
         ) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    c.store.log(s.user, s.role, "query", "sql", logged, outcome="busy")
    response = render(request, "sql.html", status=429, error="sql_busy", **values)
    response.headers["Retry-After"] = str(e.retry_after)
    return response


async def answer(request: web.Request, runner: SqlRunner, text: str, fmt: str, logged: str,
                 values: dict[str, Any]) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    as_csv = fmt in export.FORMATS  # a download: the people's CSV, plain CSV or XLSX
    limit = None if as_csv else c.settings.sql_row_limit
    try:
        # The access log is the admins' (README): an admin reads in SQL the lines the
        # access log page shows them (all, or those of the users within their scope:
        # services/web/pages/access.py); anyone else their own lines only, whatever their
        # scope (a whole-area analyst read every user's lines: a hunt, 2026-12-06).
        own: str
        params: list[Any]
        if "access_log" not in PERMISSIONS[s.role]:
            own, params = "user_name = ?", [s.user]
        elif s.scope.whole:
            own, params = "TRUE", []
        else:
            own, params = await access.within(request, s.scope)
        got = await runner.run(
            s.user, text, limit,
            lambda: c.store.arrow(f"SELECT {access.COLUMNS} FROM access_log WHERE {own}",
                                  params), s.scope, turn_held=True)
    except Refused as e:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="refused")
        key, detail = reason(str(e))
        return render(request, "sql.html", status=400, refused=key, refused_detail=detail,
                      **values)
    except Busy as e:
        return busy(request, logged, values, e)
    except TimedOut:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="timeout")
        return render(request, "sql.html", status=400, error="sql_timeout",
                      seconds=c.settings.sql_timeout_seconds, **values)
    except QueryError as e:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="error")
        return render(request, "sql.html", status=400, **failure(str(e)), **values)
    # The answer's values are masked in a thread, within the query's time limit: masking a
    # long text takes seconds, and on the event loop every user's pages waited for it (a
    # review, 2026-12-07: 25 s for one analyst's 320 KB blob). The limit counts from the
    # query's start, not its answer: a query near its limit and then a long masking took
    # twice the limit of the server's time.
    deadline = got.began + c.settings.sql_timeout_seconds
    try:
        if as_csv:  # the analyst's own column names head every form, their values as they are
            names = masked_names(got.names)
            data = await asyncio.to_thread(export.masked_columns, got.data, names, deadline)
        else:
            # (got.rows turns the Arrow answer into Python values: in the thread too)
            rows = await asyncio.to_thread(lambda: shown_rows(got.rows, deadline))
    except TimeoutError:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="timeout")
        return render(request, "sql.html", status=400, error="sql_timeout",
                      seconds=c.settings.sql_timeout_seconds, **values)
    c.store.log(s.user, s.role, "export" if as_csv else "query", "sql", logged,
                row_count=got.data.num_rows)
    if as_csv:
        table = export.Table(names, names, (), data=data, verbatim=frozenset(names))
        return await export.response(table, fmt, lang_of(request), "query", "SQL")
    return render(request, "sql.html", names=got.names, rows=rows, cut=got.cut,
                  limit=c.settings.sql_row_limit, **values)


def setup(app: web.Application) -> None:
    app.router.add_get("/sql", sql_form)
    app.router.add_post("/sql", sql_run)
