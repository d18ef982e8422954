"""Overview: the handoff story at a glance (issue 13 point 1; SPEC.md 4.1). From January 2021
to the as-of date, with each handoff's date marked: how many young people were in KTT and
SOSKU, how the five gap types developed (in the region and per internal area), and for the
picked handoff (`?handoff=NAME`, default the first configured one) its cohort handed over on
time, late or never, by month, area and municipality. Headline figures carry their change
from the previous month end. Every figure is a cell of the published cube
(services/web/published.py), suppressed once with everything else a manager can reach; a
change or share is computed from shown cells only."""

from datetime import date
from typing import Any

from aiohttp import web

from services.web import focus, published
from services.web.app import ctx, lang_of, needs, render, session
from services.web.formats import num
from services.web.i18n import translate
from services.web.published import (
    ALL,
    GAP_TYPES,
    HANDOFF_COLS,
    OTHER,
    OUT,
    STORY_SERVICES,
    Cube,
    HandoffPart,
    area_word,
)
from services.web.svg import PHONE, REGION, SMALL, WIDE, count_value, line_chart

Series = dict[str, list[tuple[date, float | None]]]
BREAK = "SERVICE_BREAK"


def fi_date(d: date) -> str:
    return f"{d.day}.{d.month}.{d.year}"


def handoff_label(h: HandoffPart, lang: str) -> str:
    """'1.1.2023: KTT, SOSKU, kunta → hyvinvointialue' from the configuration; a handoff
    found only in the data is named by its name."""
    if h.first_day is None:
        return translate("handoff_named", lang).replace("{name}", h.name)
    return (f"{fi_date(h.first_day)}: {', '.join(h.services)}, "
            f"{translate('kind_' + h.from_kind, lang)} → {translate('kind_' + h.to_kind, lang)}")


def handoff_choices(cube: Cube, lang: str) -> list[tuple[str, str]]:
    """The handoff picker's choices (the overview's and the map's): name and label."""
    return [(h.name, handoff_label(h, lang)) for h in cube.handoffs.values()]


def handoff_intro(h: HandoffPart, lang: str) -> str:
    if h.first_day is None:
        return ""
    text = translate("handoff_story_intro", lang)
    for k, v in {"{services}": ", ".join(h.services), "{date}": fi_date(h.first_day),
                 "{from}": translate("kind_" + h.from_kind, lang),
                 "{to}": translate("kind_" + h.to_kind, lang), "{g}": str(h.grace_days)}.items():
        text = text.replace(k, v)
    return text


def _markers(cube: Cube) -> list[tuple[date, str]]:
    first = cube.trend_months[0] if cube.trend_months else None
    last = cube.as_of
    return [(h.first_day, fi_date(h.first_day)) for h in cube.handoffs.values()
            if h.first_day is not None and first is not None and last is not None
            and first <= h.first_day <= last]


def began_note(cube: Cube, h: HandoffPart, lang: str, area: str = ALL) -> str:
    """How many of the service breaks open now began before the picked handoff's date, in
    words, where both shown counts say it (else that it is hidden): in the region, or in
    `area` (a focused municipality's area)."""
    if h.first_day is None:
        return ""
    rows = {r["gap_type"]: r for r in cube.began(h.name) if r["internal_area"] == area}
    r = rows.get("SERVICE_BREAK")
    if r is None or r["all"] == "0":
        return ""
    before, total = count_value(r["before"]), count_value(r["all"])
    words = {"{date}": fi_date(h.first_day), "{to}": translate("kind_" + h.to_kind, lang)}
    if before is None or total is None:
        text = translate("began_before_hidden", lang)
    else:
        # written as the language writes numbers (`414/1 022`: "1022" in every language, a
        # review, 2026-12-07)
        words |= {"{b}": num(before, lang), "{n}": num(total, lang),
                  "{pct}": f"{round(100 * before / total)}"}
        text = translate("began_before", lang)
    for k, v in words.items():
        text = text.replace(k, v)
    return text


def _gap_series(trend: list[tuple[date, str, dict[str, str]]], area: str) -> Series:
    return {g: [(d, count_value(v[g])) for d, a, v in trend if a == area] for g in GAP_TYPES}


def _charts(cube: Cube, h: HandoffPart, lang: str,
            trend: list[tuple[date, str, dict[str, str]]],
            in_service: list[tuple[date, str, dict[str, str]]],
            transfers: list[dict[str, Any]], place: str = ALL) -> dict[str, Any]:
    """The charts; `place` is the area whose monthly series the main charts draw: the region,
    or a focused municipality's area (the cube has monthly cells by area, not by
    municipality)."""
    def say(key: str) -> str:
        return translate(key, lang)

    labels = {g: translate(g, lang) for g in GAP_TYPES} | {
        REGION: translate("all_areas", lang), OTHER: area_word(OTHER, say)}
    hidden = translate("hidden_legend", lang)
    markers = _markers(cube)
    service_series: Series = {s: [(d, count_value(v[s])) for d, a, v in in_service
                                  if a == place] for s in STORY_SERVICES}
    note = began_note(cube, h, lang, place)
    region_gaps = _gap_series(trend, place)
    where = "" if place == ALL else f": {place}"
    areas = [{"area": a, "svg": line_chart(f"{translate('open_gaps_monthly', lang)}: "
                                           f"{area_word(a, say)}",
                                           _gap_series(trend, a), labels=labels,
                                           markers=markers, hidden_label=hidden,
                                           ident=f"a{i}", lang=lang, frame=SMALL)}
             for i, a in enumerate(cube.areas)]
    share: Series = {}
    for r in transfers:
        if r["month"] == "?":
            continue
        share.setdefault(r["internal_area"] or REGION, []).append(
            (date.fromisoformat(r["month"] + "-01"), r["transferred_pct"]))
    return {
        "service_svg": _wide_and_phone(translate("in_service_title", lang) + where,
                                       service_series, markers=markers, hidden_label=hidden,
                                       ident="svc", lang=lang),
        # Service breaks on their own: they outnumber the other four types many times over
        # and would flatten them (issue 13).
        "gaps_svg": _wide_and_phone(translate("SERVICE_BREAK", lang) + where,
                                    {BREAK: region_gaps[BREAK]}, labels=labels,
                                    markers=markers, hidden_label=hidden, note=note,
                                    ident="gaps", lang=lang),
        "others_svg": _wide_and_phone(translate("other_gap_types", lang) + where,
                                      {g: v for g, v in region_gaps.items() if g != BREAK},
                                      labels=labels, markers=markers, hidden_label=hidden,
                                      ident="other", lang=lang),
        "area_charts": areas, "began_note": note,
        "handoff_svg": _wide_and_phone(translate("handoff_monthly", lang), share,
                                       counts=False, top=100.0, labels=labels,
                                       hidden_label=hidden, ident="share", lang=lang),
    }


