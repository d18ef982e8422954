"""Client timeline: one pseudonymous client's contracts, organisers, suspensions, workers,
referrals, gaps and attendance on one time axis, with the handoff dates marked, then the same
facts as tables and every event in a folded list. The client is named by an opaque reference
in a POST body; the view is logged with that reference, never with the pseudonym, and a box
that names no client is logged as "not found", never with what was typed."""

import json
import os
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from aiohttp import web

from schemas.reference import municipalities
from services import config
from services.web.app import ctx, lang_of, needs, posted, render, session
from services.web.formats import day as format_day
from services.web.i18n import translate
from services.web.timeline_svg import Bar, Chart, Lane, Marker, draw, fi_date, swatch

ORGANISER_STYLES = ("municipality", "wellbeing_area")
GAP_ORDER = ("HANDOFF_MISSING", "SERVICE_BREAK", "NO_RESPONSIBLE_WORKER", "ATTENDANCE_SILENCE",
             "REFERRAL_STALLED")


@cache
def _handoffs(path: str | None, cutover: str | None) -> tuple[tuple[date, str], ...]:
    """(day, name) of every handoff the service is configured with (JATKUMO_HANDOFFS, or the
    2023 one on JATKUMO_CUTOVER): read once per setting."""
    env = {k: v for k, v in (("JATKUMO_HANDOFFS", path), ("JATKUMO_CUTOVER", cutover)) if v}
    rules = config.load(env).rules
    return tuple(sorted((h.date, h.name) for h in rules.handoffs))


def handoffs() -> tuple[tuple[date, str], ...]:
    return _handoffs(os.environ.get("JATKUMO_HANDOFFS") or None,
                     os.environ.get("JATKUMO_CUTOVER") or None)


async def facts(request: web.Request, client_id: str) -> dict[str, Any]:
    as_of, contracts, referrals, gaps, events = await ctx(request).reader.many(
        ("SELECT max(as_of_date) AS d FROM as_of", ()),
        ("SELECT * FROM contracts WHERE client_id = ? ORDER BY start_date", (client_id,)),
        ("SELECT * FROM referrals WHERE client_id = ? ORDER BY made_on", (client_id,)),
        ("SELECT * FROM continuity_gaps WHERE client_id = ? ORDER BY started_on",
         (client_id,)),
        ("SELECT event_type, effective_date, payload FROM events WHERE client_id = ? AND "
         "effective_date <= (SELECT max(as_of_date) FROM as_of) "
         "ORDER BY effective_date, occurred_at, event_id", (client_id,)))
    for e in events:
        e["payload"] = json.loads(e["payload"]) if isinstance(e["payload"], str) else e["payload"]
    return {"as_of": as_of[0]["d"], "contracts": contracts, "referrals": referrals,
            "gaps": gaps, "events": events}


@dataclass(frozen=True)
class Words:
    lang: str

    def __call__(self, key: str) -> str:
        return translate(key, self.lang)

    def day(self, d: date) -> str:
        """A date as the page's language writes it (Babel, services/web/formats.py)."""
        return format_day(d, self.lang)

    def organiser(self, organiser: str) -> str:
        kind, _, rest = organiser.partition(":")
        if kind == "municipality":
            m = municipalities().get(rest)
            name = (m.name_sv if self.lang == "sv" else m.name_fi) if m else rest
            return f"{self('municipality')} {name}"
        if kind == "wellbeing_area":
            return self("wellbeing_area")
        return organiser

    def maybe(self, prefix: str, value: object) -> str:
        """A code through the catalogue (`prefix.value`), or the code itself if unknown."""
        if value is None or value == "":
            return ""
        key = f"{prefix}.{value}"
        text = self(key)
        return str(value) if text == key else text


def _style(organiser: str) -> str:
    kind = organiser.split(":", 1)[0]
    return kind if kind in ORGANISER_STYLES else "other"


def _first_day(f: dict[str, Any], marks: tuple[tuple[date, str], ...]) -> date:
    as_of: date = f["as_of"]
    days = ([k["start_date"] for k in f["contracts"]] + [r["made_on"] for r in f["referrals"]]
            + [g["started_on"] for g in f["gaps"]] + [e["effective_date"] for e in f["events"]]
            + [d for d, _ in marks if d <= as_of])
    first = min(days, default=as_of)
    return date(first.year, first.month, 1)


