"""Service map: a choropleth of the data's wellbeing area(s), drawn server-side as inline SVG
(services/web/geo.py, geo_svg.py), coloured by open gaps per 100 young people in service or
by the share handed over on time, by municipality or by internal area; below it the same
figures as a table, and the services and producers by municipality.

Every number is a cell of the published cube (services/web/published.py): the numerators and
denominators are cells, suppressed jointly with everything else a manager can reach, and a
rate is computed only where both are shown (so it says nothing the counts do not). A
municipality whose figure is hidden is hatched and says so in words.

Which municipalities are drawn comes from the configuration, not the data: the wellbeing
areas of the municipality codes the cube knows (schemas.reference +
services.web.geo.wellbeing_area), which are those of the configured internal areas (the
municipalities outside them are one place of the cube, OTHER, listed below the map's
services, never drawn: which of them the data has is not published); with several, a control
picks one or all; with several handoffs configured (SPEC.md 4.1), the handoff measure has
the overview's picker. A click (or Enter on the focused link) on a municipality sets the focus
(services/web/focus.py) that narrows the other pages, and comes back to the map with the
keyboard on that municipality."""

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import web

from analytics.disclosure import PRIMARY, SECONDARY, WITHDRAWN
from schemas.reference import municipalities
from services.web import focus, geo, published
from services.web.app import ctx, https, lang_of, local_path, needs, render, session
from services.web.formats import AT_LEAST, num
from services.web.geo_svg import HIDDEN_FILL, NONE_FILL, PALETTE, Cell, choropleth, swatch
from services.web.i18n import translate
from services.web.pages.overview import handoff_choices, handoff_label
from services.web.pages.session import back_to
from services.web.published import ALL, GAP_TYPES, Cube

MEASURES = ("gaps", "handoff")
LEVELS = ("municipality", "area")
STEPS = (1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0)


@dataclass(frozen=True)
class Unit:
    """One figure of the map: a municipality or an internal area."""
    key: str
    name: str
    area: str
    num: str  # the cube's texts
    den: str
    rate: float | None
    state: str  # "value", "hidden" (a count suppressed) or "none" (nothing to divide by)


def keys(measure: str, area: str, muni: str, handoff: str = ""
         ) -> tuple[list[tuple[str, ...]], tuple[str, ...]]:
    """The cube cells whose sum is a measure's numerator, and its denominator's cell. A
    place's open gaps are the sum of its five type cells, published only when all five are
    shown (services.web.published.map_relations says why there is no cell of that sum); the
    handoff's are of one handoff's sub-cube (the first, as on the overview by default)."""
    if measure == "handoff":
        return ([("handoff", handoff, area, muni, "transferred")],
                ("handoff", handoff, area, muni, "cohort"))
    return [("gap", t, area, muni, ALL) for t in GAP_TYPES], ("clients", area, muni, ALL)


def unit(cube: Cube, measure: str, key: str, name: str, area: str | None, muni: str,
         handoff: str = "") -> Unit:
    """`handoff`: the picked handoff's name (the handoff measure), else the first."""
    if area is None:  # the cube has no cell of this place: nothing there
        return Unit(key, name, "", "0", "0", None, "none")
    nks, dk = keys(measure, area, muni, cube.handoff_part(handoff).name)
    parts = [cube.value(*k) for k in nks]
    num = None if None in parts else sum(p for p in parts if p is not None)
    # one cell: its own text; a sum of cells: the sum where all are shown, else what its
    # parts say of it (not '..', which would say it is at least k, nor '–', which says 0 to
    # k-1: Oulu's 543 open gaps read '–' beside a legend of '0–4', a review, 2026-12-07)
    num_text = (cube.text(*nks[0]) if len(nks) == 1 else
                str(num) if num is not None else at_least(cube, nks))
    den = cube.value(*dk)
    texts = num_text, cube.text(*dk)
    if den == 0:
        return Unit(key, name, area, *texts, None, "none")
    if num is None or den is None:
        return Unit(key, name, area, *texts, None, "hidden")
    return Unit(key, name, area, *texts, 100.0 * num / den, "value")


