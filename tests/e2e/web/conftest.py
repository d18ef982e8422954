"""Fixtures for the browser tests: a synthetic DuckDB file, a users file, `jatkumo serve` as a
real process on a free loopback port, and Debian's Chromium driven by Playwright (its system
binary: no browser is ever downloaded)."""

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from services.web.auth import hash_password
from tests.e2e.web.synth import generate
from tests.ports import free_port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "kesä-2023-salasana"
USERS = {"maija": "manager", "antti": "analyst", "root": "admin", "kaarina": "caseworker"}


def jatkumo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], capture_output=True,
                          text=True, check=True, env=env)


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("web")
    events = generate(d / "events.jsonl", clients=300)
    jatkumo("replay", str(events), "--db", str(d / "gaps.duckdb"), "--as-of", "2023-04-30",
            "--quiet")
    return d / "gaps.duckdb"


@pytest.fixture(scope="session")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    h = hash_password(PASSWORD)
    path = tmp_path_factory.mktemp("users") / "users.toml"
    path.write_text("".join(f'[users.{u}]\nrole = "{r}"\npassword = "{h}"\n'
                            for u, r in USERS.items()), encoding="utf-8")
    return path


def signed_in_page(context: Any, url: str, user: str) -> Any:
    """A new page of `context` (its cookies cleared first), signed in as `user` at `url`."""
    context.clear_cookies()
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(url + "/")
    return page


def wait_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 90) -> None:
    """Wait for /healthz (0.9 s here; a loaded CI machine has been 40-70x slower)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"serve did not answer at {url} in {seconds} s")


@contextlib.contextmanager
def serving(db: Path, port: int, env: dict[str, str], log: Path | None = None,
            relative: bool = False) -> Iterator[str]:
    """`jatkumo serve --db DB` as a real process on `port`: its URL once /healthz answers;
    stopped on leaving. Its output goes to `log` if given. `relative`: run in DB's folder
    and name it as the README does (`--db gaps.duckdb`)."""
    out = log.open("ab") if log is not None else None
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "serve", "--db",
                             db.name if relative else str(db), "--port", str(port)],
                            env=env, cwd=db.parent if relative else None,
                            stdout=out or subprocess.DEVNULL,
                            stderr=subprocess.STDOUT if out else subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(60)
        if out is not None:
            out.close()


@pytest.fixture(scope="session")
def server(web_db: Path, users_file: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "JATKUMO_USERS": str(users_file), "JATKUMO_WEB_SECRET": "test-secret",
           "JATKUMO_SQL_ROW_LIMIT": "50", "JATKUMO_SQL_TIMEOUT_SECONDS": "6",
           "JATKUMO_ALERTMANAGER_URL": "", "JATKUMO_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    with serving(web_db, port, env) as url:
        yield url


@pytest.fixture(scope="session")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed: run deploy/setup.d/web.sh")
    SHOTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            args=ARGS, headless=True, accept_downloads=True, locale="fi-FI",
            viewport={"width": 1280, "height": 900})
        # Playwright's 30 s an action is a page's 0.1-0.5 s here; a loaded CI machine has
        # been 40-70x slower (a crawl's setup took 235 s beside a CPU hog)
        ctx.set_default_timeout(120_000)
        yield ctx
        ctx.close()


@pytest.fixture
def page_as(context: object, server: str) -> Iterator[Callable[[str], object]]:
    """Sign in as a user on a fresh page; the cookies of earlier tests are cleared first."""
    pages = []

    def sign_in(user: str) -> object:
        page = signed_in_page(context, server, user)
        pages.append(page)
        return page

    yield sign_in
    for p in pages:
        p.close()
