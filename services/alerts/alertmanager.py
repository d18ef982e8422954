"""Prometheus Alertmanager v2 API: post alerts and silences. An alert is its label set; the
labels carry no client identifier, only the opaque alert_ref."""

from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

ALERTNAME = "JatkumoContinuityGap"


class AlertmanagerError(Exception):
    """Alertmanager did not take what was sent; the delivery is retried on the next round."""


def _ts(d: datetime) -> str:
    return d.astimezone(UTC).isoformat().replace("+00:00", "Z")


def payload(a: dict[str, Any], public_url: str, ends_at: datetime) -> dict[str, Any]:
    link = f"{public_url}/alerts/{a['alert_ref']}"
    labels = {"alertname": ALERTNAME, "gap_type": a["gap_type"], "area": a["area"] or "-",
              "municipality": a["municipality"] or "-", "service": a["service"] or "-",
              "alert_ref": a["alert_ref"]}
    started = datetime.combine(a["started_on"], time(), UTC)
    return {"labels": labels,
            "annotations": {"summary": f"{a['gap_type']} since {a['started_on']} "
                            f"({labels['municipality']}, {labels['service']})",
                            "dashboard": link},
            "startsAt": _ts(started), "endsAt": _ts(ends_at), "generatorURL": link}


class Alertmanager:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        # What messages name: the URL without its user and password, which the dashboard
        # showed every manager and the log repeated every round (attack, 2026-12-04)
        parts = urlsplit(self.url)
        self.shown = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def _post(self, path: str, body: Any) -> Any:
        # trust_env=False: no proxy from the environment; Alertmanager is reached directly.
        async with aiohttp.ClientSession(timeout=self.timeout, trust_env=False) as s:
            try:
                async with s.post(self.url + path, json=body) as r:
                    if r.status >= 300:
                        raise AlertmanagerError(f"{path}: HTTP {r.status} {await r.text()}")
                    return await r.json(content_type=None)
            except (aiohttp.ClientError, ValueError) as e:
                said = str(e).replace(self.url, self.shown)
                raise AlertmanagerError(f"cannot reach Alertmanager at {self.shown}: {said}"
                                        ) from None

    async def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        if alerts:
            await self._post("/api/v2/alerts", alerts)

    async def silence(self, alert_ref: str, hours: float, user: str, comment: str) -> str:
        now = datetime.now(UTC)
        body = {"matchers": [{"name": "alert_ref", "value": alert_ref, "isRegex": False,
                              "isEqual": True}],
                "startsAt": _ts(now), "endsAt": _ts(now + timedelta(hours=hours)),
                "createdBy": user, "comment": comment or "silenced from the jatkumo dashboard"}
        got = await self._post("/api/v2/silences", body)
        return str(got.get("silenceID", ""))