def at_least(cube: Cube, keys: list[tuple[str, ...]]) -> str:
    """A sum of cells some of which are hidden, as its published parts bound it: `≥ N`, N the
    shown parts and each hidden part's least ('<k' at least 1, '..' at least k, '–' 0),
    which the same cells on the Gaps page tell a reader anyway; '–' where a part is not
    the reader's to see."""
    if not all(cube.in_scope(key) for key in keys):
        return "–"
    least = 0
    for text in (cube.text(*key) for key in keys):
        if text.isdigit():
            least += int(text)
        elif text == SECONDARY:
            least += cube.k
        elif text == f"{PRIMARY}{cube.k}":
            least += 1
        elif text != WITHDRAWN:
            return "–"
    return f"{AT_LEAST}{least}"


def bins(measure: str, units: list[Unit]) -> list[float]:
    """Five equal classes: 0-100 % for the handoff; for gaps per 100, from 0 to a round step
    above the largest shown rate."""
    if measure == "handoff":
        return [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    top = max([u.rate for u in units if u.rate is not None] or [5.0])
    step = next((s for s in STEPS if s * 5 >= top), STEPS[-1])
    return [step * i for i in range(6)]


def bin_of(rate: float, edges: list[float]) -> int:
    for i in range(len(edges) - 1):
        if rate < edges[i + 1]:
            return i
    return len(edges) - 2


def choice(value: str, allowed: tuple[str, ...] | list[str], default: str) -> str:
    return value if value in allowed else default


@needs("map")
async def service_map(request: web.Request) -> web.StreamResponse:
    c, s, lang = ctx(request), session(request), lang_of(request)
    cube = await published.of(c.reader).cube()
    q = request.query
    measure = choice(q.get("measure", ""), MEASURES, "gaps")
    level = choice(q.get("level", ""), LEVELS, "municipality")
    ref = municipalities()
    data_codes = [m for m in cube.names if m in ref]
    wellbeing = geo.areas_of(data_codes)
    wa = choice(q.get("wa", ""), wellbeing, "")
    # the handoff whose share the handoff measure shows (SPEC.md 4.1: as many as configured;
    # the overview picks one the same way): the first unless another is named
    handoff = cube.handoff_part(q.get("handoff", "")).name
    first = next(iter(cube.handoffs), "")
    shown = [m for a in ([wa] if wa else wellbeing) for m in geo.area_members()[a]]
    f = focus.get(request)

    def name(code: str) -> str:
        m = ref[code]
        return m.name_sv if lang == "sv" else m.name_fi

    filed = focus.areas(cube)
    if not cube.scope.whole:  # a scoped user sees no place outside the scope, not even drawn
        shown = [m for m in shown if m in filed]
    area_of = {m: filed.get(m) for m in shown}
    munis = sorted((unit(cube, measure, m, name(m), area_of[m], m, handoff) for m in shown),
                   key=lambda u: u.name)
    internal = sorted({a for a in area_of.values() if a not in (None, published.OTHER)},
                      key=str)
    areas = [unit(cube, measure, a, a, a, ALL, handoff) for a in internal if a is not None]
    units = areas if level == "area" else munis
    edges = bins(measure, units)
    by_area = {u.key: u for u in areas}
    picked = handoff if measure == "handoff" and handoff != first else ""
    here = "/map?" + urlencode({k: v for k, v in (("measure", measure), ("level", level),
                                                  ("wa", wa), ("handoff", picked)) if v})
    cells: dict[str, Cell] = {}
    for u in munis:
        drawn = by_area.get(u.area, Unit(u.area, u.area, u.area, "0", "0", None, "none")) \
            if level == "area" else u
        cells[u.key] = Cell(
            state=drawn.state, label=_label(u.name, drawn, level, lang),
            # back to this map at the picked municipality: the browser focuses it there, as
            # a keyboard user left it (focus was at the page's top after each pick)
            href=f"/focus/{u.key}?" + urlencode({"next": f"{here}#m-{u.key}"}),
            bin=bin_of(drawn.rate, edges) if drawn.rate is not None else -1,
            focused=f is not None and f.code == u.key)
    title = f"{translate('measure_' + measure, lang)}, {translate('level_' + level, lang)}"
    if measure == "handoff" and len(cube.handoffs) > 1:  # which one, where there is a choice
        title += f" ({handoff_label(cube.handoff_part(handoff), lang)})"
    legend = [(swatch(PALETTE[i]), f"{_num(edges[i], lang)}–{_num(edges[i + 1], lang)}")
              for i in range(5)]
    # the drawn municipalities' services, and with every wellbeing area drawn the unknown
    # area's: one place (published.OTHER), not drawn
    on_map = set(shown)
    services = [r for r in cube.map_rows if r["municipality"] in on_map
                or (not wa and r["area_key"] == published.OTHER)]
    services.sort(key=lambda r: (r["area_key"] == published.OTHER, r["area_key"],
                                 r["municipality_name"], r["service"] is None,
                                 r["service"] or ""))
    without = sorted({r["municipality_name"] for r in services
                      if r["has_local_workshop"] is False and r["internal_area"]})
    unknown = sorted({r["municipality_name"] for r in services
                      if r["has_local_workshop"] is None and r["internal_area"]})
    c.store.log(s.user, s.role, "view", "map",
                detail=" ".join(x for x in (measure, level, wa, picked) if x))
    return render(
        request, "map.html", page="map", measure=measure, level=level, wa=wa,
        measures=MEASURES, levels=LEVELS, wellbeing=wellbeing, units=units,
        handoffs=handoff_choices(cube, lang) if measure == "handoff" and len(cube.handoffs) > 1
        else [], picked=handoff,
        svg=choropleth(geo.layout(shown), cells, title), title=title, legend=legend,
        hidden_swatch=swatch(HIDDEN_FILL), none_swatch=swatch(NONE_FILL),
        # (every drawn wellbeing area holds a configured internal area: only those are drawn)
        some_without=level == "area" and any(a is None for a in area_of.values()),
        at_least_shown=any(u.num.startswith(AT_LEAST) for u in units),
        # the table's municipalities set the focus too: Kempele is 15 x 11 px on a phone's map
        hrefs={key: cell.href for key, cell in cells.items()},
        rate=lambda v: num(v, lang, 1), services=services, without=without,
        unknown=unknown)


def _num(v: float, lang: str) -> str:
    return num(v, lang, 0 if v == int(v) else 1)


def _label(name: str, u: Unit, level: str, lang: str) -> str:
    where = f"{name} ({u.name})" if level == "area" else name
    if u.state == "hidden":
        return (f"{where}: {translate('map_hidden_short', lang)} "
                f"({num(u.num, lang)} / {num(u.den, lang)})")
    if u.state == "none":
        return f"{where}: {translate('map_none_short', lang)}"
    return f"{where}: {num(u.rate, lang, 1)} ({num(u.num, lang)} / {num(u.den, lang)})"


# --- the focus: set by a link on the map, removed by the chip on any page ---------------------
async def set_focus(request: web.Request) -> web.StreamResponse:
    chosen = focus.of_code(request.match_info["code"])
    response = web.HTTPSeeOther(local_path(request.query.get("next")) if "next" in request.query
                                else back_to(request))
    if chosen is not None:
        response.set_cookie(focus.COOKIE, chosen.code, httponly=True, samesite="Lax", path="/",
                            secure=https(request))
    raise response


async def clear_focus(request: web.Request) -> web.StreamResponse:
    """Back to the page the chip was on, without a `focus` parameter of its own."""
    back = urlsplit(back_to(request))
    # the page's query as it was sent (parsed, then written again: read as text by
    # with_query it was encoded twice, Etel%C3%A4inen came back as Etel%25C3%25A4inen and the
    # page lost its filter: a hunt, 2026-12-06)
    query = urlencode([(k, v) for k, v in parse_qsl(back.query, keep_blank_values=True)
                       if k != "focus"])
    response = web.HTTPSeeOther(back.path + (f"?{query}" if query else ""))
    response.del_cookie(focus.COOKIE, path="/")
    raise response


def setup(app: web.Application) -> None:
    app.router.add_get("/map", service_map)
    app.router.add_get("/focus/clear", clear_focus)
    app.router.add_get("/focus/{code:[0-9]{3}}", set_focus)
