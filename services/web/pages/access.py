"""Access log (admins): who looked at what and when, newest first.

An admin of the whole wellbeing area reads every entry. An admin with a scope reads the
entries of users whose scope (recorded in the entry when it was written) lies wholly within
theirs, and nothing else. Why by the user's scope and not by the page: an entry tells what
its user did, in their words (the SQL they typed names places and values, a filter names
areas, a reference names a client of the user's scope). A user whose scope lies within the
admin's could only ever reach rows of the admin's scope (scopes are enforced where the data
is read, services/scope.py), so every row their entries touch is the admin's to oversee; a
user of a wider scope (the whole area, another area) may have touched rows outside it, and
their activity is not the scoped admin's to read. Entries without a signed-in user (a refused
sign-in) or of the whole area are the whole area's admins' only. The scope recorded at the
time counts, not today's users file: a user moved into the admin's area later does not bring
their earlier, wider activity along."""

from typing import Any

from aiohttp import web

from services.scope import Scope
from services.web.app import ctx, needs, render, session
from services.web.pages.session import UNKNOWN

SHOWN = 500
# Details the server itself writes (not a query, not a reference): said in words.
PLACEHOLDERS = {"not found": "outcome_unknown"}
COLUMNS = "logged_at, user_name, role, action, target, detail, row_count, outcome"


async def within(request: web.Request, scope: Scope) -> tuple[str, list[Any]]:
    """A WHERE condition on access_log (and its parameters) keeping the entries of users
    whose recorded scope lies within `scope`: every area of theirs is one of its areas, every
    municipality of theirs one of its municipalities or in one of its areas. The
    municipalities within a scope are those of its own database file (services/web/
    scopedb.py reads the municipalities of the scope only), so an area's municipalities are
    the data's grouping (JATKUMO_AREAS_FILE), as everywhere else."""
    if scope.whole:
        return "TRUE", []
    (rows,) = await ctx(request).reader.many(("SELECT code FROM municipalities", ()))
    munis = sorted({str(r["code"]) for r in rows} | set(scope.municipalities))
    return ("(coalesce(len(scope_areas), 0) + coalesce(len(scope_municipalities), 0) > 0 "
            "AND list_has_all(?::VARCHAR[], scope_areas) "
            "AND list_has_all(?::VARCHAR[], scope_municipalities))",
            [sorted(scope.areas), munis])


@needs("access_log")
async def access_log(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    where, params = await within(request, s.scope)
    rows = c.store.execute(f"SELECT {COLUMNS} FROM access_log WHERE {where} "
                           f"ORDER BY logged_at DESC LIMIT {SHOWN}", params)
    c.store.log(s.user, s.role, "view", "access_log")
    return render(request, "access_log.html", page="access_log", rows=rows, unknown=UNKNOWN,
                  placeholders=PLACEHOLDERS)


def setup(app: web.Application) -> None:
    app.router.add_get("/access-log", access_log)
