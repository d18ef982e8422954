"""SQL: an analyst's own read-only questions over the relations, with a row limit, a time
limit (the query is interrupted), CSV export, and every query in the access log."""

import asyncio
import contextlib
import csv
import io
import re
import threading
from importlib import resources
from typing import Any

import duckdb
from aiohttp import web

from analytics.relations import TABLES, VIEWS
from services.web.app import ctx, needs, render, session
from services.web.sqlguard import Refused, check, literals
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


def run_query(request: web.Request, sql: str, limit: int | None
              ) -> tuple[list[str], list[tuple[Any, ...]], bool]:
    c = ctx(request)
    con = c.reader.connect()
    # The dashboard's access log joins the relations as a snapshot (the web file is not
    # attached: that would open it a second time).
    con.register("access_log", c.store.arrow("SELECT * FROM access_log"))
    timer = threading.Timer(c.settings.sql_timeout_seconds, con.interrupt)
    timer.start()
    # A third lock for live mode, where the connection may be a cursor of the sink's writer:
    # whatever the statement did is rolled back.
    con.begin()
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description or []]
        rows = cur.fetchmany(limit + 1) if limit else cur.fetchall()
    finally:
        timer.cancel()
        with contextlib.suppress(duckdb.Error):
            con.rollback()
        con.close()
    cut = bool(limit) and len(rows) > (limit or 0)
    return names, rows[:limit] if limit else rows, cut


async def redacted(request: web.Request, sql: str) -> str:
    """The query as logged: a client id typed as a literal becomes its reference."""
    found = set(literals(sql))
    known = await ctx(request).refs.known_ids(sorted(found))
    for lit in found:
        if lit in known:
            sql = sql.replace(f"'{lit}'", f"'ref:{known[lit]}'")
    return sql


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
    try:
        statement = check(text)
        limit = None if as_csv else c.settings.sql_row_limit
        names, rows, cut = await asyncio.to_thread(run_query, request, statement, limit)
    except Refused as e:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="refused")
        return render(request, "sql.html", status=400, refused=str(e), **values)
    except duckdb.InterruptException:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="timeout")
        return render(request, "sql.html", status=400, error=(
            f"stopped after {c.settings.sql_timeout_seconds:g} s: narrow the query"), **values)
    except duckdb.Error as e:
        c.store.log(s.user, s.role, "query", "sql", logged, outcome="error")
        message = re.sub(r"\s+", " ", str(e))[:400]
        return render(request, "sql.html", status=400, error=message, **values)
    c.store.log(s.user, s.role, "export" if as_csv else "query", "sql", logged,
                row_count=len(rows))
    if as_csv:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(names)
        w.writerows([["" if v is None else v for v in r] for r in rows])
        return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": 'attachment; filename="query.csv"'})
    return render(request, "sql.html", names=names, rows=rows, cut=cut,
                  limit=c.settings.sql_row_limit, **values)


def setup(app: web.Application) -> None:
    app.router.add_get("/sql", sql_form)
    app.router.add_post("/sql", sql_run)
