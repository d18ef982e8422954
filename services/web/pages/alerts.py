"""Alerts as a work list: every alert of the user's scope, paged with a total, what needs
action first (firing, not yet acknowledged or silenced, longest over its threshold), filters
for area, municipality, gap type and service; each alert says in words what is missing, since
when, the threshold and who is expected to act (the organiser responsible on the day the gap
began). Acknowledge or silence with a note; the list shows who did it and when. The page an
Alertmanager notification links to (/alerts/REF) resolves the opaque reference after sign-in.

A single alert is a single gap (its place, service and start date), so only roles that may see
gap rows (case workers, analysts, admins) see, acknowledge or silence single alerts, and only
those of their scope (services/scope.py; another area's reference is not found). Managers
see the same work list as counts: cells of the published cube (services/web/published.py),
suppressed with everything else they can reach. Filters travel in the query string (places,
types, services: never a client); an alert is named by its opaque reference."""

import asyncio
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from schemas.hetu import mask_typed
from services.alerts.alertmanager import AlertmanagerError
from services.alerts.service import AlertService
from services.scope import Scope
from services.web import focus, formats, published
from services.web.app import ctx, lang_of, logged_query, needs, posted, redacted, render, session
from services.web.auth import PERMISSIONS
from services.web.i18n import translate
from services.web.published import ALL, GAP_TYPES, SERVICES

SILENCE_HOURS = (1, 4, 24, 72, 168)
NOTE_MAX = 500  # characters of a note kept
NOTE_READ = 8000  # characters of a typed note read (masked) before it is cut to NOTE_MAX
PAGE_SIZE = 50
STATES = ("open", "resolved", "all")


def service(request: web.Request) -> AlertService:
    s: AlertService = ctx(request).extras["alerts"]
    return s


@dataclass(frozen=True)
class WorkFilters:
    area: str = ""
    municipality: str = ""
    gap_type: str = ""
    service: str = ""
    state: str = "open"
    page: int = 1

    @classmethod
    def of(cls, q: Any) -> "WorkFilters":
        try:
            page = max(1, int(q.get("page", "1")))
        except ValueError:
            page = 1
        state = q.get("state", "open")
        return cls(q.get("area", ""), q.get("municipality", ""), q.get("gap_type", ""),
                   q.get("service", ""), state if state in STATES else "open", page)

    def where(self, scope: Scope, focused: focus.Focus | None = None) -> tuple[str, list[Any]]:
        """The alerts of `scope` that match: the scope first, then the map's focus (a
        municipality, as the managers' counts), whatever else is asked."""
        cond, params = scope.sql("area", "municipality")
        parts = [cond]
        if focused is not None:
            parts.append("municipality = ?")
            params.append(focused.code)
        for col, value in (("area", self.area), ("municipality", self.municipality),
                           ("gap_type", self.gap_type), ("service", self.service)):
            if value:
                parts.append(f"{col} = ?")
                params.append(value)
        if self.state != "all":
            parts.append("state = ?")
            params.append("firing" if self.state == "open" else "resolved")
        return " AND ".join(parts), params

    def link(self, page: int) -> str:
        """The query string of this filter on another page."""
        values = {k: v for k, v in (("area", self.area), ("municipality", self.municipality),
                                    ("gap_type", self.gap_type), ("service", self.service),
                                    ("state", self.state)) if v}
        return "?" + urlencode({**values, "page": page})


def municipality_name(code: str | None, lang: str) -> str:
    """A municipality by name in the page's language (public reference data)."""
    if not code or code in ("-", ALL):
        return "–"
    return formats.place(code, lang=lang)


def organizer_text(organizer: str | None, lang: str) -> str:
    """`municipality:564` -> "Oulu (kunta)"; `wellbeing_area:pohjois-pohjanmaa` ->
    "Pohjois-Pohjanmaa (hyvinvointialue)"."""
    if not organizer:
        return translate("organizer_unknown", lang)
    kind, _, ident = organizer.partition(":")
    if kind == "municipality":
        return translate("organizer_municipality", lang).replace(
            "{name}", municipality_name(ident, lang))
    if kind == "wellbeing_area":
        name = "-".join(part.capitalize() for part in ident.split("-"))
        return translate("organizer_wellbeing_area", lang).replace("{name}", name)
    return organizer


def local_time(t: datetime | None, lang: str) -> str:
    """Helsinki's wall clock with its zone (services/web/formats.py)."""
    return formats.when(t, lang) if t else ""


