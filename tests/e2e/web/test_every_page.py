"""Issue 13's "done when", in one crawl (tests/e2e/web/crawl.py): headless Chromium goes
through every page in Finnish, Swedish and English, signed out and as every role in two scopes
(the whole wellbeing area and a scope of some areas or municipalities), and saves a screenshot
of each page of the navigation and each form's answer (in tests/e2e/web/screenshots/crawl/,
gitignored: never committed). From the same visits:

- the untranslated-word check (fi, sv): a word fails unless it is a word of that language's
  column of the catalogue (services/web/i18n.py), a month or day name of that language
  (Babel), a place name of the data, or a proper name of the allow-list (test_words.py);
- axe-core finds no serious or critical violation, every table has a caption, chart marks
  stand out 3:1, every number a chart writes is the language's (`1 234`), and no page
  scrolls sideways at 390 or 1280 px: every role's pages in Finnish, every page in Swedish
  and English;
- a scoped user's pages say whose scope it is and name no place outside it."""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from services.web.app import NAV_PATH
from services.web.auth import PERMISSIONS, hash_password
from services.web.i18n import _T
from services.web.i18n import LANGS as I18N_LANGS
from tests.e2e.web.conftest import PASSWORD, SHOTS, free_port, serving
from tests.e2e.web.crawl import (
    NAV_SHAPES,
    SHAPE_CAP,
    Seen,
    crawl,
    shape,
    ungrouped_numbers,
)
from tests.e2e.web.test_words import foreign, vocabulary

LANGS = ("fi", "sv", "en")
AUDIT_EVERY_ROLE_IN = "fi"  # the other languages audit each page once, whoever sees it
# The second scope of each role (the first is the whole wellbeing area).
SCOPED = {"manager": ({"Lakeus"}, set()), "caseworker": (set(), {"678"}),
          "analyst": ({"Oulunkaari"}, set()), "admin": ({"Lakeus"}, set())}
USERS: dict[str, tuple[str, tuple[set[str], set[str]]]] = {
    **{f"w{role}": (role, (set(), set())) for role in PERMISSIONS},
    **{f"s{role}": (role, SCOPED[role]) for role in PERMISSIONS}}


def _scope_lines(areas: set[str], munis: set[str]) -> str:
    return "".join(f"{k} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in sorted(vs))}]\n"
                   for k, vs in (("areas", areas), ("municipalities", munis)) if vs)


