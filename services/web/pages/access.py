"""Access log (admins): who looked at what and when, newest first."""

from aiohttp import web

from services.web.app import ctx, needs, render, session
from services.web.pages.session import UNKNOWN

SHOWN = 500
# Details the server itself writes (not a query, not a reference): said in words.
PLACEHOLDERS = {"not found": "outcome_unknown"}


@needs("access_log")
async def access_log(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    rows = c.store.execute(
        "SELECT logged_at, user_name, role, action, target, detail, row_count, outcome "
        f"FROM access_log ORDER BY logged_at DESC LIMIT {SHOWN}")
    c.store.log(s.user, s.role, "view", "access_log")
    return render(request, "access_log.html", page="access_log", rows=rows, unknown=UNKNOWN,
                  placeholders=PLACEHOLDERS)


def setup(app: web.Application) -> None:
    app.router.add_get("/access-log", access_log)
