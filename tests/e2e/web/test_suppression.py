"""Small-number suppression as a manager sees it (the dash_* views the pages show verbatim):
no count from 1 to k-1 is shown, the threshold k is the dashboard's setting, and where a total
stands beside its parts, no hidden count can be got back by subtracting shown ones — not even
by solving one sum, filling it in, and going on with the next (the attack below)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from services.web.db import SUPPRESS_VAR

STATUSES = ("transferred", "transferred_late", "pending", "ended_untransferred")
Cell = tuple[str, ...]
Sum = tuple[Cell, list[Cell]]  # (total, parts)


@pytest.fixture(params=[5, 10, 20])
def con(request: pytest.FixtureRequest, web_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(web_db), read_only=True)
    c.execute(f"SET VARIABLE {SUPPRESS_VAR} = {int(request.param)}")
    yield c
    c.close()


def dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def recover(shown: dict[Cell, str], sums: list[Sum]) -> dict[Cell, int]:
    """Everything subtraction gives: solve any sum with one unknown cell, take that cell as
    known, repeat until nothing changes. Returns the hidden cells it found."""
    known = {c: int(v) for c, v in shown.items() if v.isdigit()}
    found: dict[Cell, int] = {}
    progress = True
    while progress:
        progress = False
        for total, parts in sums:
            unknown = [c for c in (total, *parts) if c not in known]
            if len(unknown) != 1:
                continue
            (cell,) = unknown
            rest = sum(known[p] for p in parts if p in known)
            known[cell] = found[cell] = rest if cell == total else known[total] - rest
            progress = True
    return found


def handoff_by_place(con: duckdb.DuckDBPyConnection, view: str
                     ) -> tuple[dict[Cell, str], list[Sum]]:
    rows = dicts(con, f"SELECT * FROM {view}")
    shown: dict[Cell, str] = {}
    sums: list[Sum] = []
    for r in rows:
        key = (str(r["level"]), str(r["internal_area"]), str(r["municipality"]))
        for col in ("cohort", *STATUSES):
            shown[(*key, col)] = str(r[col])
        sums.append(((*key, "cohort"), [(*key, s) for s in STATUSES]))
    for col in ("cohort", *STATUSES):
        region = ("3", "None", "None", col)
        sums.append((region, [("1", str(r["internal_area"]), "None", col)
                              for r in rows if r["level"] == 1]))
        for a in (r for r in rows if r["level"] == 1):
            sums.append((("1", str(a["internal_area"]), "None", col), [
                ("0", str(r["internal_area"]), str(r["municipality"]), col)
                for r in rows if r["level"] == 0 and r["internal_area"] == a["internal_area"]]))
    return shown, sums


def handoff_weekly(con: duckdb.DuckDBPyConnection) -> tuple[dict[Cell, str], list[Sum]]:
    rows = dicts(con, "SELECT * FROM dash_handoff_weekly")
    shown = {(str(r["week"]), str(r["internal_area"]), col): str(r[col])
             for r in rows for col in ("transferred", "transferred_late")}
    sums = [((week, "None", col), [(w, a, c) for (w, a, c) in shown
                                   if w == week and c == col and a != "None"])
            for (week, area, col) in shown if area == "None"]
    return shown, sums


def gaps_summary(con: duckdb.DuckDBPyConnection) -> tuple[dict[Cell, str], list[Sum]]:
    """The open gaps of a type on the Gaps page add up to the overview's count of the type."""
    rows = dicts(con, "SELECT * FROM dash_gaps_summary WHERE is_open")
    shown = {tuple(str(v) for v in r.values()): str(r["gaps"]) for r in rows}
    sums = []
    for t in dicts(con, "SELECT * FROM dash_open_gaps"):
        total = ("total", t["gap_type"])
        shown[total] = str(t["open_gaps"])
        sums.append((total, [c for c in shown if c[0] == t["gap_type"]]))
    return shown, sums


