"""Attacks on sign-in through HTTP: guessing, telling known names from unknown ones by time,
stalling the server with hashing, cross-site POSTs and redirects off the site."""

import concurrent.futures as cf
import http.cookiejar
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from services.config import WebSettings
from services.web.app import CTX
from services.web.auth import load_users
from services.web.db import file_connector
from services.web.server import build_app
from tests.e2e.web.attack_server import ANALYSTS, PASSWORD, serve, write_users
from tests.e2e.web.client import Client
from tests.helpers import run_apart

EVIL = "http://evil.example"


@pytest.fixture
def fresh(web_db: Path, tmp_path: Path) -> Iterator[str]:
    """A server of its own for each test: a test that locks an address locks it only here."""
    shutil.copy(web_db, tmp_path / "gaps.duckdb")
    with serve(tmp_path / "gaps.duckdb", write_users(tmp_path / "users.toml")) as url:
        yield url


def attempt(url: str, user: str, password: str, **kw: object) -> int:
    return Client(url).post("/login", {"username": user, "password": password},
                            **kw).status  # type: ignore[arg-type]


def test_the_right_password_is_refused_after_five_wrong_ones(fresh: str) -> None:
    """Before: the right password worked after 60 wrong ones."""
    assert [attempt(fresh, "antti", f"wrong-{i}") for i in range(5)] == [401] * 5
    got = Client(fresh).post("/login", {"username": "antti", "password": PASSWORD})
    assert got.status == 429 and int(got.headers["Retry-After"]) >= 1
    # A name that is not configured is locked the same way: the answer tells nothing.
    assert [attempt(fresh, "nobody", f"wrong-{i}") for i in range(6)][-1] == 429
    # Another user from the same address is not locked out by antti's name ...
    assert attempt(fresh, "root", PASSWORD) == 303


def test_one_address_guessing_many_names_is_locked(fresh: str) -> None:
    statuses = [attempt(fresh, f"guess{i}", "wrong") for i in range(20)]
    assert statuses == [401] * 20
    assert attempt(fresh, "root", PASSWORD) == 429  # the address is locked


class CountingHasher(ThreadPoolExecutor):
    """The app's hasher port (its scrypt threads), counting what it is given and on which
    thread each call ran: the sign-in's work, observed without a clock."""

    def __init__(self) -> None:
        super().__init__(2, thread_name_prefix="jatkumo-scrypt")
        self.calls: list[tuple[str, str, str]] = []  # (function, stored hash, thread)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kw: Any) -> Future[Any]:
        def run() -> Any:
            self.calls.append((fn.__name__, str(args[-1]), threading.current_thread().name))
            return fn(*args, **kw)
        return super().submit(run)


def _sign_ins(db: Path, users_file: Path, names: list[str]) -> tuple[list[int], CountingHasher]:
    """Each name signs in with a wrong password through real HTTP to the app in this process,
    whose hasher counts the scrypt calls."""
    app = build_app(db, WebSettings(secret=b"attack-secret"), load_users(str(users_file)),
                    file_connector(db))
    hasher = app[CTX].hasher = CountingHasher()

    async def go() -> list[int]:
        async with TestServer(app) as server, aiohttp.ClientSession() as http:
            statuses = []
            for name in names:
                async with http.post(server.make_url("/login"),
                                     data={"username": name, "password": "wrong"},
                                     allow_redirects=False) as r:
                    statuses.append(r.status)
            return statuses

    try:
        return run_apart(go), hasher
    finally:
        hasher.shutdown()


def test_unknown_and_known_names_cost_the_same_work_off_the_event_loop(
        web_db: Path, tmp_path: Path) -> None:
    """Before: an unknown user answered in 15 ms and a known one in 151 ms (no scrypt for an
    unknown name), and every scrypt ran on the event loop, stalling /healthz during a flood.
    Now each sign-in, known name or not, is one scrypt of the same cost on the hasher's
    threads: the answer's time tells the names apart no more than its text."""
    db = tmp_path / "gaps.duckdb"
    shutil.copy(web_db, db)
    users = write_users(tmp_path / "users.toml")
    known, unknown = ANALYSTS[:4], [f"x{i}" for i in range(4)]
    statuses, hasher = _sign_ins(db, users, [n for pair in zip(known, unknown, strict=True)
                                             for n in pair])
    assert statuses == [401] * 8
    # one verify per sign-in handed to the hasher: a name checked on the event loop, or not
    # at all, would be missing here
    assert [fn for fn, _, _ in hasher.calls] == ["verify_password"] * 8

    def cost(stored: str) -> tuple[str, ...]:  # kind, n, r, p and the digest's length
        kind, n, r, p, _, digest = stored.split("$")
        return kind, n, r, p, str(len(digest))

    by_name = [cost(h) for _, h, _ in hasher.calls]
    assert len(set(by_name)) == 1, by_name
    # and the hash an unknown name meets is no user's: no password opens it
    dummy = {h for _, h, _ in hasher.calls[1::2]}
    assert len(dummy) == 1 and dummy.isdisjoint(h for _, h, _ in hasher.calls[0::2])


