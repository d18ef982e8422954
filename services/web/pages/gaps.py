"""Gaps: filter, sort and export. Managers get the open-gap cells of the published cube
(counted, suppressed once with everything else they can reach: services/web/published.py; no
clients); analysts and admins get one row per gap with an opaque client reference. Filters
travel in the query string: they never hold a client id."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from operator import itemgetter
from typing import Any
from urllib.parse import urlencode

import pyarrow as pa
from aiohttp import web

from schemas.hetu import mask_typed
from services.web import export, focus, formats, published
from services.web.app import ctx, lang_of, logged_query, needs, render, session
from services.web.auth import PERMISSIONS
from services.web.i18n import translate
from services.web.published import Cube

LIMIT = 500
GAP_TYPES = ("HANDOFF_MISSING", "SERVICE_BREAK", "NO_RESPONSIBLE_WORKER", "ATTENDANCE_SILENCE",
             "REFERRAL_STALLED")
SUMMARY_COLS = ("gap_type", "internal_area", "municipality", "municipality_name", "service",
                "gaps")
ROW_COLS = ("client_ref", "gap_type", "internal_area", "municipality", "municipality_name",
            "service", "producer_kind", "producer_id", "subject_id", "started_on", "ended_on",
            "length_days", "is_open")


@dataclass(frozen=True)
class Filters:
    gap_type: str = ""
    area: str = ""
    municipality: str = ""
    producer: str = ""
    status: str = ""
    start: date | None = None
    end: date | None = None
    sort: str = ""
    desc: bool = True

    @classmethod
    def of(cls, q: Any) -> "Filters":
        def day(key: str) -> date | None:
            try:
                return date.fromisoformat(q.get(key, ""))
            except ValueError:
                return None
        return cls(q.get("gap_type", ""), q.get("area", ""), q.get("municipality", ""),
                   q.get("producer", ""), q.get("status", ""), day("from"), day("to"),
                   q.get("sort", ""), q.get("dir", "desc") != "asc")

    def query(self) -> str:
        """The filters as the page's download links carry them: from the values read, not
        the request's text, which was copied whole (any parameter, an identity code in one,
        percent-encoded or not: attack, 2026-12-05). A filter that holds a code matches no
        row: masked, it still matches none, so the download is the page's (none)."""
        pairs = [("gap_type", self.gap_type), ("area", self.area),
                 ("municipality", self.municipality), ("producer", self.producer),
                 ("status", self.status),
                 ("from", self.start.isoformat() if self.start else ""),
                 ("to", self.end.isoformat() if self.end else ""), ("sort", self.sort),
                 ("dir", "" if self.desc else "asc")]
        return urlencode([(k, mask_typed(v)) for k, v in pairs if v])

    def where(self, date_col: str) -> tuple[str, list[Any]]:
        parts: list[str] = ["TRUE"]
        params: list[Any] = []
        for col, value in (("gap_type", self.gap_type), ("internal_area", self.area),
                           ("municipality", self.municipality),
                           ("producer_kind", self.producer)):
            if value:
                parts.append(f"{col} = ?")
                params.append(value)
        if self.status in ("open", "closed"):
            parts.append("is_open" if self.status == "open" else "NOT is_open")
        if self.start:
            parts.append(f"{date_col} >= ?")
            params.append(self.start)
        if self.end:
            parts.append(f"{date_col} <= ?")
            params.append(self.end)
        return " AND ".join(parts), params


def _order(f: Filters, cols: tuple[str, ...], default: str) -> str:
    col = f.sort if f.sort in cols and f.sort != "client_ref" else default
    return f"{col} {'DESC' if f.desc else 'ASC'} NULLS LAST"


def query(f: Filters, limit: int | None) -> tuple[tuple[str, ...], str, list[Any]]:
    lim = f" LIMIT {int(limit)}" if limit else ""
    where, params = f.where("started_on")
    return ROW_COLS, (
        f"SELECT client_id, {', '.join(ROW_COLS[1:])} FROM gaps_by_place WHERE {where} "
        f"ORDER BY {_order(f, ROW_COLS, 'started_on')}, client_id{lim}"), params


# The places and producer kinds that have gaps, for an analyst's filters.
CHOICES = ("SELECT DISTINCT internal_area, municipality, municipality_name, producer_kind "
           "FROM gaps_by_place")


def counted(cube: Cube, f: Filters, limit: int | None) -> list[dict[str, Any]]:
    """A manager's rows: the published open-gap cells matching the filters, sorted."""
    rows = cube.gap_rows(f.gap_type, f.area, f.municipality)
    if f.sort in SUMMARY_COLS:
        def key(r: dict[str, Any]) -> tuple[Any, ...]:
            v = r[f.sort]
            if f.sort == "gaps":  # suppressed text: '<5' and '..' sort as unknown, low
                return (int(v) if v.isdigit() else 1,)
            return (str(v),)
        rows.sort(key=key, reverse=f.desc)
    return rows[:limit] if limit else rows


def manager_choices(cube: Cube, lang: str = "fi") -> dict[str, Any]:
    return {"areas": list(cube.areas),
            "municipalities": sorted((formats.place(m, cube.names.get(m, m), lang), m)
                                     for ms in cube.munis.values() for m in ms),
            "producers": []}


