"""Alert state, kept in the dashboard's file. One row per fingerprint (gap type, client,
subject, started_on), named by an opaque alert_ref; the client is kept only as its opaque
reference. `notified` is the last state Alertmanager accepted, so each change is sent once."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from services.alerts.ports import StateStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_ref VARCHAR PRIMARY KEY, client_ref VARCHAR NOT NULL, gap_type VARCHAR NOT NULL,
    subject_id VARCHAR, started_on DATE NOT NULL, area VARCHAR, municipality VARCHAR,
    service VARCHAR, state VARCHAR NOT NULL, first_seen TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ, notified VARCHAR, last_sent TIMESTAMPTZ,
    ack_by VARCHAR, ack_comment VARCHAR, ack_at TIMESTAMPTZ,
    silenced_until TIMESTAMPTZ, silence_id VARCHAR
);
"""
COLUMNS = ("alert_ref", "client_ref", "gap_type", "subject_id", "started_on", "area",
           "municipality", "service", "state", "first_seen", "resolved_at", "notified",
           "last_sent", "ack_by", "ack_comment", "ack_at", "silenced_until", "silence_id")


@dataclass(frozen=True)
class OpenGap:
    client_id: str
    gap_type: str
    subject_id: str | None
    started_on: date
    area: str | None
    municipality: str | None
    service: str | None


def alert_ref(secret: bytes, g: OpenGap) -> str:
    fingerprint = "|".join((g.gap_type, g.client_id, g.subject_id or "", g.started_on.isoformat()))
    return hmac.new(secret, b"alert:" + fingerprint.encode(), hashlib.sha256).hexdigest()[:20]


class AlertState:
    def __init__(self, store: StateStore, secret: bytes) -> None:
        self.store, self.secret = store, secret
        store.execute(SCHEMA)

    def sync(self, gaps: list[OpenGap], client_ref: Any, now: datetime) -> tuple[int, int]:
        """Open gaps in, alert states out: new ones fire, vanished or ended ones resolve.
        Set-based (one Arrow batch), because a national file has tens of thousands of open
        gaps. Returns (newly firing, newly resolved)."""
        batch = pa.table({
            "alert_ref": [alert_ref(self.secret, g) for g in gaps],
            "client_ref": [client_ref(g.client_id) for g in gaps],
            "gap_type": [g.gap_type for g in gaps],
            "subject_id": pa.array([g.subject_id for g in gaps], pa.string()),
            "started_on": pa.array([g.started_on for g in gaps], pa.date32()),
            "area": pa.array([g.area for g in gaps], pa.string()),
            "municipality": pa.array([g.municipality for g in gaps], pa.string()),
            "service": pa.array([g.service for g in gaps], pa.string())})
        with self.store.lock:
            con = self.store.con
            con.begin()
            try:
                con.register("open_now", batch)
                fired = con.execute(
                    "SELECT count(*) FROM open_now o LEFT JOIN alerts a USING (alert_ref) "
                    "WHERE a.alert_ref IS NULL OR a.state = 'resolved'").fetchall()[0][0]
                resolved = con.execute(
                    "SELECT count(*) FROM alerts WHERE state = 'firing' AND alert_ref NOT IN "
                    "(SELECT alert_ref FROM open_now)").fetchall()[0][0]
                con.execute(
                    "INSERT INTO alerts (alert_ref, client_ref, gap_type, subject_id, "
                    "started_on, area, municipality, service, state, first_seen) "
                    "SELECT DISTINCT ON (alert_ref) *, 'firing', ? FROM open_now "
                    "WHERE alert_ref NOT IN (SELECT alert_ref FROM alerts)", [now])
                # a correction reopened the same gap
                con.execute("UPDATE alerts SET state = 'firing', resolved_at = NULL "
                            "WHERE state = 'resolved' AND alert_ref IN "
                            "(SELECT alert_ref FROM open_now)")
                con.execute("UPDATE alerts SET state = 'resolved', resolved_at = ? "
                            "WHERE state = 'firing' AND alert_ref NOT IN "
                            "(SELECT alert_ref FROM open_now)", [now])
                con.unregister("open_now")
                con.commit()
            except Exception:
                con.rollback()
                raise
        return int(fired), int(resolved)

    def rows(self, where: str = "TRUE", params: list[Any] | None = None,
             limit: int = 500) -> list[dict[str, Any]]:
        got = self.store.execute(
            f"SELECT {', '.join(COLUMNS)} FROM alerts WHERE {where} "
            f"ORDER BY state, coalesce(resolved_at, first_seen) DESC LIMIT {int(limit)}",
            params or [])
        return [dict(zip(COLUMNS, r, strict=True)) for r in got]

    def get(self, ref: str) -> dict[str, Any] | None:
        found = self.rows("alert_ref = ?", [ref], 1)
        return found[0] if found else None

    def mark_sent(self, refs: list[str], state: str, now: datetime) -> None:
        if refs:  # one statement for the whole batch
            self.store.execute("UPDATE alerts SET notified = ?, last_sent = ? "
                               "WHERE alert_ref IN (SELECT unnest(?::VARCHAR[]))",
                               [state, now, refs])

    def acknowledge(self, ref: str, user: str, comment: str, now: datetime) -> None:
        self.store.execute("UPDATE alerts SET ack_by = ?, ack_comment = ?, ack_at = ? "
                           "WHERE alert_ref = ?", [user, comment, now, ref])

    def silence(self, ref: str, until: datetime, silence_id: str | None) -> None:
        self.store.execute("UPDATE alerts SET silenced_until = ?, silence_id = ? "
                           "WHERE alert_ref = ?", [until, silence_id, ref])
