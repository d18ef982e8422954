"""One row of an export -> the events it stands for. Event ids are derived from the event itself
(UUID 5 of its canonical JSON), so importing the same file twice gives the same ids: the second
import adds nothing (SPEC.md 1.4, identical events are taken once)."""

import hashlib
import hmac
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from services.importer.mapping import Mapping
from services.importer.values import parse_bool, parse_date, parse_int
from streams.core.event_ids import canonical

NAMESPACE = uuid.UUID("6f1f3c2e-5a7b-4d5e-9a51-6a61746b756d")  # jatkumo's import namespace
HELSINKI = ZoneInfo("Europe/Helsinki")
ContractOf = Callable[[str, date], str]  # (client, day) -> contract id, ValueError if none


def occurred(recorded_at: datetime | None, day: date) -> str:
    """When the source recorded the fact: the export's time if given, else noon of the day in
    Helsinki (a register keeps no time; noon keeps the day the same in every zone)."""
    at = recorded_at or datetime.combine(day, time(12), HELSINKI)
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def envelope(m: Mapping, row: dict[str, str], event_type: str, payload: dict[str, Any],
             source: str, at: str) -> dict[str, Any]:
    e: dict[str, Any] = {"event_type": event_type, "schema_version": 1, "occurred_at": at,
                         "source": source, "payload": payload}
    who = "client_hetu" if m.has("client_hetu") else "client_id"
    e[who] = m.cell(row, who)
    e["event_id"] = event_id(e)
    return e


def event_id(e: dict[str, Any]) -> str:
    """The event's id, from its canonical JSON without an identity code: the id of an event
    that names its client by a code is made with the pseudonym key (`keyed`). Made from
    the code, it gave the code back to anyone who tried the 30 million codes of a birth year
    against it (UUID 5 is an unkeyed SHA-1; a hunt, 2026-12-06, took 2.3 s)."""
    return str(uuid.uuid5(NAMESPACE, canonical({k: v for k, v in e.items()
                                                 if k not in ("client_hetu", "event_id")})))


def keyed(e: dict[str, Any], key: bytes) -> dict[str, Any]:
    """An event that names its client by an identity code, with its id made from a keyed
    hash of the code as written (the pseudonym key's: the same row gives the same id every
    time, and no one without the key can try codes against it)."""
    if "client_hetu" not in e:
        return e
    mark = hmac.new(key, b"import:" + str(e["client_hetu"]).encode("utf-8", "surrogatepass"),
                    hashlib.sha256).hexdigest()
    return {**e, "event_id": event_id({**e, "client_hetu": None, "client_id": mark})}


def attendance(m: Mapping, row: dict[str, str], source: str, recorded_at: datetime | None,
               contract_of: ContractOf | None) -> list[dict[str, Any]]:
    day = parse_date(m.cell(row, "date"))
    mark = m.cell(row, "present")
    present = False if (mark == "" and m.empty_is_absent) else parse_bool(mark)
    if m.has("contract_id"):
        contract = m.cell(row, "contract_id")
    elif contract_of is not None:
        who = "client_hetu" if m.has("client_hetu") else "client_id"
        contract = contract_of(m.cell(row, who), day)
    else:
        raise ValueError("no contract: the export has no contract column; give --contract-map")
    payload = {"contract_id": contract, "date": day.isoformat(), "present": present}
    return [envelope(m, row, "attendance.recorded", payload, source, occurred(recorded_at, day))]


def contract(m: Mapping, row: dict[str, str], source: str, recorded_at: datetime | None
             ) -> list[dict[str, Any]]:
    start = parse_date(m.cell(row, "start_date"))
    payload: dict[str, Any] = {
        "contract_id": m.cell(row, "contract_id"), "service": m.cell(row, "service"),
        "organizer": m.cell(row, "organizer"),
        "producer": {"id": m.cell(row, "producer_id"), "kind": m.cell(row, "producer_kind"),
                     "municipality": m.cell(row, "producer_municipality").zfill(3)},
        "start_date": start.isoformat()}
    if m.cell(row, "planned_end_date"):
        payload["planned_end_date"] = parse_date(m.cell(row, "planned_end_date")).isoformat()
    for name in ("days_per_week", "hours_per_day"):
        if m.cell(row, name):
            payload[name] = parse_int(m.cell(row, name))
    out = [envelope(m, row, "contract.signed", payload, source, occurred(recorded_at, start))]
    if m.cell(row, "end_date"):
        last = parse_date(m.cell(row, "end_date"))
        ended = {"contract_id": payload["contract_id"], "end_date": last.isoformat(),
                 "reason": m.cell(row, "end_reason") or "other"}
        out.append(envelope(m, row, "contract.ended", ended, source, occurred(recorded_at, last)))
    return out