def _wide_and_phone(title: str, series: Series, ident: str, **how: Any) -> str:
    """A chart drawn twice: for a wider screen and for a phone (app.css shows one of them).
    Scaled down to a phone's width, the wide drawing wrote its text at about 5 px."""
    return (line_chart(title, series, ident=ident, frame=WIDE, **how)
            + line_chart(title, series, ident=f"{ident}-phone", frame=PHONE, **how))


def focused_headline(cube: Cube, f: focus.Focus, h: HandoffPart) -> dict[str, Any]:
    """The headline figures of a focused municipality: its own cells of the cube. Open gaps
    now by type and the picked handoff's cohort are published by municipality; young people
    in service by municipality are the service map's cells (on the as-of date, by the
    municipality of the service). The month ends are published by area only, so the previous
    month's figure and the change are not shown for a municipality (the page has no such
    columns under a focus): they cannot be worked out from published cells."""
    code, area = f.code, focus.area_of(cube, f.code) or ""
    map_area = next((str(r["area_key"]) for r in cube.map_rows if r["municipality"] == code),
                    area or "-")
    if not area:  # outside the configured areas: the cube has it only within one place
        return {"headline": [{"gap_type": t, "now": OUT} for t in GAP_TYPES],
                "headline_service": [{"service": svc, "now": OUT} for svc in STORY_SERVICES],
                "region": {c: OUT for c in HANDOFF_COLS} if h.name else None,
                "focus_area": ""}
    return {
        "headline": [{"gap_type": t, "now": cube.text("gap", t, area, code, ALL)}
                     for t in GAP_TYPES],
        "headline_service": [{"service": svc, "now": cube.text("clients", map_area, code, svc)}
                             for svc in STORY_SERVICES],
        "region": {c: cube.text("handoff", h.name, area, code, c) for c in HANDOFF_COLS}
        if h.name else None,
        "focus_area": area}


def not_on_time(region: dict[str, Any] | None) -> int | None:
    """The contracts handed over late or not at all, together, where the headline hides the
    two apart: the cohort less those on time and those still waiting, all three shown, so
    it says nothing a reader cannot work out. A review (2026-12-07) saw a region's 21 late
    and 9 never handed over as '.. | ..': the number a manager most needs, on no page."""
    if region is None:
        return None
    hidden = [c for c in ("transferred_late", "ended_untransferred")
              if not str(region.get(c, "")).isdigit()]
    known = [str(region.get(c, "")) for c in ("cohort", "transferred", "pending")]
    if not hidden or not all(x.isdigit() for x in known):
        return None
    return int(known[0]) - int(known[1]) - int(known[2])


@needs("overview")
async def overview(request: web.Request) -> web.StreamResponse:
    c, s, lang = ctx(request), session(request), lang_of(request)
    f = focus.get(request)
    cube = focus.apply(await published.of(c.reader).cube(), f)
    h = cube.handoff_part(request.query.get("handoff", ""))
    # each read once: the tables and the charts draw the same cells
    trend, in_service = cube.trend(), cube.in_service()
    transfers, places = cube.transfers(h.name), cube.handoff_places(h.name)
    # Every figure follows the focus: the municipality's own cells, else its area's.
    top: dict[str, Any] = (focused_headline(cube, f, h) if f is not None else {
        "headline": cube.headline(), "headline_service": cube.headline_in_service(),
        "region": places[0] if places else None, "focus_area": ""})
    c.store.log(s.user, s.role, "view", "overview")
    return render(
        request, "overview.html", as_of=cube.as_of, now=cube.open_now(),
        not_on_time=not_on_time(top["region"]),
        focused=f, previous=cube.trend_months[-1] if cube.trend_months else None,
        trend=sorted(trend, key=lambda x: (x[0], x[1] != ALL, x[1]), reverse=True),
        in_service=sorted(in_service, key=lambda x: (x[0], x[1] != ALL, x[1]),
                          reverse=True),
        services=STORY_SERVICES, gap_types=GAP_TYPES, all_key=ALL,
        handoffs=handoff_choices(cube, lang),
        picked=h.name, picked_label=handoff_label(h, lang) if h.name else "",
        intro=handoff_intro(h, lang), began=cube.began(h.name),
        handoff=transfers, places=places, **top,
        **_charts(cube, h, lang, trend, in_service, transfers,
                  top["focus_area"] or ALL))


def setup(app: web.Application) -> None:
    app.router.add_get("/", overview)
