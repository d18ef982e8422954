"""The map's geometry: projection, simplification, path data, the fitted layouts of real
borders (the vendored GeoJSON), and the wellbeing areas derived from municipality codes."""

import itertools
import math
import re

import pytest

from schemas.reference import municipalities
from services.web import geo


def _segment_distance(p: geo.Point, a: geo.Point, b: geo.Point) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def test_projection_is_centred_and_keeps_north_up_and_east_right() -> None:
    assert geo.laea(25.0, 65.0, 25.0, 65.0) == pytest.approx((0.0, 0.0), abs=1e-12)
    x_east, _ = geo.laea(26.0, 65.0, 25.0, 65.0)
    _, y_north = geo.laea(25.0, 66.0, 25.0, 65.0)
    assert x_east > 0 and y_north > 0
    # equal-area: a degree of longitude shrinks with latitude as cos(latitude)
    near = geo.laea(26.0, 60.0, 25.0, 65.0)[0] - geo.laea(25.0, 60.0, 25.0, 65.0)[0]
    far = geo.laea(26.0, 70.0, 25.0, 65.0)[0] - geo.laea(25.0, 70.0, 25.0, 65.0)[0]
    assert far / near == pytest.approx(math.cos(math.radians(70)) / math.cos(math.radians(60)),
                                       rel=0.02)


def test_simplify_drops_points_within_tolerance_and_keeps_the_rest() -> None:
    line = [(float(x), 0.0) for x in range(10)]  # collinear: only the ends are needed
    assert geo.simplify(line, 0.5) == [(0.0, 0.0), (9.0, 0.0)]
    zigzag = [(float(x), 3.0 if x % 2 else 0.0) for x in range(9)]
    assert geo.simplify(zigzag, 0.5) == zigzag  # every corner is 3 px off: all stay
    assert geo.simplify([(0.0, 0.0), (1.0, 1.0)], 5.0) == [(0.0, 0.0), (1.0, 1.0)]


def test_simplified_real_border_stays_within_the_tolerance() -> None:
    shape = geo.shapes()["564"]  # Oulu
    ring = [geo.laea(x, y, 25.5, 65.0) for x, y in max(shape.rings, key=len)]
    ring = [(x * 5000, y * 5000) for x, y in ring]  # pixel-like scale
    kept = geo.simplify(ring, 0.6)
    assert 3 < len(kept) < len(ring)
    assert kept[0] == ring[0] and kept[-1] == ring[-1]
    segments = list(itertools.pairwise(kept))
    worst = max(min(_segment_distance(p, a, b) for a, b in segments) for p in ring)
    assert worst <= 0.6 + 1e-9


def test_ring_area() -> None:
    assert geo.ring_area([(0.0, 0.0), (2.0, 0.0), (2.0, 3.0), (0.0, 3.0)]) == 6.0
    assert geo.ring_area([(0.0, 3.0), (2.0, 3.0), (2.0, 0.0), (0.0, 0.0)]) == 6.0


def _absolute(d: str) -> list[list[tuple[float, float]]]:
    """The rings of our path data ('M x y l dx dy ... z'), as absolute points."""
    rings = []
    for part in re.findall(r"M([^z]*)z", d):
        start, rest = part.split("l")
        x, y = map(float, start.split())
        pts = [(x, y)]
        nums = [float(v) for v in rest.split()]
        for dx, dy in zip(nums[::2], nums[1::2], strict=True):
            x, y = round(x + dx, 1), round(y + dy, 1)
            pts.append((x, y))
        rings.append(pts)
    return rings


def test_path_data_is_relative_and_exact_to_a_tenth() -> None:
    ring = [(10.04, 20.06), (15.51, 20.06), (15.51, 27.77), (10.04, 27.77)]
    d = geo._path(ring)
    assert d.startswith("M10 20.1l") and d.endswith("z")
    (got,) = _absolute(d)
    assert got == [(10.0, 20.1), (15.5, 20.1), (15.5, 27.8), (10.0, 27.8)]


def test_layout_of_north_ostrobothnia_draws_every_municipality_small_and_inside() -> None:
    codes = [c for c, m in municipalities().items() if m.region_code == "17"]
    assert len(codes) == 30
    lay = geo.layout(codes)
    assert sorted(s.code for s in lay.shapes) == sorted(codes)
    source = sum(len(r) for c in codes for r in geo.shapes()[c].rings)
    assert lay.points < source  # simplified
    size = sum(len(s.d) for s in lay.shapes)
    assert size < 20_000, size  # the page stays small
    for s in lay.shapes:
        for ring in _absolute(s.d):
            assert len(ring) >= 3
            for x, y in ring:
                assert -0.1 <= x <= lay.width + 0.1 and -0.1 <= y <= lay.height + 0.1
    assert geo.layout(codes) is lay  # simplified once, then cached


def test_whole_country_fits_and_stays_small() -> None:
    lay = geo.layout(geo.shapes())
    assert len(lay.shapes) == 309
    assert lay.height <= geo.MAX_HEIGHT
    assert sum(len(s.d) for s in lay.shapes) < 80_000


def test_wellbeing_areas_follow_regions_with_uusimaa_split() -> None:
    by_name = {m.name_fi: c for c, m in municipalities().items()}
    assert geo.wellbeing_area(by_name["Oulu"]) == "Pohjois-Pohjanmaa"
    assert geo.wellbeing_area(by_name["Kajaani"]) == "Kainuu"
    assert geo.wellbeing_area(by_name["Espoo"]) == "Länsi-Uusimaa"
    assert geo.wellbeing_area(by_name["Vantaa"]) == "Vantaa-Kerava"
    assert geo.wellbeing_area(by_name["Helsinki"]) == "Helsinki"
    assert geo.wellbeing_area("999") == ""
    members = geo.area_members()
    assert len(members) == 23  # 21 areas, Helsinki, and Åland (no wellbeing area)
    assert sum(len(v) for v in members.values()) == 309
    assert len(members["Pohjois-Pohjanmaa"]) == 30 and len(members["Kainuu"]) == 8
    assert geo.areas_of([by_name["Oulu"], by_name["Kajaani"], "-", "999"]) == [
        "Kainuu", "Pohjois-Pohjanmaa"]
