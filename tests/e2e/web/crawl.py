"""One crawl of the dashboard in headless Chromium that serves every whole-site browser check
at once (issue 13's "done when"): for each user (every role, each in two scopes) and each
language (fi, sv, en) it opens every page of the navigation (the forbidden ones too, and a
missing one), submits the forms that lead to a navigation page (a client's timeline, an SQL
answer), follows the links it finds (in fi and sv, where the words are read), and on each page

- reads every text a person can reach (for the untranslated-word check, fi and sv);
- saves a screenshot (JPEG, the window at 1280 px) of each page of the navigation and each
  submitted form's answer;
- where the caller asks (test_every_page: once per role and page of the navigation or a
  timeline in Finnish, once per page in Swedish and English; the other scope of the same
  role sees the same pages, with other rows), audits it:
  axe-core, captions, chart marks, numbers on the charts, no sideways scroll at 390 and
  1280 px, wide tables in named boxes.

One visit per page does all of it. axe is the slow part (seconds on a page of 500 rows), so it
runs on the pages of the navigation, not on every page the links lead to; the word check
reads those."""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from services.web.app import NAV_PATH
from tests.e2e.web.conftest import PASSWORD
from tests.e2e.web.look import (
    WIDTHS,
    axe_violations,
    faint_chart_marks,
    open_details,
    overflow,
    uncaptioned_tables,
    unreachable_wide_tables,
)

PAGE_CAP = 40  # pages per user and language: every page shape, not every row's link
SHAPE_CAP = 2  # links of one shape (same path, digits and hex collapsed) followed

TEXT_JS = """() => {
  const skip = 'script, style, code, pre, textarea, [translate="no"]';
  const out = [document.title];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (el && !el.closest(skip)) out.push(walk.currentNode.textContent);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [alt], [placeholder]')) {
    if (el.closest(skip)) continue;
    for (const a of ['aria-label', 'title', 'alt', 'placeholder']) {
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
  }
  return out.join('\\n');
}"""
LINKS_JS = """() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"""
# Every text a chart says: axis labels, legends, tooltips and names of its marks.
CHART_TEXT_JS = """() => [...document.querySelectorAll('svg')].flatMap(s => [
    ...[...s.querySelectorAll('text, title')].map(e => e.textContent),
    ...[...s.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label')),
    s.getAttribute('aria-label') || '']).join('\\n')"""
# A count written without the language's grouping: four digits or more that are not a year
# (19xx, 20xx) or a date's, or a comma between thousands (`1,234`).
UNGROUPED = re.compile(r"(?<![\d.,/\-])(?!(?:19|20)\d\d(?!\d))\d{4,}(?![\d.,/])"
                       r"|(?<!\d)\d{1,3},\d{3}(?!\d)")


def shape(path: str) -> str:
    """A page's kind: its path with numbers and references collapsed."""
    return re.sub(r"[0-9a-f]{8,}|\d+", "#", path)


NAV_SHAPES = {shape(p) for p in (*NAV_PATH.values(), "/no-such-page", "/login")}


def ungrouped_numbers(text: str) -> list[str]:
    return UNGROUPED.findall(text)


@dataclass
class Seen:
    """What one user saw in one language: every page's text, the audit's findings, and the
    screenshots saved."""
    user: str | None
    lang: str
    texts: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)
    scope_shown: bool = False  # the header names the user's scope (#scope)
    seconds: float = 0.0  # the whole crawl, and of it the audits and the screenshots
    audit_seconds: float = 0.0
    shot_seconds: float = 0.0


def audit(page: Any, where: str) -> list[str]:
    """The look and accessibility checks of issue 13 on the page as loaded (its <details>
    opened, so what is folded away is checked too)."""
    open_details(page)
    problems = [f"{where}: axe {v['id']} ({v['impact']}): {v['help']} {v['nodes']}"
                for v in axe_violations(page)]
    problems += [f"{where}: table without a caption: {t}" for t in uncaptioned_tables(page)]
    problems += [f"{where}: chart mark under 3:1: {m}" for m in faint_chart_marks(page)]
    problems += [f"{where}: a chart's number not written the language's way: {n}"
                 for n in ungrouped_numbers(page.evaluate(CHART_TEXT_JS))]
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            if (px := overflow(page)) > 0:
                problems.append(f"{where}: {px} px sideways scroll at {width} px")
            problems += [f"{where}: at {width} px a wide table in no focusable named box: "
                         f"{t}" for t in unreachable_wide_tables(page)]
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def crawl(context: Any, url: str, user: str | None, lang: str, shots: Path,
          audit_now: Callable[[str], bool], shape_cap: int = SHAPE_CAP) -> Seen:
    """Every page `user` reaches in `lang`: the navigation, the forms' answers, and links of
    each shape up to `shape_cap` (0: no links followed). `audit_now(shape)` says whether to
    audit a page of that shape (the caller keeps one audit per role, language and page)."""
    start = time.monotonic()
    seen = Seen(user, lang)
    context.clear_cookies()
    page = context.new_page()
    shot_shapes: set[str] = set()

    def visited(where: str, path: str) -> None:
        seen.texts[where] = page.evaluate(TEXT_JS)
        seen.scope_shown = seen.scope_shown or page.locator("#scope").count() > 0
        s = ("POST " if where.startswith("POST") else "") + shape(path)
        if audit_now(s):
            t0 = time.monotonic()
            seen.audited.append(where)
            seen.problems += audit(page, f"{user or 'signed out'} {lang} {where}")
            seen.audit_seconds += time.monotonic() - t0
        if s not in shot_shapes and (s in NAV_SHAPES or s.startswith("POST")):
            t0 = time.monotonic()
            shot_shapes.add(s)
            name = re.sub(r"[^\w]+", "-", f"{user or 'signed-out'}-{lang}-{s}").strip("-")
            target = shots / f"{name}.jpg"
            page.screenshot(path=str(target), type="jpeg", quality=70)
            seen.shots.append(target)
            seen.shot_seconds += time.monotonic() - t0

    try:
        page.goto(url + "/login")
        if user is not None:
            page.fill("#username", user)
            page.fill("#password", PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url(url + "/")
        context.add_cookies([{"name": "lang", "value": lang, "url": url}])
        queue = ([*NAV_PATH.values(), "/no-such-page"] if user else ["/login"])
        shapes: dict[str, int] = {}
        posted: set[str] = set()
        while queue and len(seen.texts) < PAGE_CAP:
            path = queue.pop(0)
            if path in seen.texts:
                continue
            page.goto(url + path)
            visited(path, path)
            for href in page.evaluate(LINKS_JS):
                p = urlsplit(href)
                target = p.path + (f"?{p.query}" if p.query else "")
                if p.netloc or not p.path.startswith("/") or p.path.startswith(
                        ("/lang/", "/logout", "/static/")) or p.path.endswith(
                        (".csv", ".xlsx")):
                    continue
                if target not in seen.texts and shapes.get(shape(target), 0) < shape_cap:
                    shapes[shape(target)] = shapes.get(shape(target), 0) + 1
                    queue.append(target)
            # The forms that lead to a page of the navigation (a timeline, an SQL answer).
            for action in NAV_PATH.values():
                button = page.locator(f'main form[method="post"][action="{action}"] '
                                      'button[type="submit"]').first
                if action in posted or button.count() == 0:
                    continue
                posted.add(action)
                with page.expect_navigation():
                    button.evaluate("b => b.form.requestSubmit(b)")
                visited(f"POST {action} from {path}", action)
    finally:
        page.close()
    seen.seconds = time.monotonic() - start
    return seen
