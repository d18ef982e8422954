"""Service map: for each internal area and municipality, who is served by which service and
producer kind, how many workshops, and gaps per 100 clients; municipalities with no local
producer stand out. Reads dash_service_map only (suppressed)."""

from itertools import groupby
from typing import Any

from aiohttp import web

from services.web.app import ctx, needs, render, session


@needs("map")
async def service_map(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    (rows,) = await c.reader.many((
        "SELECT * FROM dash_service_map ORDER BY internal_area NULLS LAST, municipality_name, "
        "service NULLS LAST, producer_kind", ()))
    areas: list[tuple[str | None, list[dict[str, Any]]]] = [
        (area, list(group)) for area, group in groupby(rows, key=lambda r: r["internal_area"])]
    without = sorted({r["municipality_name"] for r in rows
                      if not r["has_local_workshop"] and r["internal_area"]})
    c.store.log(s.user, s.role, "view", "map")
    return render(request, "map.html", page="map", areas=areas, without=without)


def setup(app: web.Application) -> None:
    app.router.add_get("/map", service_map)