def described(a: dict[str, Any], as_of: date | None, lang: str) -> dict[str, Any]:
    """An alert row with its words: what is missing, since when, the threshold, how far over
    it, who is expected to act, and who handled it."""
    r = dict(a)
    firing = r["state"] == "firing"
    days = (as_of - r["started_on"]).days + 1 if as_of and firing else None
    threshold = r.get("threshold_days")
    r["over_days"] = days - threshold if days is not None and threshold is not None else None
    r["municipality_name"] = municipality_name(r["municipality"], lang)
    r["who_acts"] = organizer_text(r.get("organizer"), lang)
    r["what"] = translate(f"alert_what_{r['gap_type']}", lang)
    sentence = translate("alert_sentence" if r["over_days"] is not None
                         else "alert_sentence_resolved", lang)
    for key, value in (("what", r["what"]), ("since", formats.day(r["started_on"], lang)),
                       ("threshold", formats.num(threshold, lang)),
                       ("over", formats.num(r["over_days"], lang)), ("who", r["who_acts"])):
        sentence = sentence.replace("{" + key + "}", value)
    r["sentence"] = sentence
    r["acked_line"] = (translate("acked_line", lang).replace("{who}", r["ack_by"])
                       .replace("{when}", local_time(r["ack_at"], lang))
                       .replace("{note}", r["ack_comment"] or "")) if r["ack_by"] else ""
    r["silenced_line"] = (translate("silenced_line", lang).replace("{who}", r["silence_by"])
                          .replace("{when}", local_time(r["silence_at"], lang))
                          .replace("{until}", local_time(r["silenced_until"], lang))
                          .replace("{note}", r["silence_comment"] or "")
                          ) if r.get("silence_by") else ""
    return r


async def as_of_date(request: web.Request) -> date | None:
    (got,) = await ctx(request).reader.many(("SELECT max(as_of_date) AS d FROM as_of", ()))
    d = got[0]["d"] if got else None
    return d if isinstance(d, date) else None


def pages(total: int, f: WorkFilters) -> dict[str, Any]:
    n = max(1, math.ceil(total / PAGE_SIZE))
    page = min(f.page, n)
    return {"total": total, "page_no": page, "pages": n,
            "prev_link": f.link(page - 1) if page > 1 else None,
            "next_link": f.link(page + 1) if page < n else None}


@needs("alerts")
async def alerts(request: web.Request) -> web.StreamResponse:
    c, s, lang = ctx(request), session(request), lang_of(request)
    f = WorkFilters.of(request.query)
    if "gap_rows" not in PERMISSIONS[s.role]:
        return await counted(request, f)
    state = service(request).state
    focused = focus.get(request)
    where, params = f.where(s.scope, focused)
    # the filters' choices: the alerts of the scope and the focus
    scope_where, scope_params = WorkFilters(state="all").where(s.scope, focused)
    total = (await asyncio.to_thread(state.work_list, where, params, 0, 0))[0]
    paging = pages(total, f)
    _, rows = await asyncio.to_thread(state.work_list, where, params,
                                      (paging["page_no"] - 1) * PAGE_SIZE, PAGE_SIZE)
    options = await asyncio.to_thread(state.choices, scope_where, scope_params)
    as_of = await as_of_date(request)
    c.store.log(s.user, s.role, "view", "alerts", detail=await logged_query(request),
                row_count=len(rows))
    return render(request, "alerts.html", page="alerts", f=f, work=True,
                  rows=[described(r, as_of, lang) for r in rows], as_of=as_of,
                  gap_types=GAP_TYPES, states=STATES,
                  areas=sorted({o[0] for o in options if o[0]}),
                  municipalities=sorted({(municipality_name(o[1], lang), o[1])
                                         for o in options if o[1]}),
                  services=sorted({o[2] for o in options if o[2]}),
                  delivery_error=service(request).last_error, **paging)


