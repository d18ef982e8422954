"""Overview: open gaps now and by week; the handoff of 1.1.2023 by week, area and municipality.
Reads only dash_* views, so every number a manager sees is already suppressed."""

from datetime import date

from aiohttp import web

from services.web.app import ctx, lang_of, needs, render, session
from services.web.i18n import translate
from services.web.svg import count_value, line_chart

WEEKS_SHOWN = 52
GAP_TYPES = ("HANDOFF_MISSING", "SERVICE_BREAK", "NO_RESPONSIBLE_WORKER", "ATTENDANCE_SILENCE",
             "REFERRAL_STALLED")


@needs("overview")
async def overview(request: web.Request) -> web.StreamResponse:
    c, s, lang = ctx(request), session(request), lang_of(request)
    as_of, now, weekly, handoff, places = await c.reader.many(
        ("SELECT max(as_of_date) AS d FROM as_of", ()),
        ("SELECT * FROM dash_open_gaps", ()),
        ("SELECT * FROM dash_gaps_weekly WHERE week >= (SELECT max(week) FROM dash_gaps_weekly)"
         f" - INTERVAL {WEEKS_SHOWN} WEEK ORDER BY week", ()),
        ("SELECT * FROM dash_handoff_weekly ORDER BY week", ()),
        ("SELECT * FROM dash_handoff_by_place ORDER BY internal_area NULLS FIRST, "
         "level DESC, municipality_name", ()))
    series: dict[str, list[tuple[date, float | None]]] = {
        translate(g, lang): [] for g in GAP_TYPES}
    pivot: dict[date, dict[str, str]] = {}
    for r in weekly:
        series[translate(r["gap_type"], lang)].append((r["week"], count_value(r["open_gaps"])))
        pivot.setdefault(r["week"], {})[r["gap_type"]] = r["open_gaps"]
    share: dict[str, list[tuple[date, float | None]]] = {}
    for r in handoff:
        name = r["internal_area"] or translate("all_areas", lang)
        share.setdefault(name, []).append((r["week"], r["transferred_pct"]))
    c.store.log(s.user, s.role, "view", "overview")
    return render(
        request, "overview.html", as_of=as_of[0]["d"] if as_of else None, now=now,
        weekly=sorted(pivot.items(), reverse=True), gap_types=GAP_TYPES,
        weekly_svg=line_chart(translate("open_gaps_weekly", lang), series),
        handoff=handoff, places=places,
        handoff_svg=line_chart(translate("handoff_weekly", lang), share, counts=False,
                               top=100.0))


def setup(app: web.Application) -> None:
    app.router.add_get("/", overview)
