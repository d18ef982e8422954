"""A seeded generator of realistic-enough event files for the Kafka tests and the codec test:
every event type, corrections, duplicates, identity codes, events for unknown contracts,
and (optionally) malformed lines. Events of all clients are interleaved and shuffled, so
arrival order differs from effective order as it would live."""

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from schemas.hetu import CHECK_CHARS

MUNICIPALITIES = ("564", "009", "069", "244", "425", "494", "859", "139")
AREA = "wellbeing_area:pohjois-pohjanmaa"
MALFORMED = (
    "not json at all",
    "[1, 2, 3]",
    '{"event_type": "contract.signed"}',
    '{"event_id": "x", "event_type": "bogus", "schema_version": 1}',
)


def temporary_hetu(rng: random.Random) -> str:
    """A valid identity code from the temporary range 900-999 (never a real person)."""
    born = date(2000, 1, 1) + timedelta(days=rng.randrange(3650))
    dd, mm, yy, nnn = f"{born.day:02}", f"{born.month:02}", f"{born.year % 100:02}", \
        rng.randrange(900, 1000)
    return f"{dd}{mm}{yy}A{nnn}{CHECK_CHARS[int(f'{dd}{mm}{yy}{nnn}') % 31]}"


class _Client:
    def __init__(self, rng: random.Random, n: int) -> None:
        self.rng = rng
        self.who: dict[str, str] = ({"client_hetu": temporary_hetu(rng)} if rng.random() < 0.05
                                    else {"client_id": f"c{n}"})
        self.n = n
        self.events: list[dict[str, Any]] = []

    def emit(self, event_type: str, payload: dict[str, Any], day: date) -> None:
        at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(
            minutes=self.rng.randrange(6000))
        self.events.append({"event_id": str(uuid.UUID(int=self.rng.getrandbits(128))),
                            "event_type": event_type, "schema_version": 1,
                            "occurred_at": at.isoformat(), "source": "workshop:TEST",
                            **self.who, "payload": payload})


def _contract(c: _Client, k: str, start: date) -> None:
    r = c.rng
    muni = r.choice(MUNICIPALITIES)
    organizer = f"municipality:{muni}" if r.random() < 0.7 else AREA
    kind = r.choice(("municipal", "third_sector", "wellbeing_area", "company"))
    signed: dict[str, Any] = {"contract_id": k, "service": r.choice(("KTT", "SOSKU", "NUPA")),
                              "organizer": organizer, "start_date": start.isoformat(),
                              "producer": {"id": f"prod-{muni}", "kind": kind,
                                           "municipality": muni}}
    if r.random() < 0.5:
        signed["planned_end_date"] = (start + timedelta(days=r.randrange(60, 500))).isoformat()
    if r.random() < 0.6:
        signed["days_per_week"], signed["hours_per_day"] = r.randint(1, 5), r.randint(1, 8)
    c.emit("contract.signed", signed, start)
    org = organizer
    if organizer != AREA and r.random() < 0.7:
        eff = date(2023, 1, 1) + timedelta(days=r.randrange(-20, 80))
        c.emit("responsibility.transferred", {"contract_id": k, "from_organizer": organizer,
                                              "to_organizer": AREA,
                                              "effective_date": eff.isoformat()}, eff)
        org = AREA
    for _ in range(r.randrange(3)):
        d = start + timedelta(days=r.randrange(200))
        c.emit("worker.assigned" if r.random() < 0.7 else "worker.unassigned",
               {"worker_id": f"w{r.randrange(5)}", "organization": r.choice((org, organizer)),
                "on_date": d.isoformat()}, d)
    if r.random() < 0.3:
        d = start + timedelta(days=r.randrange(30, 120))
        c.emit("contract.amended", {"contract_id": k, "amended_on": d.isoformat(),
                                    "days_per_week": r.randint(1, 5)}, d)
    if r.random() < 0.2:
        d = start + timedelta(days=r.randrange(10, 100))
        c.emit("contract.suspended", {"contract_id": k, "from_date": d.isoformat(),
                                      "reason": "illness"}, d)
        d2 = d + timedelta(days=r.randrange(1, 40))
        c.emit("contract.resumed", {"contract_id": k, "on_date": d2.isoformat()}, d2)
    if r.random() < 0.5:
        for _ in range(r.randrange(1, 12)):
            d = start + timedelta(days=r.randrange(150))
            c.emit("attendance.recorded", {"contract_id": k, "date": d.isoformat(),
                                           "present": r.random() < 0.8}, d)
    if r.random() < 0.5:
        d = start + timedelta(days=r.randrange(30, 600))
        reason = r.choice(("education", "employment", "moved_away", "completed",
                           "interrupted", "other"))
        c.emit("contract.ended", {"contract_id": k, "end_date": d.isoformat(),
                                  "reason": reason}, d)
        if r.random() < 0.2:  # a correction, later occurred_at wins
            c.emit("contract.ended", {"contract_id": k, "end_date": d.isoformat(),
                                      "reason": "completed"}, d + timedelta(days=3))


def client_events(rng: random.Random, n: int) -> list[dict[str, Any]]:
    c = _Client(rng, n)
    registered = date(2021, 1, 1) + timedelta(days=rng.randrange(1000))
    c.emit("client.registered", {"birth_year": rng.randint(1995, 2007),
                                 "home_municipality": rng.choice(MUNICIPALITIES),
                                 "referred_by": "social_work",
                                 "registered_on": registered.isoformat()}, registered)
    for i in range(rng.choice((1, 1, 2, 3))):
        _contract(c, f"k{n}-{i}", registered + timedelta(days=rng.randrange(400)))
    for i in range(rng.randrange(3)):
        rid, d = f"r{n}-{i}", registered + timedelta(days=rng.randrange(600))
        c.emit("referral.made", {"referral_id": rid, "made_on": d.isoformat(),
                                 "target": rng.choice(("mental_health", "education"))}, d)
        if rng.random() < 0.5:
            d2 = d + timedelta(days=rng.randrange(90))
            c.emit("referral.started", {"referral_id": rid, "started_on": d2.isoformat()}, d2)
    if rng.random() < 0.03:  # refers to a contract never signed: a data issue
        c.emit("contract.ended", {"contract_id": "ghost", "end_date": "2023-05-01",
                                  "reason": "other"}, date(2023, 5, 1))
    if c.events and rng.random() < 0.05:  # a duplicate delivery
        c.events.append(dict(c.events[0]))
    return c.events


def lines(clients: int, seed: int = 7, malformed: int = 0, min_events: int = 0) -> Iterator[str]:
    """JSONL lines of `clients` clients (more if needed to reach min_events), shuffled."""
    rng = random.Random(seed)
    events: list[str] = []
    n = 0
    while n < clients or len(events) < min_events:
        events += [json.dumps(e) for e in client_events(rng, n)]
        n += 1
    events += [MALFORMED[i % len(MALFORMED)] for i in range(malformed)]
    rng.shuffle(events)
    yield from events


def write(path: Any, clients: int, **kw: Any) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        for line in lines(clients, **kw):
            f.write(line + "\n")
            count += 1
    return count
