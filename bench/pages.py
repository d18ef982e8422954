"""Dashboard page times on a DuckDB file: cold (the first view of a page, nothing cached) and
warm (the median of the next views), over real HTTP against the app `jatkumo serve` runs.

The app is built as serve builds it, on a free loopback port, with its own web store in a
temporary folder (the main file is only read). Before each page's cold view the answer cache
and the published cube are emptied, so the cube is read again from the file (where the
writer stored it: analytics/cube_store.py) or, for a file without one, built; DuckDB opens the
file per request, so nothing else carries over. The alert round, the reference table and a
scoped user's own file, which serve builds in the background at start, are built once first
(and timed), so they do not share the cores with the page being measured. Every page each
role reaches from the navigation is visited, by a user of the whole area and by a case
worker of one internal area. Target: every page cold < 1 s; ratios against it printed, with
the load average (the machine is shared: a cold view under load is slower than alone).

    .venv/bin/python bench/pages.py --db /tmp/jnat/national.duckdb [--warm 3] [--cold 1]
"""

import argparse
import asyncio
import contextlib
import os
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
from services.scope import WHOLE, Scope  # noqa: E402
from services.web import published  # noqa: E402
from services.web.app import CTX  # noqa: E402
from services.web.auth import User, hash_password  # noqa: E402
from services.web.db import file_connector  # noqa: E402
from services.web.server import build_app  # noqa: E402
from services.web.sqlproc import SqlRunner  # noqa: E402
from services.web.webstore import WebStore  # noqa: E402

TARGET = 1.0
PASSWORD = "bench"
SQL = "SELECT gap_type, count(*) AS n FROM continuity_gaps WHERE is_open GROUP BY ALL"
# (user, method, path, form): every page each role reaches from the navigation, and its
# downloads. "kaisa" is a case worker of one internal area (her own scoped file and cube).
PAGES: list[tuple[str, str, str, dict[str, str]]] = [
    ("manager", "GET", "/", {}),
    ("manager", "GET", "/?handoff={handoff}", {}),
    ("manager", "GET", "/map", {}),
    ("manager", "GET", "/map?measure=on_time&level=area", {}),
    ("manager", "GET", "/gaps", {}),
    ("manager", "GET", "/gaps?status=open&sort=gaps", {}),
    ("manager", "GET", "/gaps.csv", {}),
    ("manager", "GET", "/gaps.xlsx", {}),
    ("manager", "GET", "/alerts", {}),
    ("manager", "GET", "/metrics", {}),
    ("caseworker", "GET", "/", {}),
    ("caseworker", "GET", "/gaps", {}),
    ("caseworker", "GET", "/gaps.csv", {}),
    ("caseworker", "GET", "/alerts", {}),
    ("caseworker", "GET", "/alerts?state=all&page=3", {}),
    ("caseworker", "GET", "/alerts/{alert}", {}),
    ("caseworker", "GET", "/timeline", {}),
    ("caseworker", "POST", "/timeline", {"ref": "{ref}"}),
    ("kaisa", "GET", "/", {}),
    ("kaisa", "GET", "/map", {}),
    ("kaisa", "GET", "/gaps", {}),
    ("kaisa", "GET", "/alerts", {}),
    ("analyst", "GET", "/gaps", {}),
    ("analyst", "GET", "/gaps?gap_type=SERVICE_BREAK&status=open", {}),
    ("analyst", "POST", "/timeline", {"ref": "{ref}"}),
    ("analyst", "GET", "/sql", {}),
    ("analyst", "POST", "/sql", {"query": SQL}),
    ("analyst", "POST", "/sql", {"query": SQL, "format": "csv"}),
    ("admin", "GET", "/access-log", {}),
]
ROLES = {"manager": "manager", "caseworker": "caseworker", "kaisa": "caseworker",
         "analyst": "analyst", "admin": "admin"}
KAISA_AREA = "Oulunkaari"  # an internal area of North Ostrobothnia


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url, self.http, self.csrf = url, http, ""
        self.cpu = 0.0

    async def sign_in(self, user: str) -> None:
        async with self.http.post(self.url + "/login",
                                  data={"username": user, "password": PASSWORD}) as r:
            assert r.status == 200 and r.url.path == "/", f"sign-in as {user}: {r.status}"
        async with self.http.get(self.url + ("/sql" if ROLES[user] == "analyst" else
                                             "/timeline" if ROLES[user] == "caseworker"
                                             else "/alerts")) as r:
            found = re.search(r'name="_csrf" value="([^"]+)"', await r.text())
            self.csrf = found.group(1) if found else ""

    async def fetch(self, method: str, path: str, form: dict[str, str]) -> float:
        """Wall seconds of one view; `self.cpu` gets the CPU seconds this process (the server
        and this client) spent on it, which the load of other jobs does not inflate."""
        cpu = time.process_time()
        started = time.perf_counter()
        if method == "GET":
            async with self.http.get(self.url + path, allow_redirects=False) as r:
                await r.read()
        else:
            async with self.http.post(self.url + path, data={**form, "_csrf": self.csrf}) as r:
                await r.read()
        took = time.perf_counter() - started
        self.cpu = time.process_time() - cpu
        assert r.status == 200, f"{method} {path}: {r.status}"
        return took