def _suspensions(f: dict[str, Any], ends: dict[str, date], w: Words) -> list[Bar]:
    out: list[Bar] = []
    open_: dict[str, tuple[date, str]] = {}
    for e in f["events"]:
        p = e["payload"]
        if e["event_type"] == "contract.suspended":
            open_.setdefault(p["contract_id"], (e["effective_date"], p.get("reason", "")))
        elif e["event_type"] == "contract.resumed" and p["contract_id"] in open_:
            start, reason = open_.pop(p["contract_id"])
            if e["effective_date"] > start:
                out.append(_suspension(p["contract_id"], start,
                                       e["effective_date"] - timedelta(days=1), reason, w))
    for cid, (start, reason) in open_.items():
        out.append(_suspension(cid, start, ends.get(cid, f["as_of"]), reason, w))
    return out


def _suspension(cid: str, start: date, end: date, reason: str, w: Words) -> Bar:
    return Bar(start, end, "suspension",
               f"{w('tl_suspensions')} {cid}: {w.maybe('tl_reason', reason)} "
               f"{w.day(start)}–{w.day(end)}")


def chart(f: dict[str, Any], lang: str) -> Chart:
    w = Words(lang)
    as_of: date = f["as_of"]
    marks = handoffs()
    lanes: list[Lane] = []
    ends: dict[str, date] = {}
    transfers = [e for e in f["events"] if e["event_type"] == "responsibility.transferred"]
    for k in f["contracts"]:
        end = k["last_day"] or as_of
        ends[k["contract_id"]] = end
        # in the events' order: of two transfers of one day the later correction last, so
        # that it is the one drawn (SPEC.md 1.4); a sort by organiser drew the other
        cuts = [(e["effective_date"], e["payload"]["to_organizer"]) for e in transfers
                if e["payload"]["contract_id"] == k["contract_id"]]
        org, since = k["signed_organizer"], k["start_date"]
        bars = []
        for on, to in [*cuts, (end + timedelta(days=1), None)]:
            if on > since:
                last = min(on - timedelta(days=1), end)
                bars.append(Bar(since, last, _style(org),
                                f"{k['service']} {k['contract_id']}: {w.organiser(org)} "
                                f"{w.day(since)}–{w.day(last)}", w.organiser(org)))
            org, since = to or org, max(on, since)
        lanes.append(Lane(f"{k['service']} {k['contract_id']}", "contract", tuple(bars)))
    if suspended := _suspensions(f, ends, w):
        lanes.append(Lane(w("tl_suspensions"), "suspension", tuple(suspended)))
    workers: list[Bar] = []
    open_workers: dict[tuple[str, str], date] = {}
    for e in f["events"]:
        p = e["payload"]
        if e["event_type"] == "worker.assigned":
            open_workers.setdefault((p["worker_id"], p["organization"]), e["effective_date"])
        elif e["event_type"] == "worker.unassigned":
            start = open_workers.pop((p["worker_id"], p["organization"]), None)
            if start is not None and e["effective_date"] > start:
                last = e["effective_date"] - timedelta(days=1)
                workers.append(Bar(start, last, "worker", f"{p['worker_id']} "
                                   f"({w.organiser(p['organization'])}) "
                                   f"{w.day(start)}–{w.day(last)}", p["worker_id"],
                                   code=True))
    for (worker, org), start in open_workers.items():
        workers.append(Bar(start, as_of, "worker", f"{worker} ({w.organiser(org)}) "
                           f"{w.day(start)}–", worker, code=True))
    if workers:
        lanes.append(Lane(w("workers"), "worker", tuple(workers)))
    referrals = []
    for r in f["referrals"]:
        end = (r["started_on"] - timedelta(days=1) if r["started_on"]
               else r["closed_on"] or as_of)
        referrals.append(Bar(r["made_on"], max(end, r["made_on"]), "referral",
                             f"{w.maybe('tl_target', r['target'])} {w.day(r['made_on'])}–"
                             f"{w.day(end)}", w.maybe("tl_target", r["target"])))
    if referrals:
        lanes.append(Lane(w("referrals"), "referral", tuple(referrals)))
    by_type: dict[str, list[Bar]] = {}
    for g in f["gaps"]:
        end = g["ended_on"] - timedelta(days=1) if g["ended_on"] else as_of
        by_type.setdefault(g["gap_type"], []).append(
            Bar(g["started_on"], end, "gap", f"{w(g['gap_type'])} {w.day(g['started_on'])}–"
                f"{w.day(end) if g['ended_on'] else w('open')}"))
    for gap_type in sorted(by_type, key=lambda t: GAP_ORDER.index(t) if t in GAP_ORDER else 9):
        lanes.append(Lane(w(gap_type), "gap", tuple(by_type[gap_type])))
    attendance = tuple(
        (e["effective_date"], bool(e["payload"]["present"]),
         f"{w.day(e['effective_date'])} {e['payload'].get('contract_id', '')}: "
         f"{w('tl_present') if e['payload']['present'] else w('tl_absent')}")
        for e in f["events"] if e["event_type"] == "attendance.recorded")
    first = _first_day(f, marks)
    return Chart(
        title=f"{w('timeline')} {w.day(first)}–{w.day(as_of)}", first=first, last=as_of,
        lanes=tuple(lanes), attendance_lane=w("attendance"), attendance=attendance,
        markers=tuple(Marker(d, fi_date(d)) for d, _ in marks),  # 1.1.2023 in every language
        months=tuple(w(f"tl_month_{i}") for i in range(1, 13)))


