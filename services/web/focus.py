"""The focus: one municipality chosen on the map (a three-digit Statistics Finland code, never
anything about a person) that narrows every other view until it is removed.

It lives in a cookie of the browser session (`focus`, HttpOnly, SameSite=Lax, no expiry), set
and cleared by GET /focus/{code} and /focus/clear (services/web/pages/service_map.py) like the
language choice, so a link on the map is all a click or a key press needs; a `focus` query
parameter names one for a single view (a shared link). Every page shows it as a removable chip
(base.html).

Pages apply it to the published cube through `apply`: it only drops cells from the lists a
page walks (areas, municipalities), so a focused view is a subset of the cells the unfocused
view publishes, suppressed the same way: nothing new can be worked out from it."""

from dataclasses import dataclass, replace

from aiohttp import web

from schemas.reference import municipalities
from services.web.published import ALL, Cube

COOKIE = "focus"


@dataclass(frozen=True)
class Focus:
    code: str
    name_fi: str
    name_sv: str

    def name(self, lang: str) -> str:
        return self.name_sv if lang == "sv" else self.name_fi


def of_code(code: str | None) -> Focus | None:
    """The focus for a municipality code, or None for anything that is not one."""
    m = municipalities().get(code or "")
    return Focus(m.code, m.name_fi, m.name_sv) if m else None


def get(request: web.Request) -> Focus | None:
    """The request's focus: the `focus` query parameter if it names a municipality (a link
    can carry it), else the cookie; none when the municipality lies outside the signed-in
    user's scope (a focus there would narrow their view to nothing, under a chip naming a
    place they were not given)."""
    chosen = of_code(request.query.get("focus")) or of_code(request.cookies.get(COOKIE))
    s = request.get("session")
    if chosen is not None and s is not None and not s.scope.whole:
        m = municipalities()[chosen.code]
        if not s.scope.allows(m.internal_area, m.code):
            return None
    return chosen


def areas(cube: Cube) -> dict[str, str]:
    """Municipality -> the internal area the cube files it under (its open gaps, its handoff
    or its services; the first found, as they agree), for every municipality it has a cell of.
    One pass: the map asks it for every municipality of a national file."""
    out: dict[str, str] = {}
    for lists in (cube.munis, *(h.munis for h in cube.handoffs.values())):
        for a, ms in lists.items():
            for m in ms:
                out.setdefault(m, a)
    for r in cube.map_rows:
        out.setdefault(r["municipality"], str(r["area_key"]))
    return out


def area_of(cube: Cube, code: str) -> str | None:
    """The internal area of one municipality in the cube, None if it has no cell of it."""
    return areas(cube).get(code)


def apply(cube: Cube, focus: Focus | None) -> Cube:
    """The cube as a focused page sees it: the municipality's own cells, with its area and the
    whole region kept as context (the totals it is part of); other areas and municipalities
    left out. Without a focus, the cube itself."""
    if focus is None:
        return cube
    code, area = focus.code, area_of(cube, focus.code)
    keep = [area] if area is not None else []
    return replace(
        cube,
        areas=[a for a in cube.areas if a in keep],
        munis={a: [m for m in ms if m == code] for a, ms in cube.munis.items() if a in keep},
        gap_services={m: s for m, s in cube.gap_services.items() if m == code},
        handoffs={name: replace(h, areas=[a for a in h.areas if a in keep],
                                munis={a: [m for m in ms if m == code]
                                       for a, ms in h.munis.items() if a in keep})
                  for name, h in cube.handoffs.items()},
        map_rows=[r for r in cube.map_rows if r["municipality"] == code])


def keeps(focus: Focus | None, municipality: str | None) -> bool:
    """Whether a row of a place belongs to the focused view (for rows that are not cube cells:
    an analyst's gap rows). Totals ('*') stay."""
    if focus is None or municipality in (None, ALL):
        return True
    return municipality == focus.code