def test_no_count_a_manager_sees_is_below_the_threshold(con: duckdb.DuckDBPyConnection
                                                        ) -> None:
    k = con.execute(f"SELECT getvariable('{SUPPRESS_VAR}')").fetchone()[0]  # type: ignore
    seen = [v for view, cols in (
        ("dash_open_gaps", ("open_gaps",)), ("dash_gaps_weekly", ("open_gaps",)),
        ("dash_gaps_summary", ("gaps",)), ("dash_handoff_by_place", ("cohort", *STATUSES)),
        ("dash_handoff_weekly", ("transferred", "transferred_late")),
        ("dash_service_map", ("active_clients", "workshops")))
        for r in dicts(con, f"SELECT * FROM {view}") for v in (r[c] for c in cols)]
    assert f"<{k}" in seen and ".." in seen
    assert not [v for v in seen if str(v).isdigit() and 1 <= int(v) < k]


@pytest.mark.parametrize("table", ["handoff_by_place", "handoff_weekly", "gaps_summary"])
def test_no_hidden_count_can_be_recovered_by_subtraction(con: duckdb.DuckDBPyConnection,
                                                         table: str) -> None:
    shown, sums = {"handoff_by_place": lambda: handoff_by_place(con, "dash_handoff_by_place"),
                   "handoff_weekly": lambda: handoff_weekly(con),
                   "gaps_summary": lambda: gaps_summary(con)}[table]()
    hidden = [c for c, v in shown.items() if not v.isdigit()]
    assert hidden, "nothing is suppressed: the test would prove nothing"
    assert recover(shown, sums) == {}


def test_without_the_second_cells_subtraction_would_give_counts_away(
        con: duckdb.DuckDBPyConnection) -> None:
    """The attack has teeth: with only the small counts hidden (the '..' cells shown as
    their true counts), it recovers some of them."""
    shown, sums = handoff_by_place(con, "dash_handoff_by_place")
    true, _ = handoff_by_place(con, "dash_handoff_by_place_counts")
    k = con.execute(f"SELECT getvariable('{SUPPRESS_VAR}')").fetchone()[0]  # type: ignore
    primary_only = {c: true[c] if v == ".." else v for c, v in shown.items()}
    found = recover(primary_only, sums)
    assert found and all(1 <= v < k and str(v) == true[c] for c, v in found.items())


def test_the_dashboard_setting_sets_the_threshold_of_every_page(web_db: Path,
                                                               tmp_path: Path) -> None:
    """JATKUMO_SUPPRESS_BELOW=10 through the real app and HTTP: pages show '<10', never '<5'
    and never a count from 1 to 9, and the note says so."""
    import asyncio
    import re
    from concurrent.futures import ThreadPoolExecutor

    from aiohttp.test_utils import TestClient, TestServer

    from services.config import load_web
    from services.web.auth import User, hash_password
    from services.web.db import file_connector
    from services.web.server import build_app
    from services.web.webstore import WebStore

    settings = load_web({"JATKUMO_SUPPRESS_BELOW": "10", "JATKUMO_ALERT_SYNC_SECONDS": "3600"})
    assert settings.suppress_below == 10
    users = {"maija": User("maija", "manager", hash_password("pw"))}

    async def pages() -> list[str]:
        app = build_app(web_db, settings, users, file_connector(web_db),
                        store=WebStore(tmp_path / "web.duckdb"))
        async with TestClient(TestServer(app)) as client:
            r = await client.post("/login", data={"username": "maija", "password": "pw"})
            assert r.status == 200
            got = []
            for path in ("/", "/map", "/gaps", "/gaps.csv"):
                r = await client.get(path)
                assert r.status == 200, path
                got.append(await r.text())
            return got

    # On a thread of its own: Playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        texts = pool.submit(asyncio.run, pages()).result()
    cells = [c for t in texts[:3] for c in re.findall(r'<td class="n">([^<]*)</td>', t)]
    cells += [line.rsplit(",", 1)[-1] for line in texts[3].splitlines()[1:]]
    assert "&lt;10" in cells or "<10" in cells
    assert not [c for c in cells if c in ("&lt;5", "<5") or (c.isdigit() and 1 <= int(c) < 10)]
    assert "1–9" in texts[0] and "&lt;10" in texts[0]
