"""A plan becomes SPEC.md events: JSON lines, each with the day it takes effect (for ordering a
client's feed). Attendance — most of the volume — is formatted from precomputed pieces instead
of through a dict and a serializer; everything else goes through orjson."""

import random
from typing import Any

import orjson

from services.simulate.attendance import attendance
from services.simulate.clock import AFTERNOON, attendance_parts, iso, stamp
from services.simulate.ids import event_uuid
from services.simulate.plan import ClientPlan, ContractPlan
from services.simulate.workers import worker_events
from services.simulate.world import World

Line = tuple[int, str]  # (effective day, JSON text without newline)


class Events:
    """Collects one client's event lines."""

    def __init__(self, rng: random.Random, plan: ClientPlan) -> None:
        self.rng = rng
        self.client = (plan.client_field, plan.client_value)
        self.lines: list[Line] = []

    def add(self, day: int, event_type: str, source: str, occurred: int,
            payload: dict[str, Any]) -> None:
        rng = self.rng
        doc = {"event_id": event_uuid(rng), "event_type": event_type, "schema_version": 1,
               "occurred_at": stamp(occurred, rng.randint(8, 16), rng.randrange(60)),
               "source": source, self.client[0]: self.client[1], "payload": payload}
        self.lines.append((day, orjson.dumps(doc).decode()))

    def attendance(self, k: ContractPlan, records: list[tuple[int, bool]]) -> None:
        rng, out = self.rng, self.lines
        bits = rng.getrandbits
        field, value = self.client
        head = '{"event_id":"'
        middle = '","event_type":"attendance.recorded","schema_version":1,"occurred_at":"'
        after = (f'","source":"{k.producer.source}","{field}":"{value}",'
                 f'"payload":{{"contract_id":"{k.id}","date":"')
        tails = ('","present":false}}', '","present":true}}')
        for day, here in records:
            day_iso, prefix, offset = attendance_parts(day)
            # recorded the same afternoon, local time
            out.append((day, head + event_uuid(rng) + middle + prefix + AFTERNOON[bits(7)]
                        + offset + after + day_iso + tails[here]))


def emit(world: World, plan: ClientPlan, rng: random.Random) -> list[Line]:
    """Every event of one young person, ordered by effective day."""
    end = world.end
    ev = Events(rng, plan)
    first = plan.contracts[0]
    ev.add(plan.registered_on, "client.registered", first.producer.source, plan.registered_on,
           {"birth_year": plan.birth_year, "home_municipality": plan.home.code,
            "referred_by": plan.referred_by, "registered_on": iso(plan.registered_on)})
    for k in plan.contracts:
        _contract(ev, k, rng, end)
    supply = world.supply_of(plan.area)
    plan.workers = worker_events(rng, plan, supply, end)
    for on, assigned, worker, org in plan.workers:
        ev.add(on, "worker.assigned" if assigned else "worker.unassigned", org, on,
               {"worker_id": worker, "organization": org, "on_date": iso(on)})
    for r in plan.referrals:
        source = (plan.area.organizer if r.made >= world.cutover
                  else f"municipality:{plan.home.code}")
        ev.add(r.made, "referral.made", source, r.made,
               {"referral_id": r.id, "target": r.target, "made_on": iso(r.made)})
        if r.started is not None and r.started <= end:
            ev.add(r.started, "referral.started", source, r.started,
                   {"referral_id": r.id, "started_on": iso(r.started)})
        if r.closed is not None and r.closed <= end:
            ev.add(r.closed, "referral.closed", source, r.closed,
                   {"referral_id": r.id, "closed_on": iso(r.closed), "outcome": r.outcome})
    ev.lines.sort(key=lambda line: line[0])  # stable: same-day events keep their order
    return ev.lines


def _contract(ev: Events, k: ContractPlan, rng: random.Random, end: int) -> None:
    src = k.producer.source
    signed: dict[str, Any] = {
        "contract_id": k.id, "service": k.service, "organizer": k.organizer,
        "producer": k.producer.as_payload(), "start_date": iso(k.start)}
    if k.planned_end is not None:
        signed["planned_end_date"] = iso(k.planned_end)
    signed["days_per_week"] = k.days_per_week
    signed["hours_per_day"] = k.hours_per_day
    ev.add(k.start, "contract.signed", src, k.start - rng.randint(0, 14), signed)
    k.planned_final = k.planned_end
    if k.extended_to is not None and k.planned_end is not None:
        on = max(k.start + 1, k.planned_end - rng.randint(5, 30))
        if on <= end:
            ev.add(on, "contract.amended", src, on, {
                "contract_id": k.id, "amended_on": iso(on),
                "planned_end_date": iso(k.extended_to)})
            k.planned_final = k.extended_to
    records, suspensions = attendance(rng, k, end)
    k.records, k.suspensions = records, suspensions
    for first, back, reason in suspensions:
        ev.add(first, "contract.suspended", src, first,
               {"contract_id": k.id, "from_date": iso(first), "reason": reason})
        ev.add(back, "contract.resumed", src, back, {"contract_id": k.id, "on_date": iso(back)})
    ev.attendance(k, records)
    for t in k.transfers:
        if t.on <= end:
            ev.add(t.on, "responsibility.transferred", t.to_organizer, t.recorded,
                   {"contract_id": k.id, "from_organizer": t.from_organizer,
                    "to_organizer": t.to_organizer, "effective_date": iso(t.on)})
    k.ended = None
    if k.record_end and k.last <= end:
        ev.add(k.last, "contract.ended", src, k.last + rng.randint(0, 10),
               {"contract_id": k.id, "end_date": iso(k.last), "reason": k.end_reason})
        k.ended = (k.last, k.end_reason)
