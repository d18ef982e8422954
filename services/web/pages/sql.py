"""SQL: an analyst's own read-only questions over the relations, in a process of their own
(services/web/sqlproc.py) with a row limit, a time limit (the process is killed), a memory
limit and a per-user cap; CSV export neutralised against formula injection; every query in
the access log with ids and codes hidden."""

import re
from importlib import resources
from typing import Any

from aiohttp import web

from analytics.relations import TABLES, VIEWS
from services.csvsafe import csv_text
from services.web.app import ctx, needs, render, session
from services.web.logtext import hide_clients
from services.web.sqlguard import Refused
from services.web.sqlproc import Busy, QueryError, TimedOut
from services.web.webstore import ACCESS_LOG_DOC

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


def relation_docs() -> list[tuple[str, str]]:
    """Each relation with its header comment (what it holds and its grain)."""
    docs = []
    for kind, names in (("tables", TABLES), ("views", VIEWS)):
        for name in names:
            if name == "gap_rows":
                continue  # continuity_gaps is the view to read
            text = resources.files("analytics").joinpath("sql", kind, f"{name}.sql").read_text(
                encoding="utf-8")
            docs += _headers(text)
    docs.append(("access_log", ACCESS_LOG_DOC))
    return docs


async def redacted(request: web.Request, sql: str) -> str:
    """The query as logged: client ids and pseudonyms become references, identity codes are
    masked (services/web/logtext.py)."""
    return await hide_clients(ctx(request).refs, sql)


@needs("sql")
async def sql_form(request: web.Request) -> web.StreamResponse:
    return render(request, "sql.html", page="sql", query=EXAMPLE, docs=relation_docs())


@needs("sql")
async def sql_run(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    form = await request.post()
    text, as_csv = str(form.get("query", "")), form.get("format") == "csv"
    logged = await redacted(request, text)
    values: dict[str, Any] = {"page": "sql", "query": text, "docs": relation_docs()}
    limit = None if as_csv else c.settings.sql_row_limit
    try:
        got = await c.analyst_sql().run(s.user, text, limit,
                                        lambda: c.store.arrow("SELECT * FROM access_log"))
    except Refused as e:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="refused")
        return render(request, "sql.html", status=400, refused=str(e), **values)
    except Busy as e:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="busy")
        response = render(request, "sql.html", status=429, error=str(e), **values)
        response.headers["Retry-After"] = str(e.retry_after)
        return response
    except TimedOut:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="timeout")
        return render(request, "sql.html", status=400, error=(
            f"stopped after {c.settings.sql_timeout_seconds:g} s: narrow the query"), **values)
    except QueryError as e:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="error")
        return render(request, "sql.html", status=400, error=str(e), **values)
    c.store.log(s.user, s.role, "export" if as_csv else "query", "sql", logged,
                row_count=len(got.rows))
    if as_csv:
        return web.Response(text=csv_text(got.names, got.rows), content_type="text/csv",
                            charset="utf-8",
                            headers={"Content-Disposition": 'attachment; filename="query.csv"'})
    return render(request, "sql.html", names=got.names, rows=got.rows, cut=got.cut,
                  limit=c.settings.sql_row_limit, **values)


def setup(app: web.Application) -> None:
    app.router.add_get("/sql", sql_form)
    app.router.add_post("/sql", sql_run)
