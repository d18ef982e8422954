"""Bootstrap: build the dashboard application from settings, and run it."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from schemas.errors import UsageError
from services import config
from services.alerts.alertmanager import Alertmanager
from services.alerts.service import AlertService, start, stop
from services.alerts.state import AlertState
from services.config import WebSettings
from services.scope import WHOLE, describe
from services.web import published
from services.web.app import CTX, HERE, MAX_FORM_BYTES, Ctx, guard, secure_headers
from services.web.auth import User, dummy_hash
from services.web.db import Connect, Reader, Refs, file_stamp, scoped_connector, with_threshold
from services.web.logtext import MalformedRequests, answer_without_echo, for_log, masked_refusal
from services.web.metrics import METRICS, Metrics, timed
from services.web.pages import access, alerts, gaps, overview, service_map, sql, timeline
from services.web.pages import session as session_pages
from services.web.scopedb import ScopedFiles, folder_for
from services.web.sqlproc import SqlRunner
from services.web.webstore import WebStore, web_path

SCOPE_CHECK_SECONDS = 5.0
MALFORMED = MalformedRequests()
PAGES = [session_pages, overview, gaps, sql, timeline, service_map, access, alerts]


class PathOnlyAccessLogger(AbstractAccessLogger):
    """aiohttp's default access log prints query strings; this one prints the path only, with
    identity codes and pseudonyms masked and control characters escaped (`for_log`): a path is
    whatever anyone typed after the address (GET /050395-912K), and a code exists nowhere after
    the door, a log line included (SPEC.md 1.2)."""

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        super().__init__(logger, log_format)
        # every server with this access log (serve, live mode, ingest) logs a request it
        # cannot parse in one line, without its bytes
        logging.getLogger("aiohttp.server").addFilter(MALFORMED)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.0fms", request.method, logged_path(request, response),
                         response.status, time * 1000)


def logged_path(request: BaseRequest, response: StreamResponse | None = None) -> str:
    """A request's path as the log prints it. A path is what anyone typed after the address:
    one that is no page's is printed as `[no such page]` (GET /timeline/sim-000045 printed a
    client id: a hunt, 2026-12-06), and so is a static file that is not there (/static/ takes
    any name after it: a review), a page whose path carries a value as its route
    (/alerts/{ref}), a page's or a static file's own path as it is, masked (`for_log`)."""
    try:
        info = getattr(request, "match_info", None)
    except AssertionError:  # a request that could not be parsed never reached the router
        info = None
    resource = info.route.resource if info is not None else None
    if resource is None or (resource.canonical.startswith("/static") and response is not None
                            and response.status >= 400):
        return "[no such page]"
    route: str = resource.canonical
    if "{" in route and not route.startswith("/static"):
        return route
    return for_log(request.path)


def build_app(db: Path, settings: WebSettings, users: dict[str, User],
              connect: Connect, store: WebStore | None = None,
              stamp: Callable[[], object] | None = None) -> web.Application:
    """`db` is the file the pages and analysts read (in live mode the sink's snapshot);
    `stamp` tells one version of the data from the next (cached answers are kept per
    version): the file's mtime and size by default."""
    answer_without_echo()  # a request aiohttp cannot parse: its status only, not its bytes
    stamp = stamp or file_stamp(db)
    store = store or WebStore(web_path(db))
    # Each scope's rows in a file of its own, beside the web file (services/web/scopedb.py).
    scoped = ScopedFiles(lambda: db, stamp, folder_for(web_path(db)))
    reader = Reader(with_threshold(connect, settings.suppress_below), stamp,
                    scoped_connector(scoped, settings.suppress_below))
    c = Ctx(reader=reader, refs=Refs(store.secret(settings.secret), reader, stamp),
            store=store, users=users, settings=settings,
            analyst=SqlRunner(lambda: db, settings, scoped.path), dummy_hash=dummy_hash(users))
    app = web.Application(middlewares=[timed, guard], client_max_size=MAX_FORM_BYTES)
    app.on_response_prepare.append(secure_headers)
    app.on_response_prepare.append(masked_refusal)
    app[CTX] = c
    c.templates.globals["scope_text"] = describe  # the header names the user's scope
    c.templates.globals["area_word"] = published.area_word
    c.templates.globals["OTHER_AREA"] = published.OTHER
    metrics = app[METRICS] = Metrics(reader, settings.metrics_token)
    app.router.add_get("/metrics", metrics.handler)
    app.router.add_static("/static/", HERE / "static")

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def no_icon(_: web.Request) -> web.Response:
        return web.Response(status=204)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/favicon.ico", no_icon)
    for page in PAGES:
        page.setup(app)

    secret = store.secret(settings.secret)
    manager = Alertmanager(settings.alertmanager_url) if settings.alertmanager_url else None
    c.extras["alerts"] = AlertService(AlertState(store, secret), reader, c.refs.of, settings,
                                      manager, metrics.processing_seconds.labels("alert_round"),
                                      config.load().rules)

    scopes = {u.scope for u in users.values() if not u.scope.whole}

    async def keep_scopes() -> None:
        # Each scope's file is rebuilt soon after the data changes, not on its user's next
        # page (which would wait for it: seconds on a large file).
        while True:
            try:
                await asyncio.to_thread(scoped.warm, scopes)
            except Exception as e:  # a file being replaced: the next round retries
                logging.getLogger("jatkumo.web").warning("scope files not built: %s", e)
            await asyncio.sleep(SCOPE_CHECK_SECONDS)

    async def background(_: web.Application) -> AsyncIterator[None]:
        task = await start(c.extras["alerts"])
        scoping = asyncio.create_task(keep_scopes()) if scopes else None
        warming = asyncio.create_task(c.refs.warm())  # the first timeline need not wait
        # nor the first page: the published cube, read from the file where the writer stored
        # it (analytics/cube_store.py), else built (not awaited: the port opens meanwhile)
        cube = asyncio.create_task(published.of(reader).cube(WHOLE))
        c.analyst_sql().warm()  # nor the first query
        yield
        warming.cancel()
        cube.cancel()
        if scoping is not None:
            scoping.cancel()
        await stop(task)
        await c.analyst_sql().close()
        c.hasher.shutdown(wait=False)
        store.close()

    app.cleanup_ctx.append(background)
    return app


def run(app: web.Application, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        web.run_app(app, host=host, port=port, access_log_class=PathOnlyAccessLogger,
                    print=lambda msg: print(msg, flush=True))
    except OSError as e:  # an address not of this machine, a port taken: the user's to fix
        raise cannot_listen(host, port, e) from None


def cannot_listen(host: str, port: int, e: OSError) -> UsageError:
    return UsageError(f"cannot listen on {host} port {port}: {e.strerror or e}; give --host an "
                      "address of this machine and --port a free port")
