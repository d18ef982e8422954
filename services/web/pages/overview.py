"""Overview: open gaps now and at each month end; the handoff of 1.1.2023 by month, area and
municipality. Every figure is a cell of the published cube (services/web/published.py),
suppressed once with everything else a manager can reach."""

from datetime import date

from aiohttp import web

from services.web import focus, published
from services.web.app import ctx, lang_of, needs, render, session
from services.web.i18n import translate
from services.web.published import ALL, GAP_TYPES
from services.web.svg import count_value, line_chart


@needs("overview")
async def overview(request: web.Request) -> web.StreamResponse:
    c, s, lang = ctx(request), session(request), lang_of(request)
    cube = focus.apply(await published.of(c.reader).cube(), focus.get(request))
    trend = cube.trend()
    series: dict[str, list[tuple[date, float | None]]] = {
        translate(g, lang): [(d, count_value(v[g])) for d, a, v in trend if a == ALL]
        for g in GAP_TYPES}
    transfers = cube.transfers()
    share: dict[str, list[tuple[date, float | None]]] = {}
    for r in transfers:
        if r["month"] == "?":
            continue
        name = r["internal_area"] or translate("all_areas", lang)
        share.setdefault(name, []).append((date.fromisoformat(r["month"] + "-01"),
                                           r["transferred_pct"]))
    c.store.log(s.user, s.role, "view", "overview")
    return render(
        request, "overview.html", as_of=cube.as_of, now=cube.open_now(),
        trend=sorted(trend, key=lambda x: (x[0], x[1] != ALL, x[1]), reverse=True),
        gap_types=GAP_TYPES, all_key=ALL,
        weekly_svg=line_chart(translate("open_gaps_monthly", lang), series),
        handoff=transfers, places=cube.handoff_places(),
        handoff_svg=line_chart(translate("handoff_monthly", lang), share, counts=False,
                               top=100.0))


def setup(app: web.Application) -> None:
    app.router.add_get("/", overview)