async def fetch(request: web.Request, f: Filters, limit: int | None, choices: bool = True,
                as_tuples: bool = False) -> tuple[tuple[str, ...], list[Any], dict[str, Any]]:
    """The rows and the filter choices, side by side (two connections, so a cold view uses
    both cores); the choices are cached apart from the rows, as every filter shares them.
    Rows are dicts, or with `as_tuples` (a manager's cells) tuples in the order of the
    columns; a row role's download reads its rows as columns (row_table)."""
    c, s = ctx(request), session(request)
    if "gap_rows" not in PERMISSIONS[s.role]:
        cube = focus.apply(await published.of(c.reader).cube(), focus.get(request))
        summary = counted(cube, f, limit)
        return (SUMMARY_COLS, list(map(itemgetter(*SUMMARY_COLS), summary)) if as_tuples
                else summary, manager_choices(cube, lang_of(request)))
    if as_tuples:
        raise ValueError("a row role's download reads its rows as columns (row_table)")
    cols, sql, params = query(_focused(request, f), limit)
    none: list[list[dict[str, Any]]] = [[]]
    (cached,), (options,) = await asyncio.gather(
        c.reader.many((sql, params)),
        c.reader.many((CHOICES, ())) if choices else asyncio.sleep(0, none))
    rows: list[Any]
    if "client_ref" not in cols:
        rows = [dict(r) for r in cached]  # the reader's cache must not see our changes
    else:
        rows = [dict(r) for r in cached]
        for r in rows:  # the pseudonym stays on the server; the page gets a reference
            r["client_ref"] = c.refs.of(r.pop("client_id"))
    return cols, rows, {
        "areas": sorted({o["internal_area"] for o in options if o["internal_area"]}),
        "municipalities": sorted({(formats.place(o["municipality"], o["municipality_name"],
                                                 lang_of(request)), o["municipality"])
                                  for o in options if o["municipality"]}),
        "producers": sorted({o["producer_kind"] for o in options if o["producer_kind"]})}


@needs("gaps")
async def gaps(request: web.Request) -> web.StreamResponse:
    f = Filters.of(request.query)
    cols, rows, values = await fetch(request, f, LIMIT)
    s = session(request)
    ctx(request).store.log(s.user, s.role, "view", "gaps", detail=await logged_query(request),
                           row_count=len(rows))
    return render(request, "gaps.html", page="gaps", f=f, cols=cols, rows=rows, limit=LIMIT,
                  gap_types=GAP_TYPES, query_string=f.query(), **values)


# the row columns `words` writes as they are (no code to translate, never '*')
VERBATIM = frozenset({"client_ref", "internal_area", "municipality", "service",
                      "producer_id", "subject_id"})


def words(lang: str) -> export.Words:
    """A gap cell in the reader's words, as on the page: codes, open or closed, '*' = all,
    the unknown area '-' (one place) by its name."""
    def say(name: str, value: Any) -> Any:
        if value == "*":
            return translate("all", lang)
        if name == "internal_area":
            return published.area_word(value, lambda key: translate(key, lang))
        if name in ("gap_type", "producer_kind") and value:
            return translate(value, lang)
        if name == "is_open":
            return translate("open" if value else "closed", lang)
        if name == "municipality_name" and value:
            return formats.place(value, lang=lang)
        return value
    return say


def header(col: str, lang: str) -> str:
    return translate("gaps_col" if col == "gaps" else col, lang)


def _referenced(data: pa.Table, of: Callable[[str], str]) -> pa.Table:
    """The rows with each client id (the first column) replaced by its opaque reference,
    computed once per client: the pseudonym stays on the server."""
    if data.column_names[0] != "client_id":  # never a pseudonym under another header
        raise ValueError(f"the first column is {data.column_names[0]!r}, not client_id")
    ids = data.column(0)
    if ids.null_count:
        raise ValueError("a gap row without its client")
    return data.set_column(0, "client_ref", export.map_distinct(ids, of))


def _focused(request: web.Request, f: Filters) -> Filters:
    """Rows, not cells: a focus narrows them to its municipality unless a filter names one."""
    chosen = focus.get(request)
    return replace(f, municipality=chosen.code) if chosen and not f.municipality else f


async def row_table(request: web.Request, f: Filters) -> pa.Table:
    """A row role's download as Arrow columns (a national file's 76,000 gap rows in a second
    as dicts, a fraction of it as columns), with the page's focus and filters."""
    c = ctx(request)
    _, sql, params = query(_focused(request, f), None)
    return await asyncio.to_thread(_referenced, await c.reader.arrow(sql, params), c.refs.of)


@needs("gaps")
async def gaps_download(request: web.Request) -> web.StreamResponse:
    """/gaps.csv (people's CSV; ?format=csv-plain for programs) and /gaps.xlsx: the rows the
    page shows, without its row limit, through the one export module."""
    f = Filters.of(request.query)
    fmt = "xlsx" if request.path.endswith(".xlsx") else export.chosen(
        request.query.get("format"))
    s, lang = session(request), lang_of(request)
    cols: tuple[str, ...]
    rows: list[Any] = []
    data: pa.Table | None = None
    if "gap_rows" in PERMISSIONS[s.role]:
        cols, data = ROW_COLS, await row_table(request, f)
    else:  # a manager's published cells: a few hundred
        cols, rows, _ = await fetch(request, f, None, choices=False, as_tuples=True)
    table = export.Table(cols, [header(c, lang) for c in cols], rows, words(lang),
                         frozenset({"gaps"}), data, VERBATIM)
    ctx(request).store.log(s.user, s.role, "export", "gaps.xlsx" if fmt == "xlsx" else
                           "gaps.csv", detail=await logged_query(request),
                           row_count=table.row_count())
    return await export.response(table, fmt, lang, "gaps", translate("gaps", lang))


def setup(app: web.Application) -> None:
    app.router.add_get("/gaps", gaps)
    app.router.add_get("/gaps.csv", gaps_download)
    app.router.add_get("/gaps.xlsx", gaps_download)
