"""Dashboard page times on a DuckDB file: cold (the first view of a page, nothing cached) and
warm (the median of the next views), over real HTTP against the app `jatkumo serve` runs.

The app is built as serve builds it, on a free loopback port, with its own web store in a
temporary folder (the main file is only read). Before each page's cold view the answer cache
is emptied; DuckDB opens the file per request, so nothing else carries over. The alert round
and the reference table that serve builds in the background at start are built once first
(and timed), so they do not share the cores with the page being measured. Target: every page
cold < 1 s; ratios against it printed.

    .venv/bin/python bench/pages.py --db /tmp/jnat/national.duckdb [--warm 3] [--cold 1]
"""

import argparse
import asyncio
import re
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.alerts.service import AlertService  # noqa: E402
from services.config import WebSettings  # noqa: E402
from services.web import published  # noqa: E402
from services.web.app import CTX  # noqa: E402
from services.web.auth import User, hash_password  # noqa: E402
from services.web.db import file_connector  # noqa: E402
from services.web.server import build_app  # noqa: E402
from services.web.webstore import WebStore  # noqa: E402

TARGET = 1.0
PASSWORD = "bench"
# (user, method, path, form): every page a manager or an analyst opens.
PAGES: list[tuple[str, str, str, dict[str, str]]] = [
    ("manager", "GET", "/", {}),
    ("manager", "GET", "/map", {}),
    ("manager", "GET", "/gaps", {}),
    ("manager", "GET", "/gaps?status=open&sort=gaps", {}),
    ("manager", "GET", "/gaps.csv", {}),
    ("manager", "GET", "/gaps.xlsx", {}),
    ("manager", "GET", "/alerts", {}),
    ("analyst", "GET", "/gaps", {}),
    ("analyst", "GET", "/gaps?gap_type=SERVICE_BREAK&status=open", {}),
    ("analyst", "POST", "/timeline", {"ref": "{ref}"}),
    ("analyst", "GET", "/sql", {}),
    ("analyst", "POST", "/sql", {"query": "SELECT gap_type, count(*) AS n FROM "
                                 "continuity_gaps WHERE is_open GROUP BY ALL"}),
    ("admin", "GET", "/access-log", {}),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url, self.http, self.csrf = url, http, ""

    async def sign_in(self, user: str) -> None:
        async with self.http.post(self.url + "/login",
                                  data={"username": user, "password": PASSWORD}) as r:
            assert r.status == 200 and r.url.path == "/", f"sign-in as {user}: {r.status}"
        async with self.http.get(self.url + "/sql" if user != "manager" else self.url
                                 + "/alerts") as r:
            found = re.search(r'name="_csrf" value="([^"]+)"', await r.text())
            self.csrf = found.group(1) if found else ""

    async def fetch(self, method: str, path: str, form: dict[str, str]) -> float:
        started = time.perf_counter()
        if method == "GET":
            async with self.http.get(self.url + path) as r:
                await r.read()
        else:
            async with self.http.post(self.url + path, data={**form, "_csrf": self.csrf}) as r:
                await r.read()
        took = time.perf_counter() - started
        assert r.status == 200, f"{method} {path}: {r.status}"
        return took


async def bench(db: Path, warm: int, rounds: int) -> None:
    settings = WebSettings(alert_sync_seconds=3600, alert_resend_seconds=7200)
    h = hash_password(PASSWORD)
    users = {name: User(name, name, h) for name in ("manager", "analyst", "admin")}
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(db, settings, users, file_connector(db),
                        store=WebStore(Path(tmp) / "bench.web.duckdb"))
        app.cleanup_ctx.clear()  # the alert round runs once below, not beside the pages
        c = app[CTX]
        alerts: AlertService = c.extras["alerts"]
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        await alerts.round()
        took = time.perf_counter() - started
        started = time.perf_counter()
        await c.refs.warm()
        print(f"{db} ({db.stat().st_size / 2**30:.2f} GiB); in serve's background at start: "
              f"alert round {took:.2f} s, reference table {time.perf_counter() - started:.2f} s")
        (row,) = (await c.reader.rows("SELECT client_id FROM continuity_gaps "
                                      "ORDER BY client_id LIMIT 1"))[1]
        ref = c.refs.of(row[0])
        print(f"{'user':8} {'page':48} {'cold s':>7} {'warm s':>7} {'cold/target':>11}")
        worst = 0.0
        clients: dict[str, Client] = {}
        for user, method, path, form in PAGES:
            if user not in clients:  # one cookie jar (one session) per user
                clients[user] = Client(url, aiohttp.ClientSession(
                    cookie_jar=aiohttp.CookieJar(unsafe=True)))  # unsafe: an IP address
                await clients[user].sign_in(user)
            client = clients[user]
            form = {k: v.replace("{ref}", ref) for k, v in form.items()}
            colds = []
            for _ in range(rounds):
                c.reader._cache.clear()  # a cold view: no answer kept from an earlier page
                published.of(c.reader).clear()  # nor the published (suppressed) cube
                colds.append(await client.fetch(method, path, form))
            cold = statistics.median(colds)
            warms = [await client.fetch(method, path, form) for _ in range(warm)]
            w = statistics.median(warms) if warms else float("nan")
            worst = max(worst, cold)
            print(f"{user:8} {method + ' ' + path:48} {cold:7.3f} {w:7.3f} "
                  f"{cold / TARGET:11.2f}")
        for client in clients.values():
            await client.http.close()
        print(f"slowest cold view: {worst:.3f} s ({worst / TARGET:.2f} of the 1 s target)")
        await runner.cleanup()
        c.store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, type=Path, help="a DuckDB file made by replay")
    ap.add_argument("--warm", type=int, default=3, help="warm views per page (default 3)")
    ap.add_argument("--cold", type=int, default=1, help="cold views per page, the median is "
                    "printed (default 1; more when other jobs share the machine)")
    args = ap.parse_args()
    asyncio.run(bench(args.db, args.warm, args.cold))


if __name__ == "__main__":
    main()
