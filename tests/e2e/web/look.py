"""Browser helpers for the look and accessibility tests: the pages of the navigation, a
client's timeline, the vendored axe-core, and measures of overflow, captions and the focus
ring. tests/e2e/web/crawl.py runs them on every page of the navigation as the server renders
it, so pages added or changed later are checked without touching the tests."""

import contextlib
import hashlib
import hmac
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from services.web.design_tokens import contrast

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LANGS = ("fi", "sv", "en")
WIDTHS = (390, 1280)
SECRET = b"test-secret"  # JATKUMO_WEB_SECRET of the server fixture
# WCAG 2.1 A and AA rules plus axe's best practices (landmarks, headings, region).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def ref_of(client_id: str) -> str:
    """The opaque reference the server gives a client (services/web/db.py Refs.of)."""
    return hmac.new(SECRET, b"client:" + client_id.encode(), hashlib.sha256).hexdigest()[:20]


def richest_client(db: Path) -> str:
    """The client whose timeline has the most to draw: a transfer, gaps, referrals, workers."""
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("""
            SELECT client_id FROM events
            GROUP BY client_id
            ORDER BY count(DISTINCT event_type) DESC,
                     count(*) FILTER (WHERE event_type = 'responsibility.transferred') DESC,
                     client_id
            LIMIT 1""").fetchone()
    assert row is not None
    return str(row[0])


def nav_paths(page: Any, server: str) -> list[str]:
    page.goto(server + "/")
    hrefs = page.eval_on_selector_all("header nav a[href]", "as => as.map(a => a.href)")
    paths = ["/"]
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc == urlsplit(server).netloc:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path not in paths:
                paths.append(path)
    return paths


def open_timeline(page: Any, server: str, ref: str) -> None:
    page.goto(server + "/timeline")
    page.fill("#ref", ref)
    page.click("main form[action='/timeline'] button[type=submit]")
    page.wait_for_selector("#timeline-chart svg")


def open_details(page: Any) -> None:
    """Open every <details>, so what is folded away is checked too."""
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical violations of axe-core in the page as it is now. The script is
    evaluated through the devtools protocol, which the page's CSP does not govern."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' +
                                               n.failureSummary)}));
        }""", AXE_TAGS)
    return [v for v in result if v["impact"] in ("serious", "critical")]


def overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scroll)."""
    return int(page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def uncaptioned_tables(page: Any) -> list[str]:
    return list(page.evaluate("""() => [...document.querySelectorAll('table')]
        .filter(t => !(t.caption && t.caption.textContent.trim()))
        .map(t => t.id || t.className || t.outerHTML.slice(0, 60))"""))


_UNREACHABLE = """() => [...document.querySelectorAll('table')]
    .filter(t => {
        const box = t.parentElement;
        if (!box || box.scrollWidth <= box.clientWidth + 1) return false;
        return !(box.tabIndex >= 0 && (box.getAttribute('aria-labelledby') ||
                                       box.getAttribute('aria-label')));
    }).map(t => t.id || t.className || 'table')"""


def unreachable_wide_tables(page: Any) -> list[str]:
    """Tables wider than their box must scroll inside a focusable, named wrapper (keyboard
    users can scroll it, screen readers announce it). The page marks boxes when their size
    changes (a ResizeObserver): wait up to 2 s for that before naming the tables that fail."""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(f"() => ({_UNREACHABLE})().length === 0", timeout=2000)
    return list(page.evaluate(_UNREACHABLE))


_FOCUS = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const s = getComputedStyle(e);
    let p = e.parentElement, bg = 'rgb(255, 255, 255)';
    while (p) {
        const c = getComputedStyle(p).backgroundColor;
        if (c && c !== 'transparent' && !c.startsWith('rgba(0, 0, 0, 0)')) { bg = c; break; }
        p = p.parentElement;
    }
    const text = (e.textContent || '').trim().slice(0, 20);
    const what = e.tagName + (e.id ? '#' + e.id : '') + ' ' + text;
    if (s.outlineStyle === 'none' && e instanceof SVGElement) {
        // A shape in a picture (a map's municipality) may show focus by its own stroke:
        // measured against the shape's fill, or the page around it if it has none.
        const shape = e.querySelector('path, rect, circle, polygon') || e;
        const g = getComputedStyle(shape);
        const fill = g.fill && g.fill.startsWith('rgb') ? g.fill : bg;
        return {what, style: g.stroke === 'none' ? 'none' : 'svg-stroke',
                width: parseFloat(g.strokeWidth), colour: g.stroke, background: fill};
    }
    return {what, style: s.outlineStyle, width: parseFloat(s.outlineWidth),
            colour: s.outlineColor, background: bg};
}"""


def focus_rings(page: Any, steps: int = 30) -> list[dict[str, Any]]:
    """Tab through the page; for each focused element its outline and the colour around it
    (the first opaque background of an ancestor: where an offset ring is drawn)."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    page.locator("body").focus()
    seen: list[dict[str, Any]] = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        ring = page.evaluate(_FOCUS)
        if ring is None or (seen and ring["what"] == seen[0]["what"]):
            break
        ring["contrast"] = contrast(ring["colour"], ring["background"])
        seen.append(ring)
    return seen


def faint_chart_marks(page: Any) -> list[str]:
    """Chart marks under 3:1 against white (WCAG 2.1 1.4.11): the lines of every line chart
    (`svg.chart`, services/web/svg.py) and every mark of the client timeline."""
    marks = page.evaluate("""() => [
        ...[...document.querySelectorAll('svg.chart path[fill="none"]')]
            .map(e => getComputedStyle(e).stroke),
        ...[...document.querySelectorAll('#timeline-chart [data-mark]')]
            .map(e => e.dataset.mark)]""")
    return sorted({f"{c} {contrast(c, '#ffffff'):.2f}:1" for c in marks
                   if c.startswith(("rgb", "hsl", "#")) and contrast(c, "#ffffff") < 3})
