"""The places and services the published cube lists do not depend on the data.

- A municipality (of a configured internal area) or a service listed only where some gap was
  open told a reader that one of its withdrawn cells ('–', 0 to k-1) was at least 1, and an
  attack at k = 3 pinned three counts with that (2026-12-04).
- The unknown area '-' (municipalities outside every configured internal area: the rest of the
  country) listed exactly the municipalities the data had, on the Gaps page, the handoff
  tables, the service map (which drew their wellbeing areas) and the filters: a listed one
  said that someone there had an open gap, a contract to hand over or a service. It is now
  one place, "Muut tai tuntematon", always listed with every service and gap type.

Real replays into real DuckDB files."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics.disclosure import Suppressed
from schemas.reference import municipalities
from services.config import Settings
from services.replay import replay
from services.simulate import SimConfig, simulate
from services.web import focus, geo, published
from services.web.pages.gaps import manager_choices
from streams.core import Rules
from tests.e2e.test_stored_cube import AS_OF, KEY, _events, _read
from tests.e2e.web.synth import generate
from tests.helpers import write_jsonl


def _cube(tmp: Path, clients: int, seed: int, k: int = 5) -> published.Cube:
    db = tmp / f"c{clients}-{seed}.duckdb"
    replay(write_jsonl(tmp / f"e{clients}-{seed}.jsonl", _events(clients, seed)), db,
           Settings(pseudonym_key=KEY), AS_OF)
    con = _read(db)
    try:
        return published.build(con, Rules().handoffs, k=k)
    finally:
        con.close()


def _gap_places(cube: published.Cube) -> set[tuple[object, ...]]:
    """Every gap cell of the cube (the unknown area's among them)."""
    return {key[1:] for key in cube.cells.text if isinstance(key, tuple) and key[0] == "gap"}


def test_every_configured_place_and_service_has_its_gap_cells_whatever_the_data(
        tmp_path: Path) -> None:
    small, large = _cube(tmp_path, 15, 8), _cube(tmp_path, 120, 3)
    assert _gap_places(small) == _gap_places(large)
    con = _read(tmp_path / "c15-8.duckdb")
    try:
        configured = con.execute("SELECT internal_area, code FROM municipalities "
                                 "WHERE internal_area IS NOT NULL").fetchall()
    finally:
        con.close()
    assert len(configured) >= 30
    for cube in (small, large):
        for area, code in configured:
            assert code in cube.munis[area]
            assert set(cube.gap_services[code]) >= {"KTT", "SOSKU", "NUPA", "-"}
        # the unknown area: one place, every gap type and service, no municipality
        assert published.OTHER in cube.areas and cube.munis[published.OTHER] == []
        for t in published.GAP_TYPES:
            for s in (*published.SERVICES, published.ALL):
                assert ("gap", t, published.OTHER, published.ALL, s) in cube.cells.text


# (15 young people of seed 8 had such rows until the began/trend groups got the exact check,
# whose leaner pattern withdraws none there; seed 5's 20 have twelve)
@pytest.mark.parametrize(("clients", "seed", "k"), [(120, 3, 5), (20, 5, 5)])
def test_a_place_without_open_gaps_shows_only_withdrawn_rows(tmp_path: Path, clients: int,
                                                             seed: int, k: int) -> None:
    """The cells listed now whatever the data are zeros where no gap is open: such a row is
    on the page only beside withdrawn small cells, as '–' (0 to k-1), never as a count, a
    '<k' or a '..' (which would say at least k)."""
    cube = _cube(tmp_path, clients, seed, k)
    con = _read(tmp_path / f"c{clients}-{seed}.duckdb")
    try:
        open_at = {m for (m,) in con.execute(
            "SELECT DISTINCT municipality FROM dash_gap_cells WHERE month_end IS NULL"
        ).fetchall()}
    finally:
        con.close()
    rows = [r for r in cube.gap_rows() if r["municipality"] not in (published.ALL, *open_at)]
    assert cube.k == k and rows and all(r["gaps"] == "–" for r in rows), rows


# --- the unknown area: which out-of-area municipalities the data has is not published --------
OULU = "564"
# Two groups of Oulu's young people moved out of the configured areas: to Kajaani and Kuopio
# in one file, both to Helsinki in the other. Their workshops keep an id of their group, so
# every count over the unknown area is the same in both files; only which municipalities
# outside the areas have gaps, contracts to hand over and services differs. A third file
# keeps them in Oulu: nobody outside the areas.
SPREAD = {"one": ("205", "297"), "other": ("091", "091"), "none": ()}
SYNTH_AS_OF = date(2023, 4, 30)  # as the web tests replay synth.py's files


def _moved(d: Path, kind: str, clients: int = 500, seed: int = 7) -> list[dict[str, Any]]:
    """North Ostrobothnia (tests/e2e/web/synth.py), with every third young person of Oulu
    served outside the configured areas instead, half of them in each municipality of
    SPREAD[kind] (none moved for "none"). Nothing else changes."""
    base = generate(d / f"synth-{kind}.jsonl", clients=clients, seed=seed)
    events = [json.loads(line) for line in base.read_text(encoding="utf-8").splitlines()]
    homes = {e["client_id"]: e["payload"]["home_municipality"] for e in events
             if e["event_type"] == "client.registered"}
    movers = sorted(c for c, home in homes.items() if home == OULU)[::3]
    if not SPREAD[kind]:
        movers = []
    group = {c: i % 2 for i, c in enumerate(movers)}

    def move(value: Any, g: int) -> Any:
        code = SPREAD[kind][g]
        if isinstance(value, dict):
            return {k: move(v, g) for k, v in value.items()}
        if value == OULU:
            return code
        if value == f"municipality:{OULU}":
            return f"municipality:{code}"
        if value == f"PAJA-{OULU}":
            return f"PAJA-out{g}"  # the same workshop in both files
        return value

    return [move(e, group[e["client_id"]]) if e["client_id"] in group else e
            for e in events]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("unknown-area")
    out = {}
    for kind in SPREAD:
        db = d / f"{kind}.duckdb"
        replay(write_jsonl(d / f"{kind}.jsonl", _moved(d, kind)), db,
               Settings(pseudonym_key=KEY), SYNTH_AS_OF)
        out[kind] = db
    return out


def _built(db: Path, k: int) -> published.Cube:
    con = _read(db, k)
    try:
        return published.build(con, Rules().handoffs, k=k)
    finally:
        con.close()


def listed(cube: published.Cube) -> dict[str, object]:
    """What each page lists (its rows and places, not their figures), as the pages ask the
    cube for them."""
    ref = municipalities()
    drawn = geo.areas_of([m for m in cube.names if m in ref])
    handoffs = {name: {"places": [(r["internal_area"], r["municipality"], r["level"])
                                  for r in cube.handoff_places(name)],
                       "transfers": [(r["month"], r["internal_area"])
                                     for r in cube.transfers(name)],
                       "began": [(r["gap_type"], r["internal_area"])
                                 for r in cube.began(name)]}
                for name in cube.handoffs}
    return {
        "cells": sorted(map(repr, cube.cells.text)),
        "gaps page": [(r["gap_type"], r["internal_area"], r["municipality"], r["service"])
                      for r in cube.gap_rows()],
        "gaps filters": manager_choices(cube),
        "areas": list(cube.areas),
        "municipalities": {a: list(ms) for a, ms in cube.munis.items()},
        "names": sorted(cube.names),
        "trend": [(d, a) for d, a, _ in cube.trend()],
        "in service": [(d, a) for d, a, _ in cube.in_service()],
        "alerts": [r["internal_area"] for r in cube.alert_counts()],
        "handoffs": handoffs,
        "map rows": [(r["area_key"], r["municipality"], r["service"]) for r in cube.map_rows],
        "map wellbeing areas": drawn,
        "map places": sorted(focus.areas(cube).items()),
    }


def test_the_files_differ_where_the_test_says(files: dict[str, Path]) -> None:
    """The two files have open gaps, handoff contracts and services outside the configured
    areas, in different municipalities."""
    seen = {}
    for kind, db in files.items():
        con = duckdb.connect(str(db), read_only=True)
        try:
            seen[kind] = {
                "gaps": con.execute("SELECT DISTINCT municipality FROM dash_gap_cells "
                                    "WHERE month_end IS NULL AND internal_area = '-'"
                                    ).fetchall(),
                "handoff": con.execute("SELECT DISTINCT municipality FROM dash_handoff_cells "
                                       "WHERE internal_area = '-'").fetchall(),
                "service": con.execute("SELECT DISTINCT municipality FROM dash_service_cells "
                                       "WHERE internal_area IS NULL AND service IS NOT NULL"
                                       ).fetchall()}
        finally:
            con.close()
    assert {m for (m,) in seen["one"]["gaps"]} == {"205", "297"}
    assert {m for (m,) in seen["other"]["gaps"]} == {"091"}
    assert not any(seen["none"].values())
    for what in ("handoff", "service"):
        assert seen["one"][what] and seen["other"][what] and seen["one"][what] != seen[
            "other"][what]


@pytest.mark.parametrize("k", [5, 10])
def test_which_municipalities_outside_the_areas_have_data_is_not_listed(
        files: dict[str, Path], k: int) -> None:
    """Two files that differ only in which municipalities outside the configured areas their
    young people are served in list the same rows and cells on every page (and, as every
    count over the unknown area is the same, publish the same cube)."""
    one, other = (_built(files[kind], k) for kind in ("one", "other"))
    a, b = listed(one), listed(other)
    for what in a:
        assert a[what] == b[what], what
    assert published.stored_form(one) == published.stored_form(other)
    # the unknown area is on the Gaps page as one place with its services
    rows = [r for r in one.gap_rows() if r["internal_area"] == published.OTHER]
    assert rows and {r["municipality"] for r in rows} == {published.ALL}
    assert {r["service"] for r in rows} > {published.ALL}


def test_the_unknown_area_is_listed_whether_or_not_the_data_has_it(
        files: dict[str, Path]) -> None:
    """A file with nobody outside the configured areas lists the unknown area as one with
    someone there does: every place, row and cell, save the figures themselves (the Gaps
    page leaves out a cell that reads 0). The map's services among them: they were listed
    only where someone was in them, which said such a cell was at least 1."""
    none, some = _built(files["none"], 5), _built(files["other"], 5)
    a, b = listed(none), listed(some)
    for what in a:
        if what != "gaps page":
            assert a[what] == b[what], what
    assert published.OTHER in a["areas"] and ("-", None, 1) in a["handoffs"]["2023"]["places"]
    assert [r for r in a["map rows"] if r[0] == published.OTHER] == [
        (published.OTHER, published.ALL, s) for s in ("KTT", "NUPA", "SOSKU")]
    clients = {key: text for key, text in some.cells.text.items() if key[0] == "clients"
               and key[1] == published.OTHER and key[3] != published.ALL}
    assert len(clients) == 3 and set(clients.values()) != {"0"}, clients
    assert {none.cells.text[key] for key in clients} == {"0"}


# --- the service map: every configured municipality's every service, whatever the data -------
def test_the_map_lists_every_configured_municipality_with_every_service(
        tmp_path: Path) -> None:
    """The map listed a municipality's service only where someone was in it, so a listed cell
    was at least 1, hidden or not: where an area's total was withdrawn ('–', 0 to k-1) over
    k-1 listed municipalities, each was 1 (an attack, 2026-12-05: 9 of 26 simulated files at
    k = 5). Now a file of 15 young people lists the same map rows and cells as one of 120."""
    small, large = _cube(tmp_path, 15, 8), _cube(tmp_path, 120, 3)
    rows = {(r["area_key"], r["municipality"], r["service"]) for r in small.map_rows}
    assert rows == {(r["area_key"], r["municipality"], r["service"]) for r in large.map_rows}
    map_keys = {key for key in small.cells.text if key[0] in ("clients", "workshops")}
    assert map_keys == {key for key in large.cells.text if key[0] in ("clients", "workshops")}
    con = _read(tmp_path / "c15-8.duckdb")
    try:
        configured = con.execute("SELECT internal_area, code FROM municipalities "
                                 "WHERE internal_area IS NOT NULL").fetchall()
        served = con.execute("SELECT count(*) FROM dash_service_cells "
                             "WHERE service IS NOT NULL").fetchone()
    finally:
        con.close()
    assert rows == {(a, m, s) for a, m in configured for s in ("KTT", "SOSKU", "NUPA")} | {
        (published.OTHER, published.ALL, s) for s in ("KTT", "SOSKU", "NUPA")}
    assert served is not None and 0 < served[0] < len(configured)  # most rows are no one's


def _least(cube: published.Cube, key: tuple[str, str, str], listed_says: bool) -> int:
    """The least a reader of the map knows a municipality's clients of a service to be: from
    its text, its workshops (each at least one young person there), its producer kinds (each
    at least one workshop) and, where the map lists only cells someone is in, its being
    listed."""
    row = next((r for r in cube.map_rows
                if (r["area_key"], r["municipality"], r["service"]) == key), None)
    clients, workshops = cube.text("clients", *key), cube.text("workshops", *key)
    known = [0, int(clients) if clients.isdigit() else 0,
             1 if clients.startswith("<") else cube.k if clients == ".." else 0,
             int(workshops) if workshops.isdigit() else 0,
             1 if workshops.startswith("<") or workshops == ".." else 0,
             len(row["producer_kinds"]) if row else 0]
    if listed_says and row is not None:
        known.append(1)
    return max(known)


SIMULATED_AS_OF = date(2024, 12, 31)


@pytest.mark.parametrize(("clients", "seed"), [(250, 7), (120, 9)])
def test_no_hidden_area_total_of_the_map_pins_its_municipalities(
        tmp_path: Path, clients: int, seed: int) -> None:
    """An area's young people in service on the as-of date (the overview's figure) are its
    municipalities' clients on the map, summed. Where that total is hidden ('<k' or '–', at
    most k-1), the least its municipalities are known to be must leave it room: a sum of
    lower bounds of k-1 pins every one of them. The simulated region of seed 7 with 250
    young people had Eteläinen's KTT '–' over Haapavesi, Nivala, Reisjärvi and Ylivieska,
    each listed (so at least 1) and so each 1 (the attack, 2026-12-05)."""
    events, db = tmp_path / "e.jsonl", tmp_path / "g.duckdb"
    simulate(SimConfig(seed=seed, clients=clients), events)
    replay(events, db, Settings(pseudonym_key=KEY), SIMULATED_AS_OF)
    con = _read(db)
    try:
        cube = published.build(con, Rules().handoffs, k=5)
        configured = con.execute("SELECT count(*) FROM municipalities "
                                 "WHERE internal_area IS NOT NULL").fetchone()
    finally:
        con.close()
    assert configured is not None
    listed_says = len(cube.map_rows) < (configured[0] + 1) * 3
    day = SIMULATED_AS_OF.isoformat()
    hidden_totals = 0
    for area, ms in cube.munis.items():
        if area == published.OTHER:
            continue
        for service in ("KTT", "SOSKU"):
            total = cube.text("in_service", day, service, area)
            if total.isdigit() or total == "..":
                continue
            hidden_totals += 1
            least = sum(_least(cube, (area, m, service), listed_says) for m in ms)
            assert least < cube.k - 1, (area, service, least)
    assert hidden_totals


def _map_cube(texts: dict[tuple[str, ...], str], k: int = 5) -> published.Cube:
    return published.Cube(k=k, as_of=None, cells=Suppressed(k, dict(texts)), areas=["A"],
                          munis={"A": ["m"]}, names={}, gap_services={}, trend_months=[],
                          handoffs={})


@pytest.mark.parametrize(("clients", "workshops", "kinds", "listed"), [
    ("12", "<5", 2, True), ("12", "<5", 3, False), ("12", "<5", 4, False),
    ("..", "<5", 2, True), ("12", "6", 4, True), ("<5", "<5", 1, False), ("–", "–", 1, False)])
def test_producer_kinds_are_listed_where_they_pin_nothing(
        clients: str, workshops: str, kinds: int, listed: bool) -> None:
    """Each kind listed is a workshop there, and a workshop is a young person. Beside hidden
    clients no kind is listed; beside a '<5' count of workshops none from three kinds up: with
    four kinds of producer, hiding only four (k-1) said that a hidden list was four, which
    pinned the '<5' at 4 (review, 2026-12-05). A hidden list says at least 3 now: 3 or 4."""
    all_kinds = ["company", "municipal", "third_sector", "wellbeing_area"][:kinds]
    key = ("A", "m", "KTT")
    cube = _map_cube({("clients", *key): clients, ("workshops", *key): workshops})
    row = {"area_key": "A", "municipality": "m", "service": "KTT",
           "producer_kinds": all_kinds}
    assert published._kinds(cube, row) == (all_kinds if listed else [])


@pytest.mark.parametrize(("workshops", "local"), [
    (("0", "0", "0"), False), (("0", "–", "0"), None), (("–", "–", "–"), None),
    (("0", "<5", "–"), True), (("12", "0", "0"), True)])
def test_a_local_workshop_is_said_only_as_the_published_cells_say_it(
        workshops: tuple[str, str, str], local: bool | None) -> None:
    """'No local workshop' where every workshop cell of the place reads 0; not published where
    a '–' may hide one (beside withdrawn clients the workshops are '–'); yes where a cell says
    at least 1. Before, a '–' counted as a workshop: a place with none lost its badge."""
    texts = {}
    rows = []
    for s, w in zip(("KTT", "SOSKU", "NUPA"), workshops, strict=True):
        texts[("workshops", "A", "m", s)] = w
        texts[("clients", "A", "m", s)] = {"0": "0", "–": "–", "<5": "<5"}.get(w, "20")
        rows.append({"internal_area": "A", "area_key": "A", "municipality": "m",
                     "municipality_name": "M", "service": s, "producer_kinds": []})
    got = published._map(_map_cube(texts), rows)
    assert {r["has_local_workshop"] for r in got} == {local}
