"""The facts about the 'began before the handoff' cells that no published sum states, stated
for the suppression (services/web/published.py, _began_within_trend) without changing a
published figure: a review found a handoff named like a month end giving two of its unpublished
rests one key (a trend figure moved from 50 to 46), and two handoffs in one month, whose tables
are the same cells, published differently (one table's '–' the other's 0)."""

from datetime import date
from pathlib import Path

import pytest

from services.config import Settings
from services.replay import replay
from services.web import published
from streams.core import Rules
from streams.core.rules import Handoff
from tests.e2e.test_stored_cube import AS_OF, KEY, _events, _read
from tests.helpers import write_jsonl


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("began")
    path = tmp / "g.duckdb"
    replay(write_jsonl(tmp / "e.jsonl", _events(300, 4)), path, Settings(pseudonym_key=KEY),
           AS_OF)
    return path


def _cube(db: Path, handoffs: tuple[Handoff, ...], k: int) -> published.Cube:
    con = _read(db)
    try:
        return published.build(con, handoffs, k=k)
    finally:
        con.close()


def _shown_trend(cube: published.Cube) -> dict[tuple[object, ...], str]:
    return {key: text for key, text in cube.cells.text.items()
            if isinstance(key, tuple) and key[0] == "trend" and text.isdigit()}


def test_a_handoff_named_like_a_month_end_changes_no_published_figure(db: Path) -> None:
    default = Rules().handoffs
    named = (*default, Handoff("2023-06-30", frozenset({"NUPA"}), "municipality",
                               "wellbeing_area", date(2024, 1, 1), 14))
    plain = (*default, Handoff("nupa", frozenset({"NUPA"}), "municipality",
                               "wellbeing_area", date(2024, 1, 1), 14))
    for k in (3, 5):
        a, b = _shown_trend(_cube(db, named, k)), _shown_trend(_cube(db, plain, k))
        assert a and all(a[key] == b[key] for key in a.keys() & b.keys()), k
        con = _read(db)
        try:
            true = {("trend", m.isoformat(), t, area): n for m, t, area, n in con.execute(
                "SELECT month_end, gap_type, internal_area, n FROM dash_gap_cells "
                "WHERE month_end IS NOT NULL").fetchall()}
        finally:
            con.close()
        assert all(int(text) == true.get(key, 0) for key, text in a.items()
                   if key[3] != published.ALL), k


def test_two_handoffs_in_one_month_publish_their_began_tables_alike(db: Path) -> None:
    both = (Handoff("a", frozenset({"KTT"}), "municipality", "wellbeing_area",
                    date(2023, 1, 1), 14),
            Handoff("b", frozenset({"SOSKU"}), "municipality", "wellbeing_area",
                    date(2023, 1, 20), 14))
    for k in (3, 5, 10):
        cube = _cube(db, both, k)
        began = {key[2:]: text for key, text in cube.cells.text.items()
                 if isinstance(key, tuple) and key[0] == "began" and key[1] == "a"}
        assert began
        assert all(cube.cells.text.get(("began", "b", *rest)) == text
                   for rest, text in began.items()), k