def legend(c: Chart, lang: str) -> list[tuple[str, str]]:
    """(picture, words) for every kind of mark the chart holds."""
    styles = {b.style for lane in c.lanes for b in lane.bars}
    if c.attendance:
        styles |= {"present" if p else "absent" for _, p, _ in c.attendance}
    if any(c.first <= m.on <= c.last for m in c.markers):
        styles.add("handoff")
    order = ("municipality", "wellbeing_area", "other", "suspension", "worker", "referral",
             "gap", "present", "absent", "handoff")
    return [(swatch(s), translate(f"tl_legend_{s}", lang)) for s in order if s in styles]


def event_text(e: dict[str, Any], w: Words) -> tuple[str, str]:
    """What an event says: the identifier it is about (a contract, worker or referral: shown
    as code, translate="no") and the rest in words; no payload field is shown raw."""
    p, kind = e["payload"], e["event_type"]
    cid = str(p.get("contract_id", ""))
    if kind == "attendance.recorded":
        return cid, w("tl_present") if p.get("present") else w("tl_absent")
    if kind in ("worker.assigned", "worker.unassigned"):
        return str(p.get("worker_id", "")), w.organiser(p.get("organization", ""))
    if kind == "responsibility.transferred":
        return cid, (f"{w.organiser(p.get('from_organizer', ''))} → "
                     f"{w.organiser(p.get('to_organizer', ''))}")
    if kind == "contract.signed":
        return cid, f"{p.get('service', '')}, {w.organiser(p.get('organizer', ''))}"
    if kind in ("contract.suspended", "contract.ended"):
        return cid, w.maybe("tl_reason", p.get("reason"))
    if kind.startswith("referral."):
        return str(p.get("referral_id", "")), (w.maybe("tl_target", p.get("target"))
                                               or w.maybe("tl_outcome", p.get("outcome")))
    if kind == "client.registered":
        return "", w.organiser(f"municipality:{p.get('home_municipality', '')}")
    return cid, ""


@needs("timeline")
async def timeline_form(request: web.Request) -> web.StreamResponse:
    return render(request, "timeline.html", page="timeline")


@needs("timeline")
async def timeline(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    ref = str((await posted(request)).get("ref", "")).strip()
    client_id = await c.refs.resolve(ref) if ref else None
    if client_id is None:
        # What was typed may be a client id or a pseudonym: it is not kept.
        c.store.log(s.user, s.role, "view", "timeline", detail="not found", outcome="unknown")
        return render(request, "timeline.html", status=404, page="timeline", ref=ref,
                      unknown=True)
    f = await facts(request, client_id)
    c.store.log(s.user, s.role, "view", "timeline", detail=ref)
    lang = lang_of(request)
    w = Words(lang)
    pic = chart(f, lang)
    events = [{"on": w.day(e["effective_date"]), "what": w.maybe("tl_event", e["event_type"]),
               "detail": event_text(e, w)} for e in f["events"]]  # detail: (ident, words)
    return render(request, "timeline.html", page="timeline", ref=ref, f=f, svg=draw(pic),
                  legend=legend(pic, lang), events=events, day=w.day, w=w,
                  first=w.day(pic.first), last=w.day(pic.last))


def setup(app: web.Application) -> None:
    app.router.add_get("/timeline", timeline_form)
    app.router.add_post("/timeline", timeline)
