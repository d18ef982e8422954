"""/metrics in Prometheus format. Labels stay low-cardinality and never name a client: gap type,
page, topic and partition only. Counts that live in DuckDB are read at scrape time (in a worker
thread); the live process (sink, worker) sets consumer lag and observes processing latency on
the same registry through `Metrics`.

Counts of people (open gaps by type) are exact only for a scraper that sends
`Authorization: Bearer $JATKUMO_METRICS_TOKEN`. Without it they are the published cube's cells
(services/web/published.py, the figures a manager sees): a hidden one is left out and marked in
jatkumo_open_gaps_suppressed instead. A wrong token is refused (401), so a misconfigured
scraper notices."""

import asyncio
import contextvars
import hmac
import time
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from services.web import published
from services.web.db import Reader

# Set per scrape: the token was right, so counts of people are exact.
EXACT: contextvars.ContextVar[bool] = contextvars.ContextVar("jatkumo_metrics_exact",
                                                             default=False)

STORE_SQL = (
    ("events", "SELECT count(*) FROM events"),
    ("dead_letters", "SELECT count(*) FROM dead_letters"),
    ("open_gaps", "SELECT gap_type, count(*) FROM continuity_gaps WHERE is_open GROUP BY ALL"),
    ("offsets", "SELECT topic, \"partition\", next_offset FROM kafka_offsets"),
)


class StoreCollector(Collector):
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def collect(self) -> Iterable[Metric]:
        got: dict[str, list[tuple[object, ...]]] = {}
        con = self.reader.connect()
        try:
            for name, sql in STORE_SQL:
                try:
                    got[name] = con.execute(sql).fetchall()
                except Exception:  # kafka_offsets exists only in files the sink writes
                    got[name] = []
        finally:
            con.close()
        events = CounterMetricFamily("jatkumo_events_taken", "Valid events taken (after "
                                     "de-duplication), as stored in the DuckDB file")
        events.add_metric([], float(str(got["events"][0][0])) if got["events"] else 0.0)
        dead = CounterMetricFamily("jatkumo_dead_letters", "Input that could not be taken")
        dead.add_metric([], float(str(got["dead_letters"][0][0])) if got["dead_letters"] else 0.0)
        gaps = GaugeMetricFamily("jatkumo_open_gaps", "Continuity gaps open on the as-of date "
                                 "(without the token: as published, hidden ones left out)",
                                 labels=["gap_type"])
        hidden = GaugeMetricFamily("jatkumo_open_gaps_suppressed", "1 where the count of open "
                                   "gaps is hidden by small-number suppression (no token)",
                                   labels=["gap_type"])
        if EXACT.get():
            for gap_type, n in got["open_gaps"]:
                gaps.add_metric([str(gap_type)], float(str(n)))
        else:
            for row in published.of(self.reader).cube_sync().open_now():
                value = row["open_gaps"]
                if value.isdigit():
                    gaps.add_metric([row["gap_type"]], float(value))
                else:
                    hidden.add_metric([row["gap_type"]], 1.0)
        offsets = GaugeMetricFamily("jatkumo_sink_next_offset", "Next Kafka offset the sink "
                                    "will write, per input partition",
                                    labels=["topic", "partition"])
        for topic, partition, offset in got["offsets"]:
            offsets.add_metric([str(topic), str(partition)], float(str(offset)))
        return [events, dead, gaps, hidden, offsets]


class Metrics:
    def __init__(self, reader: Reader, token: bytes | None) -> None:
        # The token that unlocks exact counts (JATKUMO_METRICS_TOKEN, checked in
        # services.config); None: no scraper gets them.
        self.token = token
        self.registry = CollectorRegistry()
        self.registry.register(StoreCollector(reader))
        self.page_seconds = Histogram("jatkumo_page_seconds", "Time to answer a dashboard page",
                                      ["page"], registry=self.registry,
                                      buckets=(.05, .1, .25, .5, 1, 2.5, 5, 10))
        self.processing_seconds = Histogram(
            "jatkumo_processing_seconds", "Processing latency: from taking an event (or "
            "starting an alert round) to its result being stored", ["stage"],
            registry=self.registry, buckets=(.001, .01, .05, .1, .5, 1, 5, 30))
        self.consumer_lag = Gauge("jatkumo_consumer_lag", "Kafka messages not yet consumed, "
                                  "set by the live process", ["topic", "partition"],
                                  registry=self.registry)

    async def handler(self, request: web.Request) -> web.Response:
        given = request.headers.get("Authorization")
        exact = False
        if given is not None:
            scheme, _, token = given.partition(" ")
            # aiohttp reads a header's bytes that are not UTF-8 as lone surrogates, which a
            # plain encode() refused with a 500 (attack, 2026-12-04): they are bytes again
            given_token = token.strip().encode("utf-8", "surrogateescape")
            if not (self.token and scheme.lower() == "bearer"
                    and hmac.compare_digest(given_token, self.token)):
                raise web.HTTPUnauthorized(text="wrong metrics token",
                                           headers={"WWW-Authenticate": "Bearer"})
            exact = True
        EXACT.set(exact)  # to_thread copies this context into the worker thread
        body = await asyncio.to_thread(generate_latest, self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def timed(request: web.Request,
                handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                ) -> web.StreamResponse:
    metrics: Metrics | None = request.app.get(METRICS)
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        route = request.match_info.route.resource
        page = route.canonical if route is not None else "unmatched"
        if metrics is not None and not page.startswith("/static"):
            metrics.page_seconds.labels(page).observe(time.perf_counter() - started)


METRICS = web.AppKey("metrics", Metrics)
