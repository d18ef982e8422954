"""Alerts: firing and resolved, acknowledge with a comment, silence for a period. The page an
Alertmanager notification links to (/alerts/REF) resolves the opaque reference after sign-in.

A single alert is a single gap (its place, service and start date), so only roles that may see
gap rows (analysts, admins) see, acknowledge or silence single alerts. Managers see firing
alerts as counts by area and gap type: cells of the published cube (services/web/published.py),
suppressed with everything else they can reach."""

from datetime import UTC, datetime, timedelta

from aiohttp import web

from services.alerts.alertmanager import AlertmanagerError
from services.alerts.service import AlertService
from services.web import focus, published
from services.web.app import ctx, needs, render, session
from services.web.auth import PERMISSIONS
from services.web.published import ALL, GAP_TYPES

SILENCE_HOURS = (1, 4, 24, 72, 168)


def service(request: web.Request) -> AlertService:
    s: AlertService = ctx(request).extras["alerts"]
    return s


@needs("alerts")
async def alerts(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    state = service(request).state
    c.store.log(s.user, s.role, "view", "alerts")
    if "gap_rows" not in PERMISSIONS[s.role]:
        cube = focus.apply(await published.of(c.reader).cube(), focus.get(request))
        return render(request, "alerts.html", page="alerts", counts=cube.alert_counts(),
                      gap_types=GAP_TYPES, all_key=ALL, firing=[], resolved=[],
                      delivery_error=service(request).last_error)
    return render(request, "alerts.html", page="alerts", firing=state.rows("state = 'firing'"),
                  resolved=state.rows("state = 'resolved'", limit=100), hours=SILENCE_HOURS,
                  now=datetime.now(UTC), delivery_error=service(request).last_error)


@needs("alerts")
async def alert(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    if "gap_rows" not in PERMISSIONS[s.role]:  # a manager from a notification: the counts
        raise web.HTTPSeeOther("/alerts")
    ref = request.match_info["ref"]
    a = service(request).state.get(ref)
    c.store.log(s.user, s.role, "view", "alert", detail=ref,
                outcome="ok" if a else "unknown")
    if a is None:
        return render(request, "error.html", status=404, message="not_found")
    return render(request, "alert.html", page="alerts", a=a, hours=SILENCE_HOURS,
                  now=datetime.now(UTC))


@needs("gap_rows")
async def acknowledge(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    ref = request.match_info["ref"]
    comment = str((await request.post()).get("comment", ""))[:500]
    service(request).state.acknowledge(ref, s.user, comment, datetime.now(UTC))
    c.store.log(s.user, s.role, "acknowledge", "alert", detail=ref)
    raise web.HTTPSeeOther(f"/alerts/{ref}")


@needs("gap_rows")
async def silence(request: web.Request) -> web.StreamResponse:
    c, s = ctx(request), session(request)
    ref = request.match_info["ref"]
    form = await request.post()
    try:
        hours = float(str(form.get("hours", "4")))
    except ValueError:
        hours = 4.0
    hours = min(max(hours, 0.25), 24 * 30)
    comment = str(form.get("comment", ""))[:500]
    silence_id, outcome = None, "ok"
    manager = service(request).manager
    if manager is not None:
        try:
            silence_id = await manager.silence(ref, hours, s.user, comment)
        except AlertmanagerError:
            outcome = "alertmanager_unreachable"  # kept locally; the page says so
    service(request).state.silence(ref, datetime.now(UTC) + timedelta(hours=hours), silence_id)
    c.store.log(s.user, s.role, "silence", "alert", detail=f"{ref} {hours:g}h", outcome=outcome)
    raise web.HTTPSeeOther(f"/alerts/{ref}")


def setup(app: web.Application) -> None:
    app.router.add_get("/alerts", alerts)
    app.router.add_get("/alerts/{ref:[0-9a-f]{20}}", alert)
    app.router.add_post("/alerts/{ref:[0-9a-f]{20}}/ack", acknowledge)
    app.router.add_post("/alerts/{ref:[0-9a-f]{20}}/silence", silence)