async def bench(db: Path, warm: int, rounds: int) -> None:
    settings = WebSettings(alert_sync_seconds=3600, alert_resend_seconds=7200)
    h = hash_password(PASSWORD)
    users = {name: User(name, role, h) for name, role in ROLES.items()}
    users["kaisa"] = User("kaisa", "caseworker", h, Scope(frozenset({KAISA_AREA})))
    print(f"load average at start: {load()}")
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
        c.analyst_sql().warm()  # serve starts the analysts' spare processes at start
        started = time.perf_counter()
        await alerts.round()
        took = time.perf_counter() - started
        started = time.perf_counter()
        await c.refs.warm()
        refs_took = time.perf_counter() - started
        started = time.perf_counter()
        scoped = c.reader.scoped
        if scoped is not None:  # serve's keep_scopes builds each scope's file at start
            await asyncio.to_thread(lambda: scoped(users["kaisa"].scope).close())
        scope_took = time.perf_counter() - started
        print(f"{db} ({db.stat().st_size / 2**30:.2f} GiB); in serve's background at start: "
              f"alert round {took:.2f} s, reference table {refs_took:.2f} s, a scope's file "
              f"{scope_took:.2f} s")
        pub = published.of(c.reader)
        pub.clear()
        started = time.perf_counter()
        cube = await pub.cube(WHOLE)
        how = ("read from the file" if pub.source == "stored"
               else "built: no cube stored for this k and handoffs")
        print(f"published cube: {how}, in {time.perf_counter() - started:.2f} s, "
              f"{len(cube.cells.text):,} cells")
        (row,) = (await c.reader.rows("SELECT client_id FROM continuity_gaps "
                                      "ORDER BY client_id LIMIT 1"))[1]
        ref = c.refs.of(row[0])
        first = (await asyncio.to_thread(alerts.state.work_list, "TRUE", [], 0, 1))[1]
        marks = {"{ref}": ref, "{handoff}": next(iter(cube.handoffs), ""),
                 "{alert}": str(first[0]["alert_ref"]) if first else ""}
        print(f"{'user':10} {'page':46} {'cold s':>7} {'warm s':>7} {'cold/target':>11} "
              f"{'cold cpu s':>10}")
        worst = 0.0
        clients: dict[str, Client] = {}
        for user, method, path, form in PAGES:
            if user not in clients:  # one cookie jar (one session) per user
                clients[user] = Client(url, aiohttp.ClientSession(
                    cookie_jar=aiohttp.CookieJar(unsafe=True)))  # unsafe: an IP address
                await clients[user].sign_in(user)
            client = clients[user]
            form = {k: fill(v, marks) for k, v in form.items()}
            path = fill(path, marks)
            colds, cpus = [], []
            for _ in range(rounds):
                c.reader._cache.clear()  # a cold view: no answer kept from an earlier page
                published.of(c.reader).clear()  # nor the published (suppressed) cube
                await spares_ready(c.analyst_sql())
                colds.append(await client.fetch(method, path, form))
                cpus.append(client.cpu)
            cold = statistics.median(colds)
            warms = []
            for _ in range(warm):
                await spares_ready(c.analyst_sql())
                warms.append(await client.fetch(method, path, form))
            w = statistics.median(warms) if warms else float("nan")
            worst = max(worst, cold)
            shown = method + " " + path + (" (csv)" if form.get("format") else "")
            print(f"{user:10} {shown[:46]:46} {cold:7.3f} {w:7.3f} {cold / TARGET:11.2f} "
                  f"{statistics.median(cpus):10.3f}")
        for client in clients.values():
            await client.http.close()
        print(f"slowest cold view: {worst:.3f} s ({worst / TARGET:.2f} of the 1 s target); "
              f"load average at the end: {load()}")
        await runner.cleanup()
        c.store.close()


async def spares_ready(runner: SqlRunner) -> None:
    """Wait until the analysts' spare processes have started and finished their imports (they
    then sleep on their input): in serve they are started at start and refilled after each
    query, while the analyst reads the answer; here the next view comes at once, and a
    spare's imports would be timed with it (a bench artefact, not a page's time)."""
    filling = runner._filling
    if filling is not None:
        await filling
    for spare in runner._spares:
        before = -1
        for _ in range(600):  # at most a minute on a loaded machine
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{spare.proc.pid}/stat").read_text().rsplit(")", 1)[1]
                state, ticks = fields.split()[0], sum(map(int, fields.split()[11:13]))
                if state == "S" and ticks == before:
                    break
                before = ticks
            await asyncio.sleep(0.1)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cores)"


def fill(text: str, marks: dict[str, str]) -> str:
    for mark, value in marks.items():
        text = text.replace(mark, value)
    return text


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
