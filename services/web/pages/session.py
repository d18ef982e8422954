"""Sign-in, sign-out and the language choice."""

from aiohttp import web

from services.web.app import ctx, lang_of, render
from services.web.auth import verify_password
from services.web.i18n import LANGS


async def login_form(request: web.Request) -> web.StreamResponse:
    return render(request, "login.html")


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    c = ctx(request)
    user = c.users.get(name)
    if user is None or not verify_password(password, user.password_hash):
        c.store.log(name[:64] or "-", "-", "sign_in", outcome="refused")
        return render(request, "login.html", status=401, error=True, username=name)
    c.store.log(user.name, user.role, "sign_in")
    target = request.cookies.get("next", "/")
    # Only a local path: never an open redirect.
    response = web.HTTPSeeOther(target if target.startswith("/") and "//" not in target
                                else "/")
    response.del_cookie("next", path="/")
    response.set_cookie("session", c.sessions.start(user), httponly=True, samesite="Strict",
                        path="/")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    ctx(request).sessions.end(request.cookies.get("session"))
    response = web.HTTPSeeOther("/login")
    response.del_cookie("session", path="/")
    raise response


async def language(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]
    back = request.headers.get("Referer", "/")
    # Only a path on this site: never an open redirect.
    path = "/" + back.split("://", 1)[-1].split("/", 1)[-1] if "://" in back else "/"
    response = web.HTTPSeeOther(path)
    response.set_cookie("lang", code if code in LANGS else lang_of(request), samesite="Lax",
                        path="/", max_age=365 * 86400)
    raise response


def setup(app: web.Application) -> None:
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/lang/{code}", language)
