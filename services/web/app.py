"""The dashboard application: wiring (bootstrap) and the middlewares every page shares —
sign-in, role limits, same-origin and CSRF checks on POST, security headers, language."""

import asyncio
import codecs
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote, unquote_plus, urlsplit

import jinja2
from aiohttp import web
from jinja2 import Undefined
from markupsafe import Markup
from multidict import MultiDict, MultiDictProxy

from schemas.door import seen_code
from schemas.hetu import mask_codes
from services.config import WebSettings
from services.scope import CURRENT as CURRENT_SCOPE
from services.scope import WHOLE
from services.shown import Shown, masked_value
from services.web import focus, formats
from services.web.auth import PERMISSIONS, Session, Sessions, Throttle, User
from services.web.db import Reader, Refs
from services.web.i18n import LANG_NAMES, LANGS, translate
from services.web.logtext import hide_clients
from services.web.sqlproc import SqlRunner
from services.web.webstore import WebStore

HERE = Path(__file__).parent
# /api/v1/ is for source systems: a bearer token per request, no cookie, so no session and no
# CSRF token (a browser cannot be tricked into sending the bearer header)
PUBLIC = ("/static/", "/login", "/metrics", "/healthz", "/lang/", "/favicon.ico", "/api/v1/")
NAV = ("overview", "map", "gaps", "alerts", "timeline", "sql", "access_log")
NAV_PATH = {"overview": "/", "map": "/map", "gaps": "/gaps", "alerts": "/alerts",
            "timeline": "/timeline", "sql": "/sql", "access_log": "/access-log"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Ctx:
    reader: Reader
    refs: Refs
    store: WebStore
    users: dict[str, User]
    settings: WebSettings
    sessions: Sessions = field(default_factory=Sessions)
    templates: jinja2.Environment = field(default_factory=lambda: formats.install(
        jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                           trim_blocks=True, lstrip_blocks=True, finalize=shown_text)))
    extras: dict[str, Any] = field(default_factory=dict)  # alerts service, metrics
    analyst: SqlRunner | None = None
    # Sign-in: failures per typed name (any name: a locked unknown name must look like a
    # locked known one) and per address (looser: people share an address behind a NAT).
    names: Throttle = field(default_factory=lambda: Throttle(free=5))
    addresses: Throttle = field(default_factory=lambda: Throttle(free=20))
    # scrypt off the event loop, on threads of its own: a flood of sign-ins neither stalls
    # /healthz nor takes the threads the pages read on.
    hasher: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(
        2, thread_name_prefix="jatkumo-scrypt"))
    dummy_hash: str = ""

    def analyst_sql(self) -> SqlRunner:
        if self.analyst is None:
            raise RuntimeError("build_app gives every dashboard its analyst SQL runner")
        return self.analyst


CTX = web.AppKey("ctx", Ctx)


def ctx(request: web.Request) -> Ctx:
    return request.app[CTX]


def session(request: web.Request) -> Session:
    s: Session = request["session"]
    return s


async def redacted(request: web.Request, text: str) -> str:
    """Text a user typed, as the access log keeps it: client ids and pseudonyms become
    references, identity codes are masked (services/web/logtext.py)."""
    return await hide_clients(ctx(request).refs, text)


async def logged_query(request: web.Request) -> str | None:
    """The request's filters as the access log keeps them: decoded (a code sent as %2D is
    still a code), then `redacted`. A filter is typed text: a client id or an identity code
    in one was kept as it was."""
    raw = request.rel_url.raw_query_string  # (query_string has read each '+' as a space)
    text = unquote_plus(raw)
    # '+' is a space in a query and a century sign in a code: `131052 308T` is no code to
    # the masking (a hunt, 2026-12-06: logged readable), so the '+' is read both ways
    plus = unquote(raw)
    if (masked := mask_codes(plus)) != plus:
        text = masked.replace("+", " ")
    return await redacted(request, text) if text else None


def https(request: web.Request) -> bool:
    """Whether the dashboard is reached over HTTPS (its public address says so, or the
    request came so): its cookies are then sent over HTTPS only (Secure)."""
    return request.secure or ctx(request).settings.public_url.lower().startswith("https://")


def lang_of(request: web.Request) -> str:
    lang = request.cookies.get("lang", "fi")
    return lang if lang in LANGS else "fi"


