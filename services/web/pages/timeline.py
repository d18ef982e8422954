"""Client timeline: one pseudonymous client's contracts, organisers, workers, attendance,
referrals and gaps. The client is named by an opaque reference in a POST body; the view is
logged with that reference, never with the pseudonym, and a box that names no client is logged
as "not found", never with what was typed."""

import json
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from services.web.app import ctx, lang_of, needs, render, session
from services.web.formats import day
from services.web.i18n import translate
from services.web.timeline_svg import COLOURS, Bar, Tick, draw

EVENTS = ("responsibility.transferred", "worker.assigned", "worker.unassigned",
          "attendance.recorded")


def _kind(organizer: str) -> str:
    return organizer.split(":", 1)[0]


async def facts(request: web.Request, client_id: str) -> dict[str, Any]:
    as_of, contracts, referrals, gaps, events = await ctx(request).reader.many(
        ("SELECT max(as_of_date) AS d FROM as_of", ()),
        ("SELECT * FROM contracts WHERE client_id = ? ORDER BY start_date", (client_id,)),
        ("SELECT * FROM referrals WHERE client_id = ? ORDER BY made_on", (client_id,)),
        ("SELECT * FROM continuity_gaps WHERE client_id = ? ORDER BY started_on",
         (client_id,)),
        ("SELECT event_type, effective_date, payload FROM events WHERE client_id = ? AND "
         "event_type IN ? AND effective_date <= (SELECT max(as_of_date) FROM as_of) "
         "ORDER BY effective_date, occurred_at", (client_id, list(EVENTS))))
    for e in events:
        e["payload"] = json.loads(e["payload"]) if isinstance(e["payload"], str) else e["payload"]
    return {"as_of": as_of[0]["d"], "contracts": contracts, "referrals": referrals,
            "gaps": gaps, "events": events}


def organiser(org: str, lang: str) -> str:
    """`municipality:564` in words: `kunta 564`."""
    kind, _, code = org.partition(":")
    return f"{translate('org_' + kind, lang)} {code}".strip()


def picture(f: dict[str, Any], lang: str) -> str:
    as_of: date = f["as_of"]
    bars: list[Bar] = []
    ticks: list[Tick] = []
    transfers = [e for e in f["events"] if e["event_type"] == "responsibility.transferred"]
    for k in f["contracts"]:
        end = k["last_day"] or as_of
        cuts = sorted((e["effective_date"], e["payload"]["to_organizer"]) for e in transfers
                      if e["payload"]["contract_id"] == k["contract_id"])
        org, since = k["signed_organizer"], k["start_date"]
        lane = f"{k['service']} {k['contract_id']}"
        for on, to in [*cuts, (end + timedelta(days=1), None)]:
            if on > since:
                bars.append(Bar(lane, since, min(on - timedelta(days=1), end),
                                COLOURS.get(_kind(org), COLOURS["other"]),
                                f"{organiser(org, lang)} {day(since, lang)}–"))
            org, since = to or org, max(on, since)
    open_workers: dict[tuple[str, str], date] = {}
    for e in f["events"]:
        p = e["payload"]
        if e["event_type"] == "attendance.recorded":
            ticks.append(Tick(translate("attendance", lang), e["effective_date"],
                              COLOURS["present" if p["present"] else "absent"],
                              f"{day(e['effective_date'], lang)} "
                              f"{translate('present' if p['present'] else 'absent', lang)}"))
        elif e["event_type"] == "worker.assigned":
            open_workers.setdefault((p["worker_id"], p["organization"]), e["effective_date"])
        elif e["event_type"] == "worker.unassigned":
            start = open_workers.pop((p["worker_id"], p["organization"]), None)
            if start is not None and e["effective_date"] > start:
                bars.append(Bar(translate("workers", lang), start,
                                e["effective_date"] - timedelta(days=1), COLOURS["worker"],
                                f"{p['worker_id']} ({organiser(p['organization'], lang)})"))
    for (worker, org), start in open_workers.items():
        bars.append(Bar(translate("workers", lang), start, as_of, COLOURS["worker"],
                        f"{worker} ({organiser(org, lang)})"))
    for r in f["referrals"]:
        end = r["started_on"] or r["closed_on"] or as_of
        bars.append(Bar(translate("referrals", lang), r["made_on"], end, COLOURS["referral"],
                        f"{translate('target_' + r['target'], lang)} "
                        f"{day(r['made_on'], lang)}–{day(end, lang)}"))
    for g in f["gaps"]:
        end = g["ended_on"] - timedelta(days=1) if g["ended_on"] else as_of
        bars.append(Bar(translate(g["gap_type"], lang), g["started_on"], end, COLOURS["gap"],
                        f"{translate(g['gap_type'], lang)} "
                        f"{day(g['started_on'], lang)}–{day(end, lang)}"))
    return draw(translate("timeline", lang), bars, ticks, as_of)


@needs("timeline")
async def timeline_form(request: web.Request) -> web.StreamResponse:
    return render(request, "timeline.html", page="timeline")


@needs("timeline")
async def timeline(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    ref = str((await request.post()).get("ref", "")).strip()
    client_id = await c.refs.resolve(ref) if ref else None
    if client_id is None:
        # What was typed may be a client id or a pseudonym: it is not kept.
        c.store.log(s.user, s.role, "view", "timeline", detail="not found", outcome="unknown")
        return render(request, "timeline.html", status=404, page="timeline", ref=ref,
                      unknown=True)
    f = await facts(request, client_id)
    c.store.log(s.user, s.role, "view", "timeline", detail=ref)
    return render(request, "timeline.html", page="timeline", ref=ref, f=f,
                  svg=picture(f, lang_of(request)))


def setup(app: web.Application) -> None:
    app.router.add_get("/timeline", timeline_form)
    app.router.add_post("/timeline", timeline)
