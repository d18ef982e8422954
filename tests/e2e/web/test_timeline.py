"""The client timeline in a real browser: every lane of the client's facts on one axis, a
legend, the handoff day marked, no two labels overlapping (measured by their boxes as drawn),
the chart ending on the tables' as-of date, the event list folded and in words, marks at
least 3:1, and the client's id in no URL."""

from pathlib import Path
from typing import Any

import duckdb
import pytest

from services.web.design_tokens import contrast
from tests.e2e.web.look import open_timeline, ref_of, richest_client
from tests.e2e.web.test_pages import shot

LABELS = "svg.tl text"


@pytest.fixture(scope="module")
def client(web_db: Path) -> dict[str, Any]:
    cid = richest_client(web_db)
    with duckdb.connect(str(web_db), read_only=True) as con:
        def count(sql: str) -> int:
            row = con.execute(sql, [cid]).fetchone()
            return int(row[0]) if row else 0
        facts = {
            "id": cid, "ref": ref_of(cid),
            "contracts": count("SELECT count(*) FROM contracts WHERE client_id = ?"),
            "gap_types": count("SELECT count(DISTINCT gap_type) FROM continuity_gaps "
                               "WHERE client_id = ?"),
            "referrals": count("SELECT count(*) FROM referrals WHERE client_id = ?"),
            "attendance": count("SELECT count(*) FROM events WHERE client_id = ? AND "
                                "event_type = 'attendance.recorded' AND effective_date <= "
                                "(SELECT max(as_of_date) FROM as_of)"),
            "events": count("SELECT count(*) FROM events WHERE client_id = ? AND "
                            "effective_date <= (SELECT max(as_of_date) FROM as_of)"),
        }
    assert facts["contracts"] and facts["gap_types"] and facts["attendance"]
    return facts


def boxes(page: Any, selector: str) -> list[dict[str, Any]]:
    return list(page.eval_on_selector_all(selector, """els => els.map(e => {
        const b = e.getBoundingClientRect();
        return {text: e.textContent, x: b.x, y: b.y, w: b.width, h: b.height};
    })"""))


def overlapping(bs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(bs):
        for b in bs[i + 1:]:
            if (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
                    and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]):
                out.append((a["text"], b["text"]))
    return out


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_timeline_shows_every_lane_a_legend_and_the_handoff_without_overlaps(
        page_as: Any, server: str, client: dict[str, Any], lang: str) -> None:
    page = page_as("antti")
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(server + f"/lang/{lang}")
    open_timeline(page, server, client["ref"])
    lanes = page.eval_on_selector_all("svg.tl g.tl-lane", "gs => gs.map(g => g.dataset.lane)")
    assert lanes.count("contract") == client["contracts"]
    assert lanes.count("gap") == client["gap_types"]
    assert lanes[-1] == "attendance"
    assert ("referral" in lanes) == bool(client["referrals"])
    marks = page.locator("svg.tl [data-lane=attendance] rect")
    assert marks.count() == client["attendance"]  # a mark per recorded day
    # 1.1.2023, the handoff, is marked and labelled.
    handoff = page.locator("svg.tl g.tl-handoff[data-date='2023-01-01']")
    assert handoff.count() == 1 and "1.1.2023" in (handoff.text_content() or "")
    # A legend names each kind of mark, in the page's language.
    legend = page.locator(".tl-legend li").all_inner_texts()
    expected = {"fi": "Vastuun siirtopäivä", "sv": "Överföringsdag", "en": "Handoff day"}[lang]
    assert len(legend) >= 4 and any(expected in t for t in legend)
    # No two labels of the chart overlap as the browser draws them, at two widths.
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        drawn = boxes(page, LABELS)
        assert len([b for b in drawn if b["w"] > 0]) >= 5
        assert overlapping(drawn) == [], width
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator("svg.tl text.tl-month").count() >= 3
    # The chart ends where the tables do: on the as-of date.
    as_of = page.locator("#tl-as-of").get_attribute("data-date")
    assert page.locator("svg.tl").get_attribute("data-last") == as_of
    # The event list is folded, complete and in words.
    details = page.locator("details#tl-events")
    assert details.get_attribute("open") is None
    assert not page.locator("#tl-event-list").is_visible()
    details.locator("summary").click()
    rows = page.locator("#tl-event-list tbody tr")
    assert rows.count() == client["events"]
    text = page.locator("#tl-event-list").inner_text()
    for code in ("attendance.recorded", "worker.assigned", "contract.signed", "municipality:",
                 "wellbeing_area:"):
        assert code not in text, code
    shot(page, f"timeline-{lang}")
    assert not [u for u in urls if client["id"] in u or client["ref"] in u]


def test_every_mark_of_the_chart_and_legend_is_3_to_1_against_white(
        page_as: Any, server: str, client: dict[str, Any]) -> None:
    page = page_as("antti")
    open_timeline(page, server, client["ref"])
    colours = set(page.eval_on_selector_all(
        "#timeline-chart [data-mark]", "els => els.map(e => e.dataset.mark)"))
    assert len(colours) >= 4
    low = {c: round(contrast(c, "#ffffff"), 2) for c in colours if contrast(c, "#ffffff") < 3}
    assert low == {}


def test_on_a_phone_the_timeline_opens_at_its_latest_months(
        page_as: Any, server: str, client: dict[str, Any]) -> None:
    """At 390 px the chart scrolls in its box; it opened at its first year, an empty grid,
    with the client's contract and gap off to the right (a review, 2026-12-07)."""
    page = page_as("antti")
    page.set_viewport_size({"width": 390, "height": 844})
    open_timeline(page, server, client["ref"])
    left, width, total = page.eval_on_selector(
        ".tl-box", "b => [b.scrollLeft, b.clientWidth, b.scrollWidth]")
    assert total > width  # it does scroll on a phone
    assert left + width >= total - 1  # at its right end: the as-of date in view
