"""A real Alertmanager (Debian's package) receives a firing and then a resolved alert for a
gap, with no client id in its labels, each state change notified once."""

import asyncio
import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest

from services.alerts.alertmanager import Alertmanager
from services.alerts.service import AlertService
from services.alerts.state import AlertState
from services.config import WebSettings
from services.web.db import Reader, Refs, file_connector, file_stamp
from services.web.webstore import WebStore
from tests.ports import free_port

BINARY = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
T = TypeVar("T")
EXAMPLE = Path(__file__).parents[2] / "examples" / "worked-example.jsonl"


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


class Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Webhook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    if not Path(BINARY).exists():
        pytest.skip("prometheus-alertmanager is not installed: run deploy/setup.d/web.sh")
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    Webhook.received = []
    config = tmp_path / "am.yml"
    config.write_text(f"""
route:
  group_by: [area, gap_type]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  receiver: hook
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:{hook.server_port}/
        send_resolved: true
""", encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [BINARY, f"--config.file={config}", f"--storage.path={tmp_path / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/-/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("Alertmanager did not become ready")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        hook.shutdown()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in its own thread: a session's Playwright may own this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def replay(db: Path, as_of: str) -> None:
    subprocess.run([sys.executable, "-m", "services.cli", "replay", str(EXAMPLE), "--db",
                    str(db), "--as-of", as_of, "--quiet"], check=True)


def notifications(status: str) -> list[dict[str, Any]]:
    return [a for n in Webhook.received for a in n["alerts"] if a["status"] == status]


def wait_for(predicate: Any, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen in {seconds} s: {Webhook.received}")
        time.sleep(0.2)


def test_a_gap_fires_then_resolves_in_alertmanager_once_each(alertmanager: str,
                                                              tmp_path: Path) -> None:
    db = tmp_path / "gaps.duckdb"
    replay(db, "2023-01-15")  # HANDOFF_MISSING open since 2023-01-01
    settings = WebSettings(alertmanager_url=alertmanager, public_url="http://127.0.0.1:1")
    reader = Reader(file_connector(db))
    store = WebStore(tmp_path / "gaps.web.duckdb")
    secret = store.secret(b"test")
    service = AlertService(AlertState(store, secret), reader,
                           Refs(secret, reader, file_stamp(db)).of, settings,
                           Alertmanager(alertmanager))
    run(service.round())
    active = get(alertmanager + "/api/v2/alerts")
    assert len(active) == 1
    labels = active[0]["labels"]
    assert labels["gap_type"] == "HANDOFF_MISSING" and labels["area"] == "Oulu"
    assert labels["municipality"] == "564" and labels["service"] == "KTT"
    assert len(labels["alert_ref"]) == 20
    assert "c1" not in json.dumps(active[0])  # the client's pseudonym is nowhere
    assert active[0]["annotations"]["dashboard"].endswith("/alerts/" + labels["alert_ref"])
    wait_for(lambda: notifications("firing"))
    assert run(service.deliver()) == 0  # not due again yet: nothing re-sent

    replay(db, "2023-03-31")  # the handoff happened on 2023-01-20: the gap has ended
    run(service.round())
    wait_for(lambda: notifications("resolved"))
    assert get(alertmanager + "/api/v2/alerts") == []
    run(service.round())
    assert run(service.deliver(datetime.now(UTC) + timedelta(hours=1))) == 0
    time.sleep(2.5)  # two group intervals: a second notification would have come by now
    ours = [a for a in notifications("firing") + notifications("resolved")
            if a["labels"]["alert_ref"] == labels["alert_ref"]]
    assert [a["status"] for a in ours] == ["firing", "resolved"]
    store.close()


def test_a_dashboard_silence_becomes_an_alertmanager_silence(alertmanager: str) -> None:
    am = Alertmanager(alertmanager)
    silence_id = run(am.silence("0123456789abcdef0123", 2, "maija", "on holiday"))
    silences = get(alertmanager + "/api/v2/silences")
    ours = [s for s in silences if s["id"] == silence_id]
    assert ours and ours[0]["matchers"][0]["name"] == "alert_ref"
    assert ours[0]["createdBy"] == "maija" and ours[0]["status"]["state"] == "active"


def test_the_shipped_configuration_is_valid_and_has_no_managers_receiver() -> None:
    """A notification is a list of gaps, so its length is an exact count (attack,
    2026-12-04: the shipped route sent them to 'service-managers', promising "7 HANDOFF_MISSING
    in Oulunkaari" past the suppressed cube). Its receivers are case work's."""
    shipped = Path(__file__).resolve().parents[2] / "deploy" / "alertmanager" / "alertmanager.yml"
    amtool = shutil.which("amtool") or "/usr/bin/amtool"
    checked = subprocess.run([amtool, "check-config", str(shipped)], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    names = [line.split(":", 1)[1].strip() for line in shipped.read_text().splitlines()
             if line.strip().startswith(("- name:", "receiver:"))]
    assert names and not [n for n in names if "manager" in n], names