@pytest.fixture(scope="module")
def site(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server with a user of every role in each of two scopes, on a copy of the file (its
    web store beside it is its own, apart from the session's other server)."""
    h = hash_password(PASSWORD)
    d = tmp_path_factory.mktemp("every-page")
    shutil.copy(web_db, d / "gaps.duckdb")
    users = d / "users.toml"
    users.write_text("".join(f'[users.{u}]\nrole = "{role}"\npassword = "{h}"\n'
                             f"{_scope_lines(*scope)}"
                             for u, (role, scope) in USERS.items()), encoding="utf-8")
    port = free_port()
    env = {**os.environ, "JATKUMO_USERS": str(users), "JATKUMO_WEB_SECRET": "test-secret",
           "JATKUMO_SQL_ROW_LIMIT": "20", "JATKUMO_ALERTMANAGER_URL": "",
           "JATKUMO_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    with serving(d / "gaps.duckdb", port, env) as url:
        yield url, d / "gaps.duckdb"


@pytest.fixture(scope="module")
def crawled(context: Any, site: tuple[str, Path],
            tmp_path_factory: pytest.TempPathFactory) -> list[Seen]:
    """Every page of every user in every language, visited once."""
    url, _ = site
    shots = SHOTS / "crawl"  # kept after the run (pytest's tmp folders rotate), gitignored
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    audited: set[tuple[str, str, str]] = set()
    out: list[Seen] = []
    for lang in LANGS:
        for user in [None, *USERS]:
            role = USERS[user][0] if user else "-"

            def first(s: str, role: str = role, lang: str = lang) -> bool:
                """A page of the navigation or a timeline: in Finnish once per role, in
                Swedish and English once (the sign-in page is test_look's). A role changes
                what a page holds, the language its words: every role's pages in the first
                language, and every page in each of the others, is what the audit needs. In
                every role and language it took 170 s of the crawl's 230 s, and CI ran over
                its 20 minutes."""
                if role == "-" or (s not in NAV_SHAPES
                                                            and s != "POST /timeline"):
                    return False
                key = (role if lang == AUDIT_EVERY_ROLE_IN else "any", lang, s)
                new = key not in audited
                audited.add(key)
                return new
            # Links are followed where the words are read (fi, sv): both of a shape for the
            # whole area, one for a scope (its pages differ in rows, not in kind).
            cap = 0 if lang == "en" else (1 if user and USERS[user][1] != (set(), set())
                                          else SHAPE_CAP)
            out.append(crawl(context, url, user, lang, shots, first, cap))
    # where the time goes (seen with pytest -s), and the screenshots' folder
    for s in out:
        print(f"crawl {s.user or 'signed-out'} {s.lang}: {len(s.texts)} pages, "
              f"{len(s.audited)} audited, {len(s.shots)} screenshots; {s.seconds:.1f} s "
              f"(audits {s.audit_seconds:.1f} s, screenshots {s.shot_seconds:.1f} s)")
    print(f"crawl: {sum(s.seconds for s in out):.1f} s; screenshots in {shots}")
    return out


def places(db: Path) -> dict[str, tuple[str, str, str]]:
    """Municipality code -> (Finnish name, Swedish name, internal area), of the region."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0]: (r[1], r[2], r[3]) for r in con.execute(
            "SELECT code, name_fi, name_sv, internal_area FROM municipalities "
            "WHERE internal_area IS NOT NULL").fetchall()}


def all_places(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT name_fi, name_sv, region_name_fi, internal_area "
                           "FROM municipalities").fetchall()
    return {str(v) for r in rows for v in r if v}


def foreign_places(db: Path, areas: set[str], munis: set[str]) -> list[re.Pattern[str]]:
    """Names of places outside a scope (its own area's name is its when the scope is a
    municipality of it)."""
    p = places(db)
    inside = {code for code, (_, _, a) in p.items() if a in areas or code in munis}
    words = {a for _, _, a in p.values()} - {p[c][2] for c in inside}
    for code, (fi, sv, _) in p.items():
        if code not in inside:
            words |= {fi, sv}
    return [re.compile(r"(?<![\w-])" + re.escape(w) + r"(?![\w-])") for w in sorted(words)]


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_page_speaks_the_language_through(crawled: list[Seen], site: tuple[str, Path],
                                                lang: str) -> None:
    vocab = vocabulary(lang, all_places(site[1]))
    leaks: dict[str, list[str]] = {}
    reached: set[str] = set()
    for seen in (s for s in crawled if s.lang == lang):
        for where, text in seen.texts.items():
            reached.add(where.split(" from ")[0])
            if bad := foreign(text, vocab):
                leaks[f"{seen.user or 'signed out'} {where}"] = sorted(bad)
    # Every page of the navigation, a detail page behind a link, and a submitted form (a
    # client's timeline holds the event types, the SQL answer the errors and counts).
    assert set(NAV_PATH.values()) <= reached, set(NAV_PATH.values()) - reached
    assert len(reached) > len(NAV_PATH) + 2 and "POST /timeline" in reached, reached
    assert not leaks, "untranslated words:\n" + "\n".join(f"  {k}: {' '.join(v)}"
                                                          for k, v in leaks.items())


def test_every_page_passes_axe_captions_numbers_and_fits_both_widths(
        crawled: list[Seen]) -> None:
    problems = [p for s in crawled for p in s.problems]
    # in Finnish every role audited every page of its navigation and a timeline; in the
    # other languages every page of any role's navigation, and a timeline, was audited
    for lang in LANGS:
        roles = PERMISSIONS.items() if lang == AUDIT_EVERY_ROLE_IN else [
            ("any", {name for allowed in PERMISSIONS.values() for name in allowed})]
        for role, allowed in roles:
            audited = {shape(w.split(" from ")[0]) for s in crawled
                       if s.lang == lang and s.user and role in ("any", USERS[s.user][0])
                       for w in s.audited}
            nav = {shape(path) for name, path in NAV_PATH.items() if name in allowed}
            assert nav <= audited, (lang, role, nav - audited)
            if "timeline" in allowed:
                assert "POST /timeline" in audited, (lang, role, audited)
    assert problems == [], "\n".join(problems)


def test_every_role_in_two_scopes_reaches_every_page_with_screenshots(
        crawled: list[Seen], site: tuple[str, Path]) -> None:
    _, db = site
    for seen in crawled:
        assert seen.shots and all(p.stat().st_size > 5000 for p in seen.shots), seen.user
        if seen.user is None:
            continue
        role, (areas, munis) = USERS[seen.user]
        reached = {w for w in seen.texts if not w.startswith("POST")}
        assert {NAV_PATH[n] for n in NAV_PATH if n in PERMISSIONS[role]} <= reached
        if not (areas or munis):
            continue
        assert seen.scope_shown, seen.user
        words = foreign_places(db, areas, munis)
        # the catalogue's own sentences may name a place (the map's intro names Oulu): not data
        col = I18N_LANGS.index(seen.lang)
        said = [e[col] for e in _T.values() if any(w.search(e[col]) for w in words)]

        def data(text: str, said: list[str] = said) -> str:
            for sentence in said:
                text = text.replace(sentence, "")
            return text
        found = {where: [w.pattern for w in words if w.search(data(text))]
                 for where, text in seen.texts.items()}
        assert not any(found.values()), (seen.user, seen.lang,
                                         {k: v for k, v in found.items() if v})
    # the screenshots: every user, every language
    assert {(s.user, s.lang) for s in crawled} == {(u, lang) for u in [None, *USERS]
                                                   for lang in LANGS}


def test_the_number_check_catches_counts_written_without_grouping() -> None:
    assert ungrouped_numbers("1 234 · 12,5 · 2023 · 31.12.2024 · 12/31/2024") == []
    assert ungrouped_numbers("1234 · 1,234 · 25000 · 2,5") == ["1234", "1,234", "25000"]