def render(request: web.Request, template: str, status: int = 200, **values: Any
           ) -> web.Response:
    lang = lang_of(request)
    s: Session | None = request.get("session")
    allowed = PERMISSIONS[s.role] if s else frozenset()
    page = ctx(request).templates.get_template(template)
    with formats.speaking(lang):  # the |date, |num, |when filters write in `lang`
        html = page.render(
            t=lambda key: _threshold(translate(key, lang), ctx(request).settings.suppress_below),
            lang=lang, langs=LANG_NAMES, session=s,
            nav=[(n, NAV_PATH[n]) for n in NAV if n in allowed], path=request.path,
            partial=request.headers.get("HX-Request") == "true",
            focus_chip=focus.get(request) if s else None, **values)
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def _threshold(text: str, k: int) -> str:
    """The suppression threshold in a text: '<{k}' and '1–{m}' (m = k - 1)."""
    return text.replace("{k}", str(k)).replace("{m}", str(k - 1)) if "{" in text else text


def split_url(url: str) -> SplitResult | None:
    """`url`'s parts, or None for text urllib cannot split (an unclosed `[` of an IPv6 host:
    a Referer of `http://[` answered every POST and the language and focus links with a 500,
    attack 2026-12-04)."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def own_origins(request: web.Request) -> set[str]:
    public = urlsplit(ctx(request).settings.public_url)
    return {f"{request.scheme}://{request.host}", f"{public.scheme}://{public.netloc}"}


def same_origin(request: web.Request) -> bool:
    """A POST from this site's own pages. Every current browser sends Origin with a POST
    (`null` when it hides it, which is refused); an older one may send only Referer. A request
    with neither is not a browser's cross-site form (a script or curl, which carries no
    victim's cookies), so it passes here: the CSRF token still guards every signed-in POST,
    and sign-in is rate-limited."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin in own_origins(request)
    referer = request.headers.get("Referer")
    if referer is not None:
        p = split_url(referer)
        return p is not None and f"{p.scheme}://{p.netloc}" in own_origins(request)
    return True


def shown_text(value: Any) -> Any:
    """Every value a template writes ({{ ... }}), as the page shows it: text with identity codes
    masked. A page echoes what was typed (a user name at a failed sign-in, a reference, an
    SQL query, its error, a literal in its answer): a code typed there was shown back (attack,
    2026-12-05). HTML the pages build themselves (Markup: charts, maps) holds no typed text."""
    if isinstance(value, Markup | Undefined | Shown):
        return value
    return masked_value(value)  # a list, a struct or bytes of an SQL answer: masked text