async def counted(request: web.Request, f: WorkFilters) -> web.StreamResponse:
    """A manager's work list: the open-gap cells of the published cube (one alert = one open
    gap) that match the filters, places by name, paged."""
    c, s, lang = ctx(request), session(request), lang_of(request)
    cube = focus.apply(await published.of(c.reader).cube(), focus.get(request))
    cells = [r for r in cube.gap_rows(f.gap_type, f.area, f.municipality)
             if not f.service or r["service"] == f.service]
    paging = pages(len(cells), f)
    start = (paging["page_no"] - 1) * PAGE_SIZE
    for r in cells[start:start + PAGE_SIZE]:
        r["municipality_name"] = (municipality_name(r["municipality"], lang)
                                  if r["municipality"] != ALL else "")
    c.store.log(s.user, s.role, "view", "alerts", detail=await logged_query(request))
    return render(request, "alerts.html", page="alerts", f=f, work=False,
                  counts=cube.alert_counts(), cells=cells[start:start + PAGE_SIZE],
                  gap_types=GAP_TYPES, all_key=ALL, states=STATES, areas=list(cube.areas),
                  municipalities=sorted((municipality_name(m, lang), m)
                                        for ms in cube.munis.values() for m in ms),
                  services=[x for x in SERVICES if x != "-"],
                  delivery_error=service(request).last_error, **paging)


@needs("alerts")
async def alert(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    if "gap_rows" not in PERMISSIONS[s.role]:  # a manager from a notification: the counts
        raise web.HTTPSeeOther("/alerts")
    ref = request.match_info["ref"]
    a = service(request).state.get(ref, s.scope)
    c.store.log(s.user, s.role, "view", "alert", detail=ref,
                outcome="ok" if a else "unknown")
    if a is None:
        return render(request, "error.html", status=404, message="not_found")
    return render(request, "alert.html", page="alerts",
                  a=described(a, await as_of_date(request), lang_of(request)),
                  hours=SILENCE_HOURS, now=datetime.now(UTC))


async def _note(request: web.Request, typed: Any) -> str:
    """A note typed on an alert, as it is kept, shown and sent to Alertmanager: identity
    codes masked, client ids and pseudonyms as references (attack, 2026-12-04: "soitettu
    asiakkaalle 010203-912E, sim-000007" reached the web store, the page and Alertmanager)."""
    # masked whole, then cut: cut first, a code across the cut lost its check character and
    # was kept readable (an attack, 2026-12-07); the text a form can hold is bounded anyway
    masked = await redacted(request, str(typed).strip()[:NOTE_READ])
    return mask_typed(masked[:NOTE_MAX])  # a cut may leave a code's head: masked too


@needs("gap_rows")
async def acknowledge(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    ref = request.match_info["ref"]
    if service(request).state.get(ref, s.scope) is None:  # not of this user's scope
        c.store.log(s.user, s.role, "acknowledge", "alert", detail=ref, outcome="unknown")
        return render(request, "error.html", status=404, message="not_found")
    comment = await _note(request, (await posted(request)).get("comment", ""))
    service(request).state.acknowledge(ref, s.user, comment, datetime.now(UTC))
    c.store.log(s.user, s.role, "acknowledge", "alert", detail=ref)
    raise web.HTTPSeeOther(f"/alerts/{ref}")


@needs("gap_rows")
async def silence(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    ref = request.match_info["ref"]
    if service(request).state.get(ref, s.scope) is None:
        c.store.log(s.user, s.role, "silence", "alert", detail=ref, outcome="unknown")
        return render(request, "error.html", status=404, message="not_found")
    form = await posted(request)
    try:
        hours = float(str(form.get("hours", "4")))
    except ValueError:
        hours = 4.0
    if not math.isfinite(hours):  # 'nan' passes float() and every comparison
        hours = 4.0
    hours = min(max(hours, 0.25), 24 * 30)
    comment = await _note(request, form.get("comment", ""))
    silence_id, outcome = None, "ok"
    manager = service(request).manager
    if manager is not None:
        try:
            silence_id = await manager.silence(ref, hours, s.user, comment)
        except AlertmanagerError:
            outcome = "alertmanager_unreachable"  # kept locally; the page says so
    now = datetime.now(UTC)
    service(request).state.silence(ref, now + timedelta(hours=hours), silence_id, s.user,
                                   comment, now)
    c.store.log(s.user, s.role, "silence", "alert", detail=f"{ref} {hours:g}h", outcome=outcome)
    raise web.HTTPSeeOther(f"/alerts/{ref}")


def setup(app: web.Application) -> None:
    app.router.add_get("/alerts", alerts)
    app.router.add_get("/alerts/{ref:[0-9a-f]{20}}", alert)
    app.router.add_post("/alerts/{ref:[0-9a-f]{20}}/ack", acknowledge)
    app.router.add_post("/alerts/{ref:[0-9a-f]{20}}/silence", silence)
