"""What the access log may keep of text a user typed: client ids and pseudonyms become opaque
references (or `[client]`), identity codes are masked. The log proves who looked at what
(Client Data Act 703/2023) without becoming a second copy of whom."""

import asyncio
import bisect
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestPayloadError

from schemas.hetu import mask_codes, mask_typed, visible
from schemas.types import readable
from services.web.i18n import LANGS, translate

PSEUDONYM = re.compile(r"p:[0-9a-fA-F]{16}")
# A run of the characters a client id is made of (SPEC.md 1.1: 1-64 of A-Za-z0-9_.:-). An id
# typed into text may be glued to punctuation or a Finnish case ending written after a colon
# (`sim-000045.`, `sim-000045:lle`): every part of a run between its separators (or its ends)
# is a candidate, so those are found too (a hunt, 2026-12-06, found them kept as typed, as
# were ids of one or two characters and every word after the first 500).
ID_RUN = re.compile(r"[A-Za-z0-9_.:\-]+")
SEPARATORS = frozenset(".:-_")
LONGEST_ID = 64
_HEAD = re.compile(r"[^.:_\-]*")  # an id's text up to its first separator (maybe none)


@dataclass(frozen=True)
class KnownClients:
    """Every client id of the whole area with its reference, also looked up without case
    where that names one client only (`ILIKE 'SIM-000004'` names sim-000004: a hunt,
    2026-12-06, found it kept as typed; ids ABC and abc are two clients, and each keeps its
    own reference), and each id's head (its text up to its first separator, in lower case):
    a place in a run where no id's head begins is passed over at the cost of one lookup, so
    the search stays linear in the text."""

    refs: Mapping[str, str]
    folded: Mapping[str, str]
    heads: frozenset[str]

    @classmethod
    def of(cls, refs: Mapping[str, str]) -> "KnownClients":
        folded: dict[str, str | None] = {}
        for i, ref in refs.items():
            low = i.lower()
            folded[low] = ref if low not in folded else None  # two ids: neither by case
        return cls(refs, {i: r for i, r in folded.items() if r is not None},
                   frozenset(_HEAD.match(i).group(0) for i in folded))  # type: ignore[union-attr]

    def ref(self, written: str) -> str | None:
        got = self.refs.get(written)
        return got if got is not None else self.folded.get(written.lower())


class KnownIds(Protocol):
    async def known_clients(self) -> KnownClients: ...


def _swap_run(known: KnownClients, run: str) -> str:
    """`run` with each client id in it (the longest from each place, left to right, each
    beginning at the run's start or after a separator and ending at its end or before one)
    as its reference."""
    low = run.lower()  # (ASCII: the same length, the same places)
    cuts = [i for i, c in enumerate(run) if c in SEPARATORS]
    ends = [*cuts, len(run)]
    out, at = [], 0
    for a in (0, *(i + 1 for i in cuts)):
        if a < at:
            continue
        first = bisect.bisect_left(ends, a)
        if low[a:ends[first]] not in known.heads:
            continue
        found: tuple[int, str] | None = None
        for b in ends[bisect.bisect_right(ends, a):bisect.bisect_right(ends, a + LONGEST_ID)]:
            ref = known.ref(run[a:b])
            if ref is not None:
                found = (b, ref)  # the longest wins: keep going
        if found is not None:
            out += [run[at:a], f"ref:{found[1]}"]
            at = found[0]
    out.append(run[at:])
    return "".join(out)


def hide(known: KnownClients, text: str) -> str:
    """`text` with identity codes masked, pseudonyms as [client] (first: an id found inside
    one, `p` of `p:0123…`, left its hex readable: a review, 2026-12-06), client ids as
    references."""
    text = PSEUDONYM.sub("[client]", mask_typed(text))  # typed text: read widely
    return ID_RUN.sub(lambda m: _swap_run(known, m.group(0)), text)


async def hide_clients(refs: KnownIds, text: str) -> str:
    known = await refs.known_clients()
    return await asyncio.to_thread(hide, known, text)


