"""Finnish first, complete: the word check of the untranslated-string test. The crawl that
reads every page (every role in two scopes, fi and sv; tests/e2e/web/crawl.py) runs in
test_every_page.py; here are the check and its controls.

A word fails the test unless it is a word of that language's column of the catalogue
(services/web/i18n.py), a month or day name of that language (Babel), a place name of the data,
or a proper name of the allow-list below. So `completed`, `view`, `sign_in` or
`worker.assigned` on a Finnish page fail it, and so will any English a later change lets
through. Only text that is code by nature is exempt, marked as such in the page: <code>, <pre>,
<textarea> and elements with the standard HTML attribute translate="no" (identifiers, user
names, an analyst's own SQL result, DuckDB's own message)."""

import re
from typing import Any

from babel.dates import get_day_names, get_month_names

from services.web.formats import LOCALES
from services.web.i18n import _T, LANG_NAMES, LANGS
from tests.e2e.web.crawl import TEXT_JS

# Proper names and abbreviations that stay as they are in every language.
ALLOWED = {"jatkumo", "KTT", "SOSKU", "NUPA", "SQL", "CSV", "XLSX", "Alertmanager", "EET", "EEST",
           "htmx", "DuckDB", "klo", "kl"}


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
