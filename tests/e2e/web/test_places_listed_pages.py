"""The unknown area over HTTP: two files that differ only in which municipalities outside the
configured internal areas their young people are served in (tests/e2e/test_places_listed.py
builds them) give a manager the same pages, table for table, row for row: the Overview (every
handoff), the Gaps page and its CSVs, the Alerts counts, the Service map in every measure and
level (the municipalities it draws, its picker) and /metrics. Before, the Gaps page, the
handoff table and the map listed the municipalities outside the areas that the data had, and
the map drew their wellbeing areas."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.config import Settings
from services.replay import replay
from services.web.i18n import translate
from tests.e2e.test_places_listed import KEY, SYNTH_AS_OF, _moved
from tests.e2e.web.attack import Browser, collect, primary_only, tables, true_cells
from tests.e2e.web.conftest import PASSWORD, free_port, serving
from tests.helpers import write_jsonl

PAGES = ("/", "/?handoff=2023", "/gaps", "/gaps?area=-", "/gaps.csv", "/gaps.csv?format=csv-plain",
         "/alerts", "/map", "/map?level=area", "/map?measure=handoff",
         "/map?measure=handoff&level=area", "/metrics")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, users_file: Path) -> Iterator[dict[str, str]]:
    d = tmp_path_factory.mktemp("unknown-area-pages")
    env = {**os.environ, "JATKUMO_USERS": str(users_file), "JATKUMO_WEB_SECRET": "test-secret",
           "JATKUMO_ALERTMANAGER_URL": "", "JATKUMO_SUPPRESS_BELOW": "5"}
    urls: dict[str, str] = {}
    dbs = {}
    for kind in ("one", "other"):
        dbs[kind] = d / f"{kind}.duckdb"
        replay(write_jsonl(d / f"{kind}.jsonl", _moved(d, kind)), dbs[kind],
               Settings(pseudonym_key=KEY), SYNTH_AS_OF)
    with serving(dbs["one"], free_port(), env) as one, \
            serving(dbs["other"], free_port(), env) as other:
        urls.update(one=one, other=other, one_db=str(dbs["one"]), other_db=str(dbs["other"]))
        yield urls


def _seen(url: str, path: str) -> object:
    """What a manager is shown on a page: its tables (every row and cell), its choices and
    the municipalities the map draws; a CSV or /metrics as its lines."""
    b = Browser(url)
    b.sign_in("maija", PASSWORD)
    text = b.get(path)
    if path == "/metrics":  # the published counts (the rest times the server)
        return [line for line in text.splitlines() if line.startswith("jatkumo_open_gaps")]
    if path.startswith("/gaps.csv"):
        return text.splitlines()
    return {"tables": tables(text),
            "options": re.findall(r"<option value=\"([^\"]*)\"[^>]*>([^<]*)</option>", text),
            "drawn": sorted(re.findall(r'data-code="(\d{3})" data-state="(\w+)"', text))}


def test_a_manager_sees_the_same_pages_whichever_municipalities_outside_the_areas_have_data(
        served: dict[str, str]) -> None:
    for path in PAGES:
        one, other = (_seen(served[kind], path) for kind in ("one", "other"))
        assert one == other, path
    # and the unknown area is there, as one place in words
    page = Browser(served["one"])
    page.sign_in("maija", PASSWORD)
    gaps = page.get("/gaps?area=-")
    other = translate("area_other", "fi")
    assert other in gaps and 'id="area-other-note"' in gaps
    rows = {tid: rs for tid, _, rs in tables(gaps)}["gap-table"][1:]
    assert rows and {r[1] for _, r in rows} == {"-"}  # tables() reads the name as its code
    assert {r[2] for _, r in rows} == {translate("all", "fi")}
    drawn = _seen(served["one"], "/map")
    assert isinstance(drawn, dict) and drawn["drawn"]
    assert not {code for code, _ in drawn["drawn"]} & {"205", "297", "091"}


def test_nothing_is_recovered_with_young_people_outside_the_areas(
        served: dict[str, str]) -> None:
    """The LP attack of test_suppression.py on a file with people outside the configured
    areas (the demo region has none): with the unknown area as one place, every figure a
    manager can reach still gives no hidden count away; with only the small counts hidden
    (their true figures read from the file, the unknown area's as one place) it finds some."""
    for kind in ("one", "other"):
        system = collect(served[kind], "maija", PASSWORD, 5)
        hidden, recovered = system.audit()
        print(f"{kind}: {hidden} hidden figures, {len(system.constraints)} published figures, "
              f"recovered {len(recovered)}")
        assert hidden > 20 and recovered == {}
        assert any(v[2] == "-" for v in {c for cs, _, _ in system.figures for c in cs}
                   if v[0] == "G")
        _, weaker = primary_only(system, true_cells(served[f"{kind}_db"])).audit()
        assert weaker, "the attack found nothing even without secondary suppression"