def for_log(text: str) -> str:
    """Text anyone sent (a request's path), as a line of the server's log may print it:
    identity codes masked, pseudonyms as `[client]` (also one a reader would read through
    invisible or combining characters or full-width digits, schemas.hetu.visible), and
    control and format characters as escapes (schemas.types.readable), so that no line
    break, terminal control sequence or direction override forges or hides a line (attack,
    2026-12-04: a path's %0a printed a second log line; p: + 16 hex was printed as it was)."""
    text = PSEUDONYM.sub("[client]", mask_typed(text))
    seen = visible(text)
    if PSEUDONYM.search(seen):  # a pseudonym the hidden characters split: as it is read
        text = PSEUDONYM.sub("[client]", seen)
    return readable(text)


class MalformedRequests(logging.Filter):
    """aiohttp logs a request it cannot parse (a byte no URL or header may hold, a line over
    8190 bytes) as an error with a traceback that quotes the raw line: a session cookie, a
    bearer token, an identity code in a query string (attack, 2026-12-04). The sender's
    fault, answered 400: one line, without the bytes. So is a body that cannot be decoded
    as its Content-Encoding says: answered 400 by the handler, aiohttp then reads the rest of
    it and logged its error with a traceback (a hunt, 2026-12-06)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError | RequestPayloadError):
            record.msg = "refused a malformed request from %s: %s (%s)"
            record.args = (*(record.args or ("-",)), type(exc).__name__,
                           getattr(exc, "code", 400))
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def answer_without_echo() -> None:
    """aiohttp answers a request it cannot parse (400) with the parser's message, which
    quotes the request's own bytes: `b'131052-308T /login HTTP/1.1'`, a header's value, a
    cookie (attack, 2026-12-05: 15 kinds of malformed request on every server, the ingest
    API's included). The answer names the status only; the log line says the rest
    (MalformedRequests). aiohttp has no setting for this message, and its error handler runs
    before any middleware or signal of an application, so its one public method is wrapped,
    once per process, for every server (serve, live mode, ingest)."""
    from http import HTTPStatus

    from aiohttp.web_protocol import RequestHandler

    original = RequestHandler.handle_error
    if getattr(original, "without_echo", False):
        return

    def handle_error(self: RequestHandler, request: Any, status: int = 500,
                     exc: BaseException | None = None, message: str | None = None) -> Any:
        if status != HTTPStatus.INTERNAL_SERVER_ERROR:  # a 500's text is aiohttp's own
            try:
                message = f"{status} {HTTPStatus(status).phrase}"
            except ValueError:
                message = str(status)
            if status == HTTPStatus.BAD_REQUEST:
                message += "\n\n" + unparsed_advice(exc)
        return original(self, request, status, exc, message)

    handle_error.without_echo = True  # type: ignore[attr-defined]
    RequestHandler.handle_error = handle_error  # type: ignore[method-assign]


def unparsed_advice(exc: BaseException | None) -> str:
    """What to do about a request aiohttp could not parse, in every language (Finnish first:
    the request's own Accept-Language was not read). A URL or header over aiohttp's 8 KB got
    its English "400 Bad Request" alone (a review, 2026-12-07)."""
    key = "request_too_long" if isinstance(exc, LineTooLong) else "request_unreadable"
    return "\n".join(translate(key, lang) for lang in LANGS)


async def masked_refusal(request: Any, response: Any) -> None:
    """An application's refusal raised before its middlewares run quotes what was sent:
    aiohttp's answer to an unknown Expect header is `Unknown Expect: VALUE` (417; attack,
    2026-12-05, VALUE an identity code). As every answer is sent (on_response_prepare), a
    plain-text error's identity codes are masked (pages are masked as they are rendered).
    """
    if response.status < 400 or response.content_type != "text/plain":
        return
    body = getattr(response, "body", None)
    if isinstance(body, bytes) and len(body) < 4096:
        text = body.decode("utf-8", "replace")
        if text != (masked := mask_codes(text)):
            response.text = masked
