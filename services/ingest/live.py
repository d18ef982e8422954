"""`jatkumo serve --db FILE --ingest`: the dashboard and the ingest API in one process, which is
the one writer of FILE (services.ingest.embedded). The pages read a read-only snapshot of it
(services.web.live, published by serve under the writer's lock), never the writer's connection;
the as-of date moves to today at midnight Europe/Helsinki."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web

from services.config import IngestSettings, Settings
from services.ingest import routes
from services.ingest.embedded import Embedded
from services.ingest.limits import RateLimit
from services.ingest.tokens import TokenStore

HELSINKI = ZoneInfo("Europe/Helsinki")
log = logging.getLogger("jatkumo.ingest")


def today_in_helsinki() -> date:
    return datetime.now(HELSINKI).date()


def seconds_to_midnight(now: datetime | None = None) -> float:
    now = now or datetime.now(HELSINKI)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), HELSINKI)
    # in UTC: a difference of two times in one zone is of wall clocks, an hour off on the
    # nights the clocks turn
    return max(1.0, (midnight.astimezone(UTC) - now.astimezone(UTC)).total_seconds())


def open_embedded(db: Path, settings: Settings,
                  today: Callable[[], date] = today_in_helsinki) -> Embedded:
    embedded = Embedded(db, settings, today)
    n = embedded.open()
    log.info("ingest: %d events read back from the log of %s, as of %s", n, db,
             embedded.as_of)
    return embedded


def stamp(embedded: Embedded) -> Callable[[], object]:
    """The version of the data for the pages' caches and the snapshot: the log's length, the
    dead letters written and the as-of date. (Without the dead letters, a batch of only bad
    lines never reached the snapshot the pages and analysts' SQL read.)"""
    def version() -> object:
        return (embedded.seq, embedded.dead_letters, embedded.as_of)
    return version


def tokens_path(db: Path, given: str | None) -> Path:
    return Path(given) if given else db.with_name(db.name + ".tokens.json")


def attach(app: web.Application, embedded: Embedded, tokens: TokenStore,
           settings: IngestSettings) -> None:
    ingest = routes.Ingest(take=embedded.take, tokens=tokens,
                           rate=RateLimit(per_second=settings.events_per_second),
                           read_seconds=settings.read_seconds)
    routes.setup(app, ingest)

    async def midnight(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_move_daily(embedded, ingest))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        ingest.executor.shutdown(wait=True)
        embedded.close()

    app.cleanup_ctx.append(midnight)


async def _move_daily(embedded: Embedded, ingest: routes.Ingest) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(seconds_to_midnight())
        day = today_in_helsinki()
        if day != embedded.as_of:
            await loop.run_in_executor(ingest.executor, embedded.move_as_of, day)
            log.info("ingest: as of %s", day)
