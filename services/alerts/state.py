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
from services.scope import WHOLE, Scope

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_ref VARCHAR PRIMARY KEY, client_ref VARCHAR NOT NULL, gap_type VARCHAR NOT NULL,
    subject_id VARCHAR, started_on DATE NOT NULL, area VARCHAR, municipality VARCHAR,
    service VARCHAR, state VARCHAR NOT NULL, first_seen TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ, notified VARCHAR, last_sent TIMESTAMPTZ,
    ack_by VARCHAR, ack_comment VARCHAR, ack_at TIMESTAMPTZ,
    silenced_until TIMESTAMPTZ, silence_id VARCHAR
);
-- The work list (added later; a file from before gets them empty): who is expected to act
-- (the organiser responsible on the day the gap began), the rule's threshold, and who
-- silenced it, when and why.
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS organizer VARCHAR;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS threshold_days INTEGER;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS silence_by VARCHAR;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS silence_comment VARCHAR;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS silence_at TIMESTAMPTZ;
"""
COLUMNS = ("alert_ref", "client_ref", "gap_type", "subject_id", "started_on", "area",
           "municipality", "service", "state", "first_seen", "resolved_at", "notified",
           "last_sent", "ack_by", "ack_comment", "ack_at", "silenced_until", "silence_id",
           "organizer", "threshold_days", "silence_by", "silence_comment", "silence_at")
# What needs action first: firing before resolved; not yet acknowledged or silenced first;
# then the longest over its threshold (the earliest day the threshold was crossed).
WORK_ORDER = ("state = 'firing' DESC, "
              "(ack_by IS NULL AND coalesce(silenced_until < now(), TRUE)) DESC, "
              "CASE WHEN state = 'firing' THEN started_on + coalesce(threshold_days, 0) END "
              "ASC NULLS LAST, resolved_at DESC NULLS LAST, alert_ref")


@dataclass(frozen=True)
class OpenGap:
    client_id: str
    gap_type: str
    subject_id: str | None
    started_on: date
    area: str | None
    municipality: str | None
    service: str | None
    organizer: str | None = None  # responsible on started_on
    threshold_days: int | None = None


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
            "service": pa.array([g.service for g in gaps], pa.string()),
            "organizer": pa.array([g.organizer for g in gaps], pa.string()),
            "threshold_days": pa.array([g.threshold_days for g in gaps], pa.int32())})
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
                    "started_on, area, municipality, service, organizer, threshold_days, "
                    "state, first_seen) "
                    "SELECT DISTINCT ON (alert_ref) alert_ref, client_ref, gap_type, "
                    "subject_id, started_on, area, municipality, service, organizer, "
                    "threshold_days, 'firing', ? FROM open_now "
                    "WHERE alert_ref NOT IN (SELECT alert_ref FROM alerts)", [now])
                # who acts and the threshold may change with a correction (or a file from
                # before these columns)
                con.execute(
                    "UPDATE alerts SET organizer = o.organizer, threshold_days = "
                    "o.threshold_days FROM (SELECT DISTINCT ON (alert_ref) * FROM open_now) o "
                    "WHERE alerts.alert_ref = o.alert_ref AND (alerts.organizer IS DISTINCT "
                    "FROM o.organizer OR alerts.threshold_days IS DISTINCT FROM "
                    "o.threshold_days)")
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

    def get(self, ref: str, scope: Scope = WHOLE) -> dict[str, Any] | None:
        """The alert, if it is of `scope` (another area's alert is not found)."""
        where, params = scope.sql("area", "municipality")
        found = self.rows(f"alert_ref = ? AND {where}", [ref, *params], 1)
        return found[0] if found else None

    def work_list(self, where: str, params: list[Any], offset: int, limit: int
                  ) -> tuple[int, list[dict[str, Any]]]:
        """(how many match, one page of them in the order of what needs action first)."""
        total = self.store.execute(f"SELECT count(*) FROM alerts WHERE {where}", params)
        got = self.store.execute(
            f"SELECT {', '.join(COLUMNS)} FROM alerts WHERE {where} ORDER BY {WORK_ORDER} "
            "LIMIT ? OFFSET ?", [*params, int(limit), int(offset)])
        return int(total[0][0]), [dict(zip(COLUMNS, r, strict=True)) for r in got]

    def choices(self, where: str, params: list[Any]) -> list[tuple[Any, ...]]:
        """The (area, municipality, service) combinations of the alerts in `where`."""
        return self.store.execute(f"SELECT DISTINCT area, municipality, service FROM alerts "
                                  f"WHERE {where}", params)

    def mark_sent(self, refs: list[str], state: str, now: datetime) -> None:
        if refs:  # one statement for the whole batch
            self.store.execute("UPDATE alerts SET notified = ?, last_sent = ? "
                               "WHERE alert_ref IN (SELECT unnest(?::VARCHAR[]))",
                               [state, now, refs])

    def acknowledge(self, ref: str, user: str, comment: str, now: datetime) -> None:
        self.store.execute("UPDATE alerts SET ack_by = ?, ack_comment = ?, ack_at = ? "
                           "WHERE alert_ref = ?", [user, comment, now, ref])

    def silence(self, ref: str, until: datetime, silence_id: str | None, user: str = "",
                comment: str = "", now: datetime | None = None) -> None:
        self.store.execute("UPDATE alerts SET silenced_until = ?, silence_id = ?, "
                           "silence_by = ?, silence_comment = ?, silence_at = ? "
                           "WHERE alert_ref = ?",
                           [until, silence_id, user or None, comment, now, ref])
