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

log = logging.getLogger("jatkumo.alerts")
BATCH = 1000  # alerts per POST: Alertmanager takes any number, but not in one huge body


class Observer(Protocol):
    def observe(self, amount: float) -> None: ...


OPEN_GAPS = ("SELECT client_id, gap_type, subject_id, started_on, internal_area, municipality, "
             "service FROM gaps_by_place WHERE is_open")


class AlertService:
    def __init__(self, state: AlertState, reader: RelationReader, client_ref: Callable[[str], str],
                 settings: WebSettings, manager: Alertmanager | None,
                 timer: Observer | None = None) -> None:
        self.state, self.reader, self.client_ref = state, reader, client_ref
        self.settings, self.manager, self.timer = settings, manager, timer
        self.last_error: str | None = None

    async def sync(self, now: datetime | None = None) -> tuple[int, int]:
        _, rows = await self.reader.rows(OPEN_GAPS)
        gaps = [OpenGap(*r) for r in rows]
        # Off the event loop: pages keep answering while a large round is written.
        return await asyncio.to_thread(self.state.sync, gaps, self.client_ref,
                                       now or datetime.now(UTC))

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