def test_healthz_answers_during_a_sign_in_flood(fresh: str) -> None:
    """Before: /healthz took 1.2 s while sign-ins were hashed on the event loop. That the
    hashing is off the loop is the test above (no clock): this one cannot see a stalled loop
    (a late /healthz is still a 200); it floods a real server and checks that every sign-in
    is answered and /healthz keeps answering while they are hashed."""
    stop = threading.Event()
    answers: list[int] = []

    def poll() -> None:
        c = Client(fresh)
        while not stop.is_set():
            answers.append(c.get("/healthz").status)
            time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        with cf.ThreadPoolExecutor(16) as pool:  # known names: each one costs a hash
            statuses = list(pool.map(lambda i: attempt(fresh, ANALYSTS[i % 8], "wrong"),
                                     range(48)))
    finally:
        stop.set()
        poller.join()
    assert set(statuses) <= {401, 429} and 401 in statuses
    assert answers and set(answers) == {200}


@pytest.mark.parametrize(("headers", "status"), [
    ({"Origin": EVIL}, 403),
    ({"Origin": "null"}, 403),
    ({"X-No-Origin": "1", "Referer": EVIL + "/login"}, 403),
    ({"X-No-Origin": "1", "Referer": "SELF/login"}, 303),  # an older browser: Referer only
    ({"X-No-Origin": "1"}, 303),  # neither: not a browser's form (see docs/web.md)
    ({}, 303),  # Origin of this site
])
def test_sign_in_accepts_only_same_origin_posts(fresh: str, headers: dict[str, str],
                                                status: int) -> None:
    """Before: /login accepted a cross-site POST."""
    h = {k: v.replace("SELF", fresh) for k, v in headers.items()}
    got = Client(fresh).post("/login", {"username": "antti", "password": PASSWORD}, headers=h)
    assert got.status == status


def test_every_signed_in_post_refuses_another_origin(fresh: str) -> None:
    c = Client(fresh)
    c.sign_in("antti", PASSWORD)
    c.get("/sql")
    form = {"_csrf": c.csrf, "query": "SELECT 1", "format": "table"}
    assert c.post("/sql", form, headers={"Origin": EVIL}).status == 403
    assert c.post("/logout", {"_csrf": c.csrf}, headers={"Origin": EVIL}).status == 403
    assert c.post("/sql", form).status == 200


@pytest.mark.parametrize("referer", [
    "http://evil//evil/x", "http://evil/x", "//evil", "/\\evil", "SELF//evil/x",
    "SELF/\\evil", "SELF/\t/evil", "javascript:alert(1)",
])
def test_language_switch_never_redirects_off_site(fresh: str, referer: str) -> None:
    """Before: a Referer of http://evil//evil/x sent the browser to //evil/x."""
    got = Client(fresh).get("/lang/en", headers={"Referer": referer.replace("SELF", fresh)})
    assert got.status == 303 and got.headers["Location"] == "/"


def test_language_switch_returns_to_the_page_it_was_on(fresh: str) -> None:
    got = Client(fresh).get("/lang/sv", headers={"Referer": fresh + "/gaps?gap_type=X"})
    assert got.headers["Location"] == "/gaps?gap_type=X"


@pytest.mark.parametrize("target", ["//evil", "/\\evil", "http://evil/x", "/\t/evil"])
def test_sign_in_never_returns_off_site(fresh: str, target: str) -> None:
    c = Client(fresh)
    c.get("/login")
    import http.cookiejar

    host = fresh.split("//", 1)[1].split(":")[0]
    c.jar.set_cookie(http.cookiejar.Cookie(
        0, "next", target, None, False, host, False, False, "/", True, False, None, False,
        None, None, {}))
    got = c.post("/login", {"username": "antti", "password": PASSWORD})
    assert got.status == 303 and got.headers["Location"] == "/"


def _session_cookie(url: str) -> http.cookiejar.Cookie:
    c = Client(url)
    assert c.post("/login", {"username": "maija", "password": PASSWORD}).status == 303
    return next(cookie for cookie in c.jar if cookie.name == "session")


def test_cookies_are_secure_when_the_dashboard_is_public_over_https(web_db: Path,
                                                                     tmp_path: Path) -> None:
    """An attack found the session cookie without Secure behind an HTTPS address (2026-12-03):
    a browser would send it over plain HTTP too. Over plain HTTP it stays usable (tests,
    a local demo)."""
    shutil.copy(web_db, tmp_path / "gaps.duckdb")
    users = write_users(tmp_path / "users.toml")
    with serve(tmp_path / "gaps.duckdb", users, JATKUMO_PUBLIC_URL="https://jatkumo.example"
               ) as url:
        cookie = _session_cookie(url)
    assert cookie.secure and cookie.has_nonstandard_attr("HttpOnly")
    with serve(tmp_path / "gaps.duckdb", users) as url:
        assert not _session_cookie(url).secure


def test_every_answer_carries_the_security_headers(fresh: str) -> None:
    """Pages, and the answers raised on the way (the redirect to sign in, a refused cross-site
    form, a stale form, 401 to htmx): an attack found the raised ones without them."""
    def headers(got: Any) -> dict[str, str]:
        return {k.lower(): v for k, v in got.headers.items()}

    answers = [Client(fresh).get("/gaps"),  # 303 to /login
               Client(fresh).post("/login", {"username": "x", "password": "y"},
                                  headers={"Origin": EVIL}),  # 403
               Client(fresh).get("/gaps", headers={"HX-Request": "true"}),  # 401
               Client(fresh).get("/login")]
    signed = Client(fresh)
    signed.sign_in("maija", PASSWORD)
    answers += [signed.get("/"), signed.post("/logout", {"_csrf": "stale"})]  # 200, 403
    assert [a.status for a in answers] == [303, 403, 401, 200, 200, 403]
    for got in answers:
        h = headers(got)
        assert "default-src" in h["content-security-policy"], got.status
        assert h["x-content-type-options"] == "nosniff" and h["cache-control"] == "no-store"
