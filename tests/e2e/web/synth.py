"""A small synthetic event file for the dashboard tests: young people of North Ostrobothnia on
KTT, SOSKU and NUPA contracts across the 1.1.2023 handoff, with late and missing transfers,
workers, attendance and referrals. Synthetic only; deterministic for a given seed."""

import json
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas.reference import Municipality, municipalities

WA = "wellbeing_area:pohjois-pohjanmaa"
CUTOVER = date(2023, 1, 1)


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[str] = []

    def emit(self, client: str, event_type: str, on: date, payload: dict[str, Any]) -> None:
        at = datetime(on.year, on.month, on.day, 9, tzinfo=UTC) + timedelta(
            minutes=self.rng.randrange(600))
        self.lines.append(json.dumps({
            "event_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "event_type": event_type, "schema_version": 1, "occurred_at": at.isoformat(),
            "source": "synthetic:web-tests", "client_id": client, "payload": payload}))


def _d(x: date) -> str:
    return x.isoformat()


def _contract(w: _Writer, client: str, i: int, home: str, workshops: dict[str, str]) -> None:
    rng = w.rng
    service = rng.choices(["KTT", "SOSKU", "NUPA"], [5, 3, 2])[0]
    start = date(2022, 3, 1) + timedelta(days=rng.randrange(380))
    place = home if home in workshops else "564"  # no local workshop: served in Oulu
    organizer = f"municipality:{home}"
    if start >= CUTOVER and service != "NUPA" and rng.random() > 0.05:
        organizer = WA
    kind = workshops[place]
    if service == "KTT" and rng.random() < 0.02:
        kind = "company"
    k = f"k{i}"
    w.emit(client, "contract.signed", start, {
        "contract_id": k, "service": service, "organizer": organizer,
        "producer": {"id": f"PAJA-{place}", "kind": kind, "municipality": place},
        "start_date": _d(start), "days_per_week": rng.choice([3, 4, 4, 5])})
    if rng.random() < 0.85:
        w.emit(client, "worker.assigned", start, {
            "worker_id": f"w-{home}-{rng.randrange(5)}", "organization": organizer,
            "on_date": _d(start)})
    end = start + timedelta(days=rng.randrange(90, 420))
    moved = organizer.startswith("municipality:") and service != "NUPA" and start < CUTOVER
    if moved and end >= CUTOVER and rng.random() < 0.9:
        delay = rng.choices([0, rng.randrange(15, 90)], [6, 4])[0]
        on = CUTOVER + timedelta(days=delay)
        w.emit(client, "responsibility.transferred", on, {
            "contract_id": k, "from_organizer": organizer, "to_organizer": WA,
            "effective_date": _d(on)})
        wa_on = on + timedelta(days=rng.choice([0, 0, 5, 30]))
        w.emit(client, "worker.assigned", wa_on, {
            "worker_id": f"w-wa-{rng.randrange(20)}", "organization": WA, "on_date": _d(wa_on)})
    for week in range(rng.randrange(1, 6)):
        day = start + timedelta(days=7 * week + 1)
        w.emit(client, "attendance.recorded", day,
               {"contract_id": k, "date": _d(day), "present": rng.random() < 0.9})
    if end < date(2023, 5, 1) and rng.random() < 0.7:
        reason = rng.choice(["education", "employment", "completed", "interrupted", "other"])
        w.emit(client, "contract.ended", end, {"contract_id": k, "end_date": _d(end),
                                               "reason": reason})


def generate(path: Path, clients: int = 300, seed: int = 7,
             homes: Sequence[Municipality] | None = None) -> Path:
    """`homes`: where the young people live (default: North Ostrobothnia's municipalities);
    a municipality without a population figure weighs as one of 5,000."""
    rng = random.Random(seed)
    w = _Writer(rng)
    north = list(homes) if homes else [m for m in municipalities().values() if m.internal_area]
    weights = [m.population or 5_000 for m in north]
    # about two in three municipalities have a workshop of their own
    workshops = {m.code: rng.choice(["municipal", "municipal", "third_sector"])
                 for m in north if m.code == "564" or rng.random() < 0.65}
    n = 0
    for c in range(clients):
        client = f"syn-{c:05d}"
        home = rng.choices(north, weights)[0].code
        reg = date(2022, 1, 1) + timedelta(days=rng.randrange(400))
        w.emit(client, "client.registered", reg, {
            "birth_year": rng.randrange(1995, 2007), "home_municipality": home,
            "referred_by": rng.choice(["te_office", "social_work", "outreach_youth_work",
                                       "ohjaamo", "self"]), "registered_on": _d(reg)})
        for _ in range(rng.choice([1, 1, 1, 2])):
            n += 1
            _contract(w, client, n, home, workshops)
        if rng.random() < 0.3:
            made = reg + timedelta(days=rng.randrange(30, 300))
            target = rng.choice(["mental_health", "substance_abuse", "education", "health"])
            w.emit(client, "referral.made", made,
                   {"referral_id": f"r{c}", "target": target, "made_on": _d(made)})
            if rng.random() < 0.5:
                st = made + timedelta(days=rng.randrange(5, 90))
                w.emit(client, "referral.started", st,
                       {"referral_id": f"r{c}", "started_on": _d(st)})
    rng.shuffle(w.lines)  # arrival order must not matter
    path.write_text("\n".join(w.lines) + "\n", encoding="utf-8")
    return path