def local_path(target: str | None) -> str:
    """`target` if it is a path of this site, else "/": one leading "/", not "//" (another
    host), no backslash (browsers read "/\\evil" as "//evil"), no control character or
    space (browsers drop tabs and line breaks from URLs), no scheme or host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target):
        return "/"
    if any(map(seen_code, (target, unquote(target), unquote_plus(target)))):
        return "/"  # a redirect (and a cookie before it) would echo it ('+' is a century sign)
    parts = split_url(target)
    return "/" if parts is None or parts.scheme or parts.netloc else target


FORM_SECONDS = 10.0  # the longest a form's body may take to arrive (forms are a few kB)
FORM = "application/x-www-form-urlencoded"  # how every form of the site is sent
MAX_FORM_BYTES = 256 * 1024  # a request's body (the application's client_max_size)


async def posted(request: web.Request) -> MultiDictProxy[str]:
    """The POSTed form, text fields only (aiohttp reads it once and keeps it). Every form of
    the site is sent urlencoded in UTF-8; anything else is refused, 415 (multipart, another
    charset) or 400 (bytes that are not UTF-8), before aiohttp's parser raised on it: every
    POST route, sign-in included, answered 500 with a traceback, and a charset such as
    unicode_escape put lone surrogates in a field that every later encode() refused
    (attack, 2026-12-04)."""
    # (only a form: a JSON body read as no field at all, and sign-in answered "wrong user
    # name or password": an attack, 2026-12-07)
    if request.content_type != FORM or not _utf8(request.charset):
        raise web.HTTPUnsupportedMediaType(text=translate("bad_form", lang_of(request)))
    try:
        # a body that trickles in held its connection and handler for as long as the client
        # liked (the ingest has its own deadline, services.ingest.routes)
        async with asyncio.timeout(FORM_SECONDS):
            got = await request.post()
    except web.HTTPRequestEntityTooLarge as e:
        # aiohttp's own text is English ("Maximum request body size 262144 exceeded")
        raise web.HTTPRequestEntityTooLarge(
            MAX_FORM_BYTES, request.content_length or MAX_FORM_BYTES + 1,
            text=translate("bad_form", lang_of(request))) from e
    except (ValueError, web.RequestPayloadError):
        # bytes that are not UTF-8; or a body that cannot be decoded (Content-Encoding: gzip
        # over bytes that are not gzip), which aiohttp raises from the read: a 500 with a
        # traceback, sign-in included (a hunt, 2026-12-06)
        raise web.HTTPBadRequest(text=translate("bad_form", lang_of(request))) from None
    except TimeoutError:
        # (aiohttp then reads what still comes for up to 10 s before it closes: closing at
        # once with unread bytes resets the connection, and the client never sees the 408)
        raise web.HTTPRequestTimeout(text=translate("bad_form", lang_of(request))) from None
    return MultiDictProxy(MultiDict((k, v) for k, v in got.items() if isinstance(v, str)))


def _utf8(charset: str | None) -> bool:
    try:
        return charset is None or codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


def needs(permission: str) -> Callable[[Handler], Handler]:
    """Role limit on a handler; a refused attempt is logged like any other access."""
    def wrap(handler: Handler) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            s = session(request)
            if permission not in PERMISSIONS[s.role]:
                ctx(request).store.log(s.user, s.role, "view", permission, outcome="forbidden")
                return render(request, "error.html", status=403, message="forbidden")
            return await handler(request)
        return checked
    return wrap


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if (request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin(request)
            and not request.path.startswith("/api/v1/")):
        # Before anything else, sign-in included: a cross-site form is refused outright.
        # (/api/v1/ carries a bearer token, nothing a browser adds by itself: no CSRF there.)
        raise web.HTTPForbidden(text=translate("cross_site", lang_of(request)))
    if request.path == "/" or not request.path.startswith(PUBLIC):
        s = ctx(request).sessions.get(request.cookies.get("session"))
        if s is None:
            if request.method == "GET" and request.headers.get("HX-Request") != "true":
                back = web.HTTPSeeOther("/login")
                # After sign-in, back to where the link pointed (an alert from Alertmanager).
                if ("text/html" in request.headers.get("Accept", "")  # not for a favicon
                        and local_path(request.path) == request.path):
                    back.set_cookie("next", request.path, httponly=True, samesite="Lax",
                                    secure=https(request), path="/", max_age=600)
                raise back
            raise web.HTTPUnauthorized(text=translate("sign_in_again", lang_of(request)))
        request["session"] = s
        if request.method == "POST" and (await posted(request)).get("_csrf") != s.csrf:
            raise web.HTTPForbidden(text=translate("stale_form", lang_of(request)))
    # What this user may see, for every query the page runs (services/scope.py); reset
    # after, as a kept-alive connection answers its next request in the same task.
    signed: Session | None = request.get("session")
    token = CURRENT_SCOPE.set(signed.scope if signed is not None else WHOLE)
    try:
        response = await handler(request)
    except OSError:
        # A file name the file system refuses (too long): aiohttp's static files let the
        # OSError through as a 500 with a traceback (attack, 2026-12-04).
        if not request.path.startswith("/static/"):
            raise
        raise web.HTTPNotFound() from None
    except web.HTTPNotFound:
        # A signed-in user who follows a dead link gets a page in their language (with its
        # title and lang, like every page), not aiohttp's bare text; files and the API keep
        # their plain 404.
        if signed is None or request.path.startswith(PUBLIC):
            raise
        response = render(request, "error.html", status=404, message="not_found")
    except web.HTTPMethodNotAllowed as e:
        # so too a method a page does not take (a PUT, a DELETE: "405: Method Not Allowed"
        # in English, an attack of 2026-12-07); its Allow header kept
        if signed is None or request.path.startswith(PUBLIC):
            raise
        response = render(request, "error.html", status=405, message="not_allowed")
        response.headers["Allow"] = e.headers.get("Allow", "")
    finally:
        CURRENT_SCOPE.reset(token)
    return response


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer's security headers, set as it is sent (aiohttp's on_response_prepare):
    also on a redirect or a refusal raised as an exception, which a middleware's return path
    never sees (an attack found /login's redirect and the 403s without them)."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
