"""Live mode: the dashboard served from inside the sink process reads the file the sink is
writing (through the sink's own connection: one writer per file), and its pages change as
new events arrive through Kafka."""

import csv
import http.cookiejar
import io
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.web.auth import hash_password
from tests.integration.kafka import generate
from tests.integration.kafka.pipeline import ROOT, env, retry_until, start_worker
from tests.ports import free_port

pytestmark = pytest.mark.kafka
AS_OF = "2023-03-31"
PASSWORD = "live-salasana"


def publish(kafka: str, events: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "services.cli", "publish", str(events),
                           "--quiet"], cwd=ROOT, env=env(kafka, AS_OF), capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


class Browser:
    """A signed-in HTTP client with a cookie jar (urllib follows the 303 after sign-in)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.url + path, timeout=10) as r:
            return str(r.read().decode("utf-8"))

    def sign_in(self, user: str) -> None:
        body = urllib.parse.urlencode({"username": user, "password": PASSWORD}).encode()
        with self.opener.open(self.url + "/login", data=body, timeout=10) as r:
            assert r.status == 200 and r.url == self.url + "/", r.url

    def up(self) -> bool:
        try:
            return self.get("/healthz") == "ok"
        except OSError:
            return False


@pytest.fixture
def live(kafka: str, work: Path) -> Iterator[tuple[Browser, subprocess.Popen[bytes]]]:
    users = work / "users.toml"
    users.write_text(f'[users.antti]\nrole = "analyst"\npassword = "{hash_password(PASSWORD)}"'
                     "\n", encoding="utf-8")
    port = free_port()
    log = (work / "sink.log").open("ab")
    sink = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "sink", "--db", str(work / "live.duckdb"),
         "--serve", "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env=env(kafka, AS_OF, JATKUMO_USERS=str(users), JATKUMO_WEB_SECRET="live-secret",
                JATKUMO_ALERT_SYNC_SECONDS="3600"))
    browser = Browser(f"http://127.0.0.1:{port}")
    try:
        # a loaded CI machine took 74 s for this start (test_live_sql_attacks.py's, 180 s)
        retry_until("the dashboard in the sink to answer", browser.up, 180,
                    lambda: (work / "sink.log").read_text(errors="replace")[-3000:])
        yield browser, sink
    finally:
        sink.terminate()
        sink.wait(30)
        log.close()


def _logs(work: Path) -> Callable[[], str]:
    """The sink's and the worker's logs' ends, for a wait that gave up."""
    return lambda: "\n".join(f.read_text(errors="replace")[-2000:] for f in (
        work / "sink.log", work / "worker" / "worker.log") if f.exists())


def gap_rows(browser: Browser) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(browser.get("/gaps.csv?format=csv-plain"))))


def test_the_sink_serves_pages_that_follow_the_live_file(
        kafka: str, work: Path, live: tuple[Browser, "subprocess.Popen[bytes]"]) -> None:
    browser, sink = live
    browser.sign_in("antti")
    assert gap_rows(browser) == []  # nothing consumed yet; this answer is cached

    publish(kafka, ROOT / "examples/worked-example.jsonl")
    worker = start_worker(kafka, AS_OF, work / "worker")
    try:
        # The worked example (SPEC.md 3): a late handoff and a late new worker.
        # a worker's cold start, its batch, the sink's write and the next snapshot
        retry_until("the worked example's two gaps on the live page",
                    lambda: len(gap_rows(browser)) == 2, 120, _logs(work))
        assert {r["gap_type"] for r in gap_rows(browser)} == {
            "HANDOFF_MISSING", "NO_RESPONSIBLE_WORKER"}
        page = browser.get("/gaps")
        overview = browser.get("/")
        assert "31.3.2023" in overview, overview[:2000]  # the as-of date, in Finnish form
        assert "1.1.2023" in page  # the gap's start (tables write dates as Finland does)
        before = page

        more = work / "more.jsonl"
        generate.write(more, 40, seed=5)
        publish(kafka, more)
        retry_until("the new clients' gaps on the live page",
                    lambda: len(gap_rows(browser)) > 2, 120, _logs(work))
        assert browser.get("/gaps") != before
        assert sink.poll() is None, "the sink stopped"
    finally:
        worker.terminate()
        worker.wait(60)
    sink.terminate()
    assert sink.wait(30) == 0
