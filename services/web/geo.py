"""Municipality borders for the service map, drawn server-side as SVG paths.

The vendored GeoJSON (static/municipalities-2023.geojson: © Maanmittauslaitos, CC BY 4.0) is
read once. For a set of municipalities it is projected (Lambert azimuthal equal-area centred on
the set, so a choropleth's areas compare fairly), fitted to the drawing, and simplified once in
pixel space (Douglas-Peucker with a sub-pixel tolerance; islands smaller than a few square
pixels dropped, never a municipality's largest ring): the page stays small and nothing visible
is lost. Layouts are cached per set of municipalities: no request parses the file again."""

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from schemas.reference import municipalities
from services.simulate.geography import UUSIMAA_SPLIT

GEOJSON = Path(__file__).parent / "static" / "municipalities-2023.geojson"
ATTRIBUTION = "© Maanmittauslaitos, CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
WIDTH = 560.0
MAX_HEIGHT = 640.0
MARGIN = 6.0
TOLERANCE = 0.6  # px: below what a screen shows
MIN_RING = 4.0  # px²: an island smaller than this is not drawn
ALAND = "21"

Point = tuple[float, float]
Ring = list[Point]


@dataclass(frozen=True)
class Shape:
    code: str
    rings: tuple[tuple[Point, ...], ...]  # lon/lat, outer rings and holes alike


@dataclass(frozen=True)
class Drawn:
    code: str
    d: str  # SVG path data
    x: float  # a label point: the centre of the largest ring's bounding box
    y: float


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    shapes: tuple[Drawn, ...]
    points: int  # points drawn after simplification (for tests and the bench)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"


@cache
def shapes() -> dict[str, Shape]:
    """Every municipality's rings by three-digit code, read once."""
    data = json.loads(GEOJSON.read_text(encoding="utf-8"))
    out: dict[str, Shape] = {}
    for f in data["features"]:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        rings = tuple(tuple((float(x), float(y)) for x, y in ring)
                      for poly in polys for ring in poly)
        code = str(f["properties"]["NATCODE"]).zfill(3)
        out[code] = Shape(code, rings)
    return out


def laea(lon: float, lat: float, lon0: float, lat0: float) -> Point:
    """Lambert azimuthal equal-area on the sphere, centred on (lon0, lat0); y grows north."""
    lam, phi = math.radians(lon - lon0), math.radians(lat)
    phi0 = math.radians(lat0)
    k = math.sqrt(2.0 / (1.0 + math.sin(phi0) * math.sin(phi)
                         + math.cos(phi0) * math.cos(phi) * math.cos(lam)))
    return (k * math.cos(phi) * math.sin(lam),
            k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam)))


def simplify(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker: the fewest points whose line stays within `tolerance` of the original
    (iterative, so a long border cannot overflow the stack). A closed ring keeps its ends."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy)
        worst, at = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            dist = (abs(dy * (px - x1) - dx * (py - y1)) / norm if norm
                    else math.hypot(px - x1, py - y1))
            if dist > worst:
                worst, at = dist, i
        if at >= 0 and worst > tolerance:
            keep[at] = True
            stack += [(first, at), (at, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def ring_area(points: Sequence[Point]) -> float:
    """Unsigned area by the shoelace formula."""
    s = 0.0
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        s += x1 * y2 - x2 * y1
    return abs(s) / 2.0


def _path(ring: Sequence[Point]) -> str:
    """An absolute move, then lines relative to it in tenths of a pixel: short, and exact to
    the drawing (the sums of rounded steps never drift, as each step is taken from rounded
    absolute positions)."""
    tenths = [(round(x * 10), round(y * 10)) for x, y in ring]
    (x0, y0), steps = tenths[0], []
    px, py = x0, y0
    for x, y in tenths[1:]:
        if (x, y) != (px, py):
            steps.append(f"{(x - px) / 10:g} {(y - py) / 10:g}")
            px, py = x, y
    return f"M{x0 / 10:g} {y0 / 10:g}l" + " ".join(steps) + "z"


def layout(codes: Iterable[str]) -> Layout:
    return _layout(frozenset(c for c in codes if c in shapes()))


@lru_cache(maxsize=64)
def _layout(codes: frozenset[str]) -> Layout:
    if not codes:
        return Layout(WIDTH, 2 * MARGIN, (), 0)
    src = shapes()
    lons = [x for c in codes for r in src[c].rings for x, _ in r]
    lats = [y for c in codes for r in src[c].rings for _, y in r]
    lon0, lat0 = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    projected = {c: [[laea(x, y, lon0, lat0) for x, y in r] for r in src[c].rings]
                 for c in codes}
    xs = [x for rs in projected.values() for r in rs for x, _ in r]
    ys = [y for rs in projected.values() for r in rs for _, y in r]
    w, h = max(xs) - min(xs) or 1e-9, max(ys) - min(ys) or 1e-9
    scale = min((WIDTH - 2 * MARGIN) / w, (MAX_HEIGHT - 2 * MARGIN) / h)
    left, top = min(xs), max(ys)
    out: list[Drawn] = []
    count = 0
    for c in sorted(codes):
        rings = [[(MARGIN + (x - left) * scale, MARGIN + (top - y) * scale) for x, y in r]
                 for r in projected[c]]
        largest = max(range(len(rings)), key=lambda i: ring_area(rings[i]))
        kept: list[Ring] = []
        for i, r in enumerate(rings):
            if i != largest and ring_area(r) < MIN_RING:
                continue
            s = simplify(r, TOLERANCE)
            if len(s) >= 4 or i == largest:
                kept.append(s)
        count += sum(len(r) for r in kept)
        big = rings[largest]
        bx, by = [x for x, _ in big], [y for _, y in big]
        out.append(Drawn(c, "".join(_path(r) for r in kept),
                         round((min(bx) + max(bx)) / 2, 1), round((min(by) + max(by)) / 2, 1)))
    height = round(h * scale + 2 * MARGIN, 1)
    return Layout(WIDTH, height, tuple(out), count)


# --- wellbeing areas -----------------------------------------------------------------------
def wellbeing_area(code: str) -> str:
    """The wellbeing area (hyvinvointialue) a municipality belongs to: its region, except that
    Uusimaa is four areas plus the City of Helsinki (Act 615/2021). Åland has none: its
    region's name stands in. '' for an unknown code."""
    m = municipalities().get(code)
    if m is None:
        return ""
    if m.region_code == "01":
        for area, members in UUSIMAA_SPLIT.items():
            if m.name_fi in members:
                return area
    return m.region_name_fi


@cache
def area_members() -> dict[str, tuple[str, ...]]:
    """Wellbeing area -> its municipality codes, from the reference list."""
    out: dict[str, list[str]] = {}
    for code in sorted(municipalities()):
        out.setdefault(wellbeing_area(code), []).append(code)
    return {a: tuple(cs) for a, cs in sorted(out.items())}


def areas_of(codes: Iterable[str]) -> list[str]:
    """The wellbeing areas of the data's municipality codes (unknown codes ignored)."""
    return sorted({a for a in (wellbeing_area(c) for c in codes) if a})
