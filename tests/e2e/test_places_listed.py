"""The places and services of the Gaps page's cells do not depend on the data: a municipality
(of a configured internal area) or a service listed only where some gap was open told a
reader that one of its withdrawn cells ('–', 0 to k-1) was at least 1, and an attack at
k = 3 pinned three counts with that (2026-12-04). Real replays into real DuckDB files."""

from pathlib import Path

import pytest

from services.config import Settings
from services.replay import replay
from services.web import published
from streams.core import Rules
from tests.e2e.test_stored_cube import AS_OF, KEY, _events, _read
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
    """The gap cells of the configured areas (the unknown area '-' lists what the data has)."""
    return {key[1:] for key in cube.cells.text
            if isinstance(key, tuple) and key[0] == "gap" and key[2] != "-"}


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


@pytest.mark.parametrize(("clients", "seed", "k"), [(120, 3, 5), (15, 8, 5)])
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
