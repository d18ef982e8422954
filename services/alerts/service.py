"""The alert round: read the open gaps, update alert state, deliver what changed (and re-send
what still fires, as Alertmanager expects). Runs in the serve process; a failed delivery is
retried on the next round and never marked as sent."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from services.alerts.alertmanager import Alertmanager, AlertmanagerError, payload
from services.alerts.ports import RelationReader
from services.alerts.state import AlertState, OpenGap
from services.config import WebSettings
from streams.core.rules import Rules

log = logging.getLogger("jatkumo.alerts")
BATCH = 1000  # alerts per POST: Alertmanager takes any number, but not in one huge body


class Observer(Protocol):
    def observe(self, amount: float) -> None: ...


# Each open gap with its place, who is expected to act — the organiser responsible on the day
# it began (SPEC.md 2: organizer(k, d) of the contract it is about, else of the client's
# latest contract started by then) — and, for a referral, its target (whose threshold holds).
OPEN_GAPS = """
WITH g AS (
    SELECT client_id, gap_type, subject_id, started_on, internal_area, municipality, service
    FROM gaps_by_place WHERE is_open
), k AS (
    SELECT g.client_id, g.gap_type, g.subject_id, g.started_on, c.contract_id,
           c.signed_organizer
    FROM g JOIN contracts c ON c.client_id = g.client_id
        AND (c.contract_id = g.subject_id OR c.start_date <= g.started_on)
    QUALIFY row_number() OVER (PARTITION BY g.client_id, g.gap_type, g.subject_id, g.started_on
                               ORDER BY c.contract_id = g.subject_id DESC, c.start_date DESC,
                                        c.contract_id) = 1
), moves AS (
    SELECT client_id, json_extract_string(payload, '$.contract_id') AS contract_id,
           json_extract_string(payload, '$.to_organizer') AS to_organizer, effective_date,
           occurred_at, event_id
    FROM events WHERE event_type = 'responsibility.transferred'
        AND client_id IN (SELECT client_id FROM g)
), o AS (
    SELECT k.*, m.to_organizer
    FROM k LEFT JOIN moves m ON m.client_id = k.client_id AND m.contract_id = k.contract_id
        AND m.effective_date <= k.started_on
    QUALIFY row_number() OVER (PARTITION BY k.client_id, k.gap_type, k.subject_id, k.started_on
                               ORDER BY m.effective_date DESC NULLS LAST,
                                        m.occurred_at DESC NULLS LAST,
                                        m.event_id DESC NULLS LAST) = 1
)
SELECT g.client_id, g.gap_type, g.subject_id, g.started_on, g.internal_area, g.municipality,
       g.service, coalesce(o.to_organizer, o.signed_organizer) AS organizer, r.target
FROM g
LEFT JOIN o ON o.client_id = g.client_id AND o.gap_type = g.gap_type
    AND o.subject_id IS NOT DISTINCT FROM g.subject_id AND o.started_on = g.started_on
LEFT JOIN referrals r ON g.gap_type = 'REFERRAL_STALLED' AND r.referral_id = g.subject_id
"""


class AlertService:
    def __init__(self, state: AlertState, reader: RelationReader, client_ref: Callable[[str], str],
                 settings: WebSettings, manager: Alertmanager | None,
                 timer: Observer | None = None, rules: Rules | None = None) -> None:
        self.state, self.reader, self.client_ref = state, reader, client_ref
        self.settings, self.manager, self.timer = settings, manager, timer
        self.rules = rules or Rules()  # the thresholds the work list shows
        self.last_error: str | None = None

    async def sync(self, now: datetime | None = None) -> tuple[int, int]:
        # The server's own bookkeeping: every alert, whatever a user may see.
        _, rows = await self.reader.rows(OPEN_GAPS, whole=True)
        gaps = [OpenGap(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
                        self.threshold(r[1], r[8])) for r in rows]
        # Off the event loop: pages keep answering while a large round is written.
        return await asyncio.to_thread(self.state.sync, gaps, self.client_ref,
                                       now or datetime.now(UTC))

    def threshold(self, gap_type: str, target: str | None) -> int | None:
        """The rule's threshold T in days (a gap is a run longer than T: SPEC.md 3)."""
        if gap_type == "REFERRAL_STALLED":
            return self.rules.referral_thresholds.get(target or "")
        return self.rules.thresholds.get(gap_type)

    async def deliver(self, now: datetime | None = None) -> int:
        """Send new firing, due re-sends and resolutions; returns how many were sent."""
        now = now or datetime.now(UTC)
        resend = timedelta(seconds=self.settings.alert_resend_seconds)
        firing = [a for a in self.state.rows("state = 'firing'", limit=100_000)
                  if a["notified"] != "firing" or a["last_sent"] is None
                  or a["last_sent"] <= now - resend]
        resolved = self.state.rows("state = 'resolved' AND coalesce(notified, '') <> 'resolved'",
                                   limit=100_000)
        never_sent = [a["alert_ref"] for a in resolved if a["notified"] is None]
        resolved = [a for a in resolved if a["notified"] == "firing"]
        if self.manager is None:
            return 0
        # endsAt a few rounds ahead: if jatkumo stops, Alertmanager resolves them by itself.
        todo = [(a["alert_ref"], "firing", payload(a, self.settings.public_url, now + 4 * resend))
                for a in firing]
        todo += [(a["alert_ref"], "resolved", payload(a, self.settings.public_url,
                                                      a["resolved_at"])) for a in resolved]
        sent = 0
        for i in range(0, len(todo), BATCH):
            chunk = todo[i:i + BATCH]
            try:
                await self.manager.post_alerts([p for _, _, p in chunk])
            except AlertmanagerError as e:
                self.last_error = str(e)
                log.warning("alert delivery failed, retrying next round: %s", e)
                return sent
            # Marked per accepted batch, so an accepted change is never sent as new again.
            for state in ("firing", "resolved"):
                self.state.mark_sent([r for r, st, _ in chunk if st == state], state, now)
            sent += len(chunk)
        self.last_error = None
        # A gap that opened and closed between two rounds was never announced: nothing to end.
        self.state.mark_sent(never_sent, "resolved", now)
        return sent

    async def round(self) -> None:
        started = time.perf_counter()
        await self.sync()
        await self.deliver()
        if self.timer is not None:
            self.timer.observe(time.perf_counter() - started)

    async def run_forever(self) -> None:
        every = min(self.settings.alert_sync_seconds, self.settings.alert_resend_seconds / 2)
        while True:
            try:
                await self.round()
            except Exception as e:  # the dashboard must outlive a bad round
                log.exception("alert round failed: %s", e)
            await asyncio.sleep(every)


async def start(service: AlertService) -> asyncio.Task[None]:
    return asyncio.create_task(service.run_forever())


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
