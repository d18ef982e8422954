"""POST /api/v1/events and GET /api/v1/openapi.json.

A request is authorised by a source system's bearer token, split into events (body.py),
counted against the token's rate (limits.py), and taken whole: in embedded mode in one DuckDB
transaction (embedded.py), with Kafka by publishing every accepted event with acks=all before
the answer. The answer lists each event's fate: accepted, duplicate, or dead_letter with its
reason. Tokens and client ids never reach a log line; a refused token is logged by its fault."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from services.ingest.body import MAX_BYTES, UNREADABLE, BadBody, split
from services.ingest.embedded import Answer, Item
from services.ingest.limits import RateLimit
from services.ingest.openapi import document
from services.ingest.tokens import TokenStore

log = logging.getLogger("jatkumo.ingest")
Taker = Callable[[Sequence[Item]], list[Answer]]


GROUP_EVENTS = 20_000  # at most this many events of waiting requests in one transaction


@dataclass
class Ingest:
    take: Taker  # Embedded.take, or the Kafka publisher's
    tokens: TokenStore
    rate: RateLimit = field(default_factory=RateLimit)
    # one writer: batches are taken in the order they came, off the event loop
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="ingest"))
    requests: int = 0
    read_seconds: float = 30.0  # a body slower than this is answered 408: it holds a connection
    waiting: list[tuple[list[Item], "asyncio.Future[list[Answer]]"]] = field(
        default_factory=list)
    busy: bool = False
    drainer: "asyncio.Task[None] | None" = None

    async def submit(self, items: list[Item]) -> list[Answer]:
        """Group commit: requests that arrive while a transaction runs are taken together in
        the next one (each still whole: a group commits or fails as one), so concurrent
        sources share a transaction's fixed cost instead of queueing behind it one by one."""
        future: asyncio.Future[list[Answer]] = asyncio.get_running_loop().create_future()
        self.waiting.append((items, future))
        if not self.busy:
            self.busy = True
            self.drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.waiting:
                group: list[tuple[list[Item], asyncio.Future[list[Answer]]]] = []
                size = 0
                while self.waiting and (not group or size + len(self.waiting[0][0])
                                        <= GROUP_EVENTS):
                    group.append(self.waiting.pop(0))
                    size += len(group[-1][0])
                items = [i for its, _f in group for i in its]
                try:
                    answers = await loop.run_in_executor(self.executor, self.take, items)
                except Exception as e:  # every request of the group learns it
                    for _its, f in group:
                        f.set_exception(e)
                    continue
                start = 0
                for its, f in group:
                    f.set_result(answers[start:start + len(its)])
                    start += len(its)
        finally:
            self.busy = False


INGEST = web.AppKey("ingest", Ingest)


# The Content-Encoding values a body may come in (aiohttp decodes gzip and deflate)
CODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    """An RFC 9457 problem document: every refusal says what was wrong and what to do."""
    return web.json_response({"status": status, "detail": detail}, status=status,
                             headers=headers, content_type="application/problem+json")


async def post_events(request: web.Request) -> web.StreamResponse:
    came = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")  # the request's arrival
    ingest = request.app[INGEST]
    auth = request.headers.get("Authorization", "")
    scheme, _, presented = auth.partition(" ")
    token = ingest.tokens.verify(presented.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        log.warning("ingest: refused a request from %s: %s", request.remote,
                    "no bearer token" if not presented else "unknown or revoked token")
        return problem(401, "a valid bearer token is needed: Authorization: Bearer <token> "
                       "(made by 'jatkumo token add')", {"WWW-Authenticate": "Bearer"})
    if request.content_length is not None and request.content_length > MAX_BYTES:
        return problem(413, f"a request holds at most {MAX_BYTES // 2**20} MB; send fewer events")
    coding = request.headers.get("Content-Encoding", "").strip().lower()
    if coding not in CODINGS:
        # aiohttp decodes these and passes any other as it is: a body in a coding it does not
        # know was split as if it were plain (an attack, 2026-12-07); the value is not repeated
        return problem(415, "send the body uncompressed, or with Content-Encoding gzip or "
                       "deflate")
    try:
        body = await asyncio.wait_for(_read(request), ingest.read_seconds)
    except TimeoutError:
        return problem(408, f"the body did not arrive within {ingest.read_seconds:.0f} s")
    except BadBody as e:
        return problem(e.status, str(e))
    try:
        raws = split(request.content_type, body)
    except BadBody as e:
        return problem(e.status, str(e))
    if not raws:
        return problem(400, "the request holds no event")
    if len(raws) > ingest.rate.capacity:
        return problem(413, f"at most {ingest.rate.capacity:.0f} events a request; split it")
    wait = ingest.rate.take(token.name, len(raws))
    if wait:
        return problem(429, f"over {ingest.rate.per_second:.0f} events a second for this "
                       f"token; send again in {wait:.0f} s", {"Retry-After": f"{wait:.0f}"})
    ingest.requests += 1
    # where a dead letter came from (SPEC.md 1.4): the token, the request (the time it came,
    # in UTC to the microsecond, and its number since the start: the number alone began
    # again at every start, so two dead letters carried one origin) and the event's index
    # in it, as the answer's `results` number them
    origin = f"http:{token.name}:{came}-{ingest.requests}"
    items = [Item(raw, f"{origin}:{i}", token.source) for i, raw in enumerate(raws)]
    try:
        answers = await ingest.submit(items)
    except Exception as e:  # nothing of the request was stored (one transaction)
        log.error("ingest: a batch of %d events failed and was not stored: %s",
                  len(items), type(e).__name__)
        return problem(503, "the events could not be stored; nothing of this request was "
                       "taken: send it again", {"Retry-After": "5"})
    return web.json_response(_summary(answers))


async def _read(request: web.Request) -> bytes:
    chunks, size = [], 0
    try:
        async for chunk in request.content.iter_chunked(256 * 1024):
            size += len(chunk)
            if size > MAX_BYTES:
                raise BadBody(413, f"a request holds at most {MAX_BYTES // 2**20} MB")
            chunks.append(chunk)
    except web.RequestPayloadError:
        raise BadBody(400, UNREADABLE) from None
    return b"".join(chunks)


def _summary(answers: list[Answer]) -> dict[str, Any]:
    counts = {"accepted": 0, "duplicate": 0, "dead_letter": 0}
    results = []
    for i, a in enumerate(answers):
        counts[a.status] += 1
        r: dict[str, Any] = {"index": i, "status": a.status}
        if a.event_id is not None:
            r["event_id"] = a.event_id
        if a.reason is not None:
            r["reason"] = a.reason
        if a.issue is not None:
            r["issue"] = a.issue
        results.append(r)
    return {**counts, "results": results}


async def openapi(_: web.Request) -> web.Response:
    return web.json_response(document())


def setup(app: web.Application, ingest: Ingest) -> None:
    app[INGEST] = ingest
    app.router.add_post("/api/v1/events", post_events)
    app.router.add_get("/api/v1/openapi.json", openapi)
