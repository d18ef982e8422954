"""Responsible workers of a young person: one per organiser while a KTT or SOSKU contract runs
under it, the new organiser's worker from each transfer on (or weeks later, if injected).

Coverage is per organisation (SPEC.md 2, worker(c, o, d)), so the days each organiser is
responsible for are merged first and each merged span gets its assignment and unassignment.
A span whose worker comes late is never merged into the one before it: the worker before is
unassigned, so the injected weeks without one really happen."""

import random

from services.simulate.plan import ClientPlan
from services.simulate.workshops import AreaSupply

WorkerEvent = tuple[int, bool, str, str]  # (on_date, assigned?, worker_id, organisation)
Span = tuple[int, int, int]  # (first day, last day, worker delay)


def _responsibility(plan: ClientPlan, end: int) -> dict[str, list[Span]]:
    """Per organiser, merged (first day, last day, worker delay) spans of responsibility."""
    pieces: dict[str, list[Span]] = {}
    for k in plan.contracts:
        if k.service == "NUPA":
            continue
        top = min(k.last, end)
        org, first, delay = k.organizer, k.start, 0
        for t in sorted(k.transfers, key=lambda t: t.on):
            if t.on > top:
                break
            if first <= t.on - 1:
                pieces.setdefault(org, []).append((first, t.on - 1, delay))
            org, first, delay = t.to_organizer, t.on, t.worker_delay
        if first <= top:
            pieces.setdefault(org, []).append((first, top, delay))
    merged: dict[str, list[Span]] = {}
    for org, spans in pieces.items():  # dicts keep insertion order: deterministic
        out: list[Span] = []
        for s, e, delay in sorted(spans):
            if out and s <= out[-1][1] + 1 and not delay:
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
