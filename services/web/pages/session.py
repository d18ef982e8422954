"""Sign-in, sign-out and the language choice."""

import asyncio
import math

from aiohttp import web

from services.web.app import ctx, https, lang_of, local_path, own_origins, posted, render, split_url
from services.web.auth import verify_password
from services.web.i18n import LANGS

UNKNOWN = "unknown user"


async def login_form(request: web.Request) -> web.StreamResponse:
    return render(request, "login.html")


async def login(request: web.Request) -> web.StreamResponse:
    form = await posted(request)
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    c = ctx(request)
    user = c.users.get(name)
    # Only a configured name is logged: what was typed may be a password in the wrong box.
    logged = user.name if user else UNKNOWN
    address = request.remote or "-"
    wait = max(c.names.wait(name), c.addresses.wait(address))
    if wait > 0:
        c.store.log(logged, "-", "sign_in", outcome="locked")
        response = render(request, "login.html", status=429, locked=math.ceil(wait),
                          username=name)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    # An unknown name costs the same scrypt as a known one (the dummy hash), on threads of
    # its own, so neither the answer's time nor a stalled event loop tells them apart.
    ok = await asyncio.get_running_loop().run_in_executor(
        c.hasher, verify_password, password, user.password_hash if user else c.dummy_hash)
    if user is None or not ok:
        c.names.failed(name)
        c.addresses.failed(address)
        c.store.log(logged, "-", "sign_in", outcome="refused")
        return render(request, "login.html", status=401, error=True, username=name)
    c.names.succeeded(name)
    c.store.log(user.name, user.role, "sign_in", scope=user.scope)  # no session yet
    response = web.HTTPSeeOther(local_path(request.cookies.get("next")))
    response.del_cookie("next", path="/")
    response.set_cookie("session", c.sessions.start(user), httponly=True, samesite="Strict",
                        secure=https(request),
                        path="/")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    ctx(request).sessions.end(request.cookies.get("session"))
    response = web.HTTPSeeOther("/login")
    response.del_cookie("session", path="/")
    # and whatever a page left in the browser's storage: an htmx snapshot of a caseworker's
    # rows, written before the history cache was turned off (base.html), stayed after sign-out
    response.headers["Clear-Site-Data"] = '"storage"'
    raise response


def back_to(request: web.Request) -> str:
    """The page the language link was on, when the Referer is this site; else "/"."""
    p = split_url(request.headers.get("Referer", ""))
    if p is None or f"{p.scheme}://{p.netloc}" not in own_origins(request):
        return "/"
    return local_path(p.path + (f"?{p.query}" if p.query else ""))


async def language(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]
    response = web.HTTPSeeOther(back_to(request))
    response.set_cookie("lang", code if code in LANGS else lang_of(request), samesite="Lax",
                        secure=https(request),
                        path="/", max_age=365 * 86400)
    raise response


def setup(app: web.Application) -> None:
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/lang/{code}", language)
