"""Service map: for each internal area and municipality, who is served by which service and
producer kinds, how many workshops, and gaps per 100 clients; municipalities with no local
producer stand out. Cells of the published cube (suppressed); the rate is computed from shown
counts only."""

from itertools import groupby
from typing import Any

from aiohttp import web

from services.web import published
from services.web.app import ctx, needs, render, session


@needs("map")
async def service_map(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    cube = await published.of(c.reader).cube()
    rows = sorted(cube.map_rows, key=lambda r: (r["internal_area"] is None,
                                                r["internal_area"] or "", r["municipality_name"],
                                                r["service"] is None, r["service"] or ""))
    areas: list[tuple[str | None, list[dict[str, Any]]]] = [
        (area, list(group)) for area, group in groupby(rows, key=lambda r: r["internal_area"])]
    without = sorted({r["municipality_name"] for r in rows
                      if not r["has_local_workshop"] and r["internal_area"]})
    c.store.log(s.user, s.role, "view", "map")
    return render(request, "map.html", page="map", areas=areas, without=without)


def setup(app: web.Application) -> None:
    app.router.add_get("/map", service_map)
