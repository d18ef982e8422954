"""Responsible workers of a young person: one per organiser while a KTT or SOSKU contract runs
under it, the wellbeing area's worker from the transfer on (or weeks later, if injected).

Coverage is per organisation (SPEC.md 2, worker(c, o, d)), so the days each organiser is
responsible for are merged first and each merged span gets its assignment and unassignment."""

import random

from services.simulate.plan import ClientPlan
from services.simulate.workshops import AreaSupply

WorkerEvent = tuple[int, bool, str, str]  # (on_date, assigned?, worker_id, organisation)


def _responsibility(plan: ClientPlan, end: int) -> dict[str, list[tuple[int, int, int]]]:
    """Per organiser, merged (first day, last day, worker delay) spans of responsibility."""
    pieces: dict[str, list[tuple[int, int, int]]] = {}
    for k in plan.contracts:
        if k.service == "NUPA":
            continue
        top = min(k.last, end)
        if k.transfer_on is not None and k.transfer_to is not None and k.transfer_on <= top:
            pieces.setdefault(k.organizer, []).append((k.start, k.transfer_on - 1, 0))
            pieces.setdefault(k.transfer_to, []).append((k.transfer_on, top, k.worker_delay))
        else:
            pieces.setdefault(k.organizer, []).append((k.start, top, 0))
    merged: dict[str, list[tuple[int, int, int]]] = {}
    for org, spans in pieces.items():  # dicts keep insertion order: deterministic
        out: list[tuple[int, int, int]] = []
        for s, e, delay in sorted(spans):
            if out and s <= out[-1][1] + 1:
                out[-1] = (out[-1][0], max(out[-1][1], e), out[-1][2])
            else:
                out.append((s, e, delay))
        merged[org] = out
    return merged


def worker_events(
    rng: random.Random, plan: ClientPlan, supply: AreaSupply, end: int
) -> list[WorkerEvent]:
    events: list[WorkerEvent] = []
    for org, spans in _responsibility(plan, end).items():
        for i, (s, e, delay) in enumerate(spans):
            worker = supply.worker(rng, org)
            if delay:
                on = s + delay  # injected: weeks without a responsible worker
            elif i == 0:
                on = s - rng.randint(0, 7)  # often named a few days ahead
            else:
                on = s
            events.append((on, True, worker, org))
            if e - s > 150 and not delay and rng.random() < 0.3:
                change = rng.randint(s + 60, e - 30)  # the worker changes mid-way
                successor = supply.worker(rng, org, not_this=worker)
                events.append((change, True, successor, org))
                events.append((change, False, worker, org))
                worker = successor
            if e + 1 <= end:
                events.append((e + 1, False, worker, org))
    return events
