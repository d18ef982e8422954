"""The focus narrows a published cube to one municipality (with the totals it belongs to) and
never adds a cell: a focused page shows a subset of what the unfocused one publishes."""

from analytics.disclosure import Suppressed
from services.web import focus
from services.web.published import ALL, GAP_TYPES, Cube, HandoffPart


def _cube() -> Cube:
    text: dict[object, str] = {}
    places = {"Oulu": ["564"], "Lakeus": ["244", "425"]}
    for t in GAP_TYPES:
        text[("gap", t, ALL, ALL, ALL)] = "30"
        for a, ms in places.items():
            text[("gap", t, a, ALL, ALL)] = "15"
            for m in ms:
                text[("gap", t, a, m, ALL)] = "7"
                text[("gap", t, a, m, "KTT")] = "7"
    return Cube(k=5, as_of=None, cells=Suppressed(5, text), areas=sorted(places),
                munis=places, names={"564": "Oulu", "244": "Kempele", "425": "Liminka"},
                gap_services={"564": ["KTT"], "244": ["KTT"], "425": ["KTT"]},
                trend_months=[],
                handoffs={"2023": HandoffPart("2023", areas=sorted(places), munis=places)},
                map_rows=[{"municipality": m, "area_key": a} for a, ms in places.items()
                          for m in ms])


def test_no_focus_is_the_cube_itself() -> None:
    cube = _cube()
    assert focus.apply(cube, None) is cube


def test_a_focus_keeps_the_municipality_and_the_totals_it_is_part_of() -> None:
    cube = _cube()
    kempele = focus.of_code("244")
    assert kempele is not None
    got = focus.apply(cube, kempele)
    rows = got.gap_rows()
    assert {r["municipality"] for r in rows} == {ALL, "244"}
    assert {r["internal_area"] for r in rows} == {ALL, "Lakeus"}
    everything = {(r["gap_type"], r["internal_area"], r["municipality"], r["service"],
                   r["gaps"]) for r in cube.gap_rows()}
    assert {(r["gap_type"], r["internal_area"], r["municipality"], r["service"], r["gaps"])
            for r in rows} <= everything  # a subset: nothing new is published
    assert {r["internal_area"] for r in got.alert_counts()} == {ALL, "Lakeus"}
    assert {r["municipality"] for r in got.handoff_places()} == {None, "244"}
    assert [r["municipality"] for r in got.map_rows] == ["244"]
    assert cube.munis["Lakeus"] == ["244", "425"]  # the shared cube is not changed


def test_focus_codes_are_municipalities_only() -> None:
    oulu = focus.of_code("564")
    assert oulu is not None and oulu.name("sv") == "Uleåborg" and oulu.name("fi") == "Oulu"
    for bad in ("", None, "56", "5640", "abc", "999", "c-1042"):
        assert focus.of_code(bad) is None
    assert focus.keeps(None, "425") and focus.keeps(oulu, ALL) and focus.keeps(oulu, "564")
    assert not focus.keeps(oulu, "425")
