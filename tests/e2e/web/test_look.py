"""WCAG 2.1 AA in a real browser. Every page every role reaches, in Finnish, Swedish and
English, is audited in the one crawl of test_every_page.py (axe-core, vendored: no serious or
critical violation; every table captioned; chart marks 3:1 on white; no sideways scroll at 390
or 1280 px). Here: the sign-in page, the focus ring (at least 3:1 from what is around it), the
timeline on a narrow screen, and controls that the checks catch what they are for."""

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.web.look import (
    WIDTHS,
    axe_violations,
    faint_chart_marks,
    focus_rings,
    nav_paths,
    open_timeline,
    overflow,
    ref_of,
    richest_client,
    uncaptioned_tables,
)
from tests.e2e.web.test_pages import shot


@pytest.fixture(scope="module")
def client_ref(web_db: Path) -> str:
    return ref_of(richest_client(web_db))


def test_sign_in_page_passes_axe_at_both_widths(context: Any, server: str) -> None:
    context.clear_cookies()
    page = context.new_page()
    try:
        for lang in ("fi", "sv", "en"):
            page.goto(server + f"/lang/{lang}")
            page.goto(server + "/login")
            assert axe_violations(page) == [], lang
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                assert overflow(page) == 0, (lang, width)
            page.set_viewport_size({"width": 1280, "height": 900})
    finally:
        page.close()


def test_the_focus_ring_is_visible_and_contrasts_three_to_one(page_as: Any, server: str,
                                                              client_ref: str) -> None:
    page = page_as("root")  # the admin reaches every page
    measured: list[dict[str, Any]] = []
    for path in nav_paths(page, server):
        page.goto(server + path)
        measured += [{**r, "page": path} for r in focus_rings(page)]
    open_timeline(page, server, client_ref)
    measured += [{**r, "page": "timeline"} for r in focus_rings(page)]
    shot(page, "timeline-focus")
    assert len(measured) > 20
    bad = [r for r in measured if r["style"] == "none" or r["width"] < 2 or r["contrast"] < 3]
    assert bad == [], bad
    assert min(r["contrast"] for r in measured) >= 3


def test_narrow_screen_keeps_the_timeline_in_its_own_scroll_box(page_as: Any, server: str,
                                                                client_ref: str) -> None:
    page = page_as("antti")
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        open_timeline(page, server, client_ref)
        assert overflow(page) == 0
        box = page.locator(".tl-box")
        assert box.get_attribute("tabindex") == "0" and box.get_attribute("aria-labelledby")
        assert page.evaluate("() => { const b = document.querySelector('.tl-box');"
                             " return b.scrollWidth > b.clientWidth; }")
        shot(page, "timeline-390")
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_the_checks_catch_what_they_are_for(context: Any, server: str) -> None:
    """A control: the same checks on a page spoiled on purpose in the browser (faint text,
    an uncaptioned table, a too wide box, a focus ring turned off) report each defect."""
    context.clear_cookies()
    page = context.new_page()
    try:
        page.goto(server + "/login")
        page.evaluate("""() => {
            const p = document.createElement('p');
            p.textContent = 'haalea teksti'; p.style.color = '#c8c8c8';
            const t = document.createElement('table');
            t.innerHTML = '<tr><th>a</th></tr>';
            const wide = document.createElement('div'); wide.style.width = '2000px';
            wide.textContent = 'leveä';
            const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
            svg.setAttribute('class', 'chart');
            svg.innerHTML = '<path d="M0,0L9,9" fill="none" stroke="#E69F00"/>';
            document.querySelector('main').append(p, t, wide, svg);
            document.querySelectorAll('input, button').forEach(e => {
                e.style.outline = '1px solid #dddddd'; e.style.outlineOffset = '2px'; });
        }""")
        assert "color-contrast" in [v["id"] for v in axe_violations(page)]
        assert len(uncaptioned_tables(page)) == 1
        assert faint_chart_marks(page) == ["rgb(230, 159, 0) 2.25:1"]
        assert overflow(page) > 500
        rings = focus_rings(page)
        assert rings and min(r["contrast"] for r in rings) < 3
    finally:
        page.close()
