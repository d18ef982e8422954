"""Finnish first, complete: headless Chromium signs in as every role that exists
(services.web.auth.PERMISSIONS), in Finnish and in Swedish, opens every page of the navigation
(the forbidden ones too, and a missing one), follows the links it finds on them, submits the
forms that lead to a navigation page (a client's timeline, an SQL query), and reads every text a
person can reach: text nodes (closed <details>, options and screen-reader captions included),
chart tooltips, aria-labels, titles and the page title.

A word fails the test unless it is a word of that language's column of the catalogue
(services/web/i18n.py), a month or day name of that language (Babel), a place name of the data,
or a proper name of the allow-list below. So `completed`, `view`, `sign_in` or
`worker.assigned` on a Finnish page fail it, and so will any English a later change lets
through. Only text that is code by nature is exempt, marked as such in the page: <code>, <pre>,
<textarea> and elements with the standard HTML attribute translate="no" (identifiers, user
names, an analyst's own SQL result, DuckDB's own message)."""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest
from babel.dates import get_day_names, get_month_names

from services.web.app import NAV_PATH
from services.web.auth import PERMISSIONS, hash_password
from services.web.formats import LOCALES
from services.web.i18n import _T, LANG_NAMES, LANGS
from tests.e2e.web.conftest import PASSWORD, free_port, serving

# Proper names and abbreviations that stay as they are in every language.
ALLOWED = {"jatkumo", "KTT", "SOSKU", "NUPA", "SQL", "CSV", "XLSX", "Alertmanager", "EET", "EEST",
           "htmx", "DuckDB", "klo", "kl"}
PAGE_CAP = 40  # pages per role and language: every page shape, not every row's link
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


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]+", text) if len(w) > 1}


def vocabulary(lang: str, places: set[str]) -> set[str]:
    col = LANGS.index(lang)
    texts = [entry[col] for entry in _T.values()] + list(LANG_NAMES.values())
    loc = LOCALES[lang]
    for width in ("wide", "abbreviated"):
        for ctx in ("format", "stand-alone"):
            texts += get_month_names(width, ctx, loc).values()
            texts += get_day_names(width, ctx, loc).values()
    return {w.lower() for w in words(" ".join([*texts, *ALLOWED, *places]))}


def foreign(text: str, vocab: set[str]) -> set[str]:
    return {w for w in words(text) if w.lower() not in vocab}


def shape(path: str) -> str:
    return re.sub(r"[0-9a-f]{8,}|\d+", "#", path)


@pytest.fixture(scope="module")
def every_role(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with one user of every role there is, on a copy of the file (its web store
    beside it is its own, apart from the session's other server)."""
    h = hash_password(PASSWORD)
    d = tmp_path_factory.mktemp("words")
    shutil.copy(web_db, d / "gaps.duckdb")
    users = d / "users.toml"
    users.write_text("".join(f'[users.w{role}]\nrole = "{role}"\npassword = "{h}"\n'
                             for role in PERMISSIONS), encoding="utf-8")
    port = free_port()
    env = {**os.environ, "JATKUMO_USERS": str(users), "JATKUMO_WEB_SECRET": "test-secret",
           "JATKUMO_SQL_ROW_LIMIT": "20", "JATKUMO_ALERTMANAGER_URL": "",
           "JATKUMO_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    with serving(d / "gaps.duckdb", port, env) as url:
        yield url


@pytest.fixture(scope="module")
def places(web_db: Path) -> set[str]:
    with duckdb.connect(str(web_db), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT name_fi, name_sv, region_name_fi, internal_area "
                           "FROM municipalities").fetchall()
    return {str(v) for r in rows for v in r if v}


def crawl(context: Any, url: str, user: str | None, lang: str) -> dict[str, str]:
    """Every page `user` reaches in `lang`: {where: its text}."""
    context.clear_cookies()
    page = context.new_page()
    seen: dict[str, str] = {}
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
        while queue and len(seen) < PAGE_CAP:
            path = queue.pop(0)
            if path in seen:
                continue
            page.goto(url + path)
            seen[path] = page.evaluate(TEXT_JS)
            for href in page.evaluate(LINKS_JS):
                p = urlsplit(href)
                target = p.path + (f"?{p.query}" if p.query else "")
                if p.netloc or not p.path.startswith("/") or p.path.startswith(
                        ("/lang/", "/logout", "/static/")) or p.path.endswith((".csv", ".xlsx")):
                    continue
                if target not in seen and shapes.get(shape(target), 0) < SHAPE_CAP:
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
                seen[f"POST {action} from {path}"] = page.evaluate(TEXT_JS)
    finally:
        page.close()
    return seen


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_page_speaks_the_language_through(context: Any, every_role: str,
                                                places: set[str], lang: str) -> None:
    vocab = vocabulary(lang, places)
    leaks: dict[str, list[str]] = {}
    reached: set[str] = set()
    for user in [None, *(f"w{role}" for role in PERMISSIONS)]:
        for where, text in crawl(context, every_role, user, lang).items():
            reached.add(where.split(" from ")[0])
            if bad := foreign(text, vocab):
                leaks[f"{user or 'signed out'} {where}"] = sorted(bad)
    # Every page of the navigation, a detail page behind a link, and a submitted form (a
    # client's timeline holds the event types, the SQL answer the errors and counts).
    assert set(NAV_PATH.values()) <= reached, set(NAV_PATH.values()) - reached
    assert len(reached) > len(NAV_PATH) + 2 and "POST /timeline" in reached, reached
    assert not leaks, "untranslated words:\n" + "\n".join(f"  {k}: {' '.join(v)}"
                                                          for k, v in leaks.items())


def test_the_check_catches_codes_and_english() -> None:
    """The word check itself: the leaks issue 13 names are caught; Finnish is not."""
    vocab = vocabulary("fi", {"Oulu", "Haukipudas"})
    assert foreign("Tila: completed · view sign_in worker.assigned", vocab) == {
        "completed", "view", "sign", "in", "worker", "assigned"}
    assert foreign("Avoimet katkokset nyt · Oulu · joulukuu 2024 · klo 14.05 EET", vocab) == set()


def test_the_crawler_reads_what_a_person_can_reach_and_skips_only_code(context: Any) -> None:
    """The page reader in Chromium: closed <details>, options, chart tooltips, aria-labels and
    the title count; <code> and translate="no" do not."""
    page = context.new_page()
    try:
        page.set_content(
            "<title>Yleiskuva</title><main><p>Tila: completed</p>"
            "<details><summary>Näytä</summary>view</details>"
            "<select><option>sign_in</option></select>"
            "<svg><rect><title>worker.assigned</title></rect></svg>"
            "<button aria-label='forbidden'>x</button>"
            "<code>continuity_gaps</code><span translate='no'>maija</span></main>")
        text = page.evaluate(TEXT_JS)
    finally:
        page.close()
    assert foreign(text, vocabulary("fi", set())) == {
        "completed", "view", "sign", "in", "worker", "assigned", "forbidden"}
