"""The five continuity-gap rules of SPEC.md 3, as set algebra on day intervals.

Each rule builds the set of days on which its predicate U holds (up to the as-of day) and hands
it to `runs_to_gaps`, which keeps the maximal runs longer than the threshold."""

from collections.abc import Iterable
from datetime import date

from streams.core import intervals as iv
from streams.core.intervals import Spans
from streams.core.results import GapRow
from streams.core.rules import SETTLED_END_REASONS, WORKER_SERVICES, Rules, kind_of
from streams.core.state import ClientState, Mark, Toggle
from streams.core.timeline import Contract, by_day, winner


def runs_to_gaps(
    client: str, gap_type: str, subject: str | None, days: Spans, as_of: int, threshold: int
) -> list[GapRow]:
    out = []
    for s, e in days:  # e is exclusive and at most as_of + 1
        if e - s > threshold:
            ended = date.fromordinal(e) if e <= as_of else None
            out.append(GapRow(client, gap_type, subject, date.fromordinal(s), ended, e - s))
    return out


def handoff_missing(contracts: Iterable[Contract], as_of: int, rules: Rules) -> Spans:
    """Days on which a contract is organised by another kind than responsible(s, d) names."""
    days: Spans = []
    for k in contracts:
        steps = rules.responsible.get(k.signed.service)
        if not steps:
            continue
        active = k.active(as_of)
        for i, (since, kind) in enumerate(steps):
            until = steps[i + 1][0] if i + 1 < len(steps) else as_of + 1
            for s, e in iv.clip(active, since, min(until, as_of + 1)):
                days += [(ps, pe) for ps, pe, org in k.organizer_spans(s, e)
                         if kind_of(org) != kind]
    return iv.normalize(days)


def worker_coverage(state: ClientState, as_of: int) -> dict[str, Spans]:
    """Per organisation, the days on which the client has some responsible worker of it."""
    per_org: dict[str, list[Spans]] = {}
    for (_worker, org), versions in state.assignments.items():
        toggles: list[Toggle] = by_day(versions.values(), as_of)
        spans = iv.step_spans(((t.day, t.on) for t in toggles), as_of + 1)
        per_org.setdefault(org, []).append(spans)
    return {org: iv.union(*spans) for org, spans in per_org.items()}


def no_responsible_worker(
    state: ClientState, contracts: Iterable[Contract], as_of: int, rules: Rules
) -> Spans:
    cover = worker_coverage(state, as_of)
    days: Spans = []
    for k in contracts:
        if k.signed.service not in WORKER_SERVICES:
            continue
        for s, e in k.active(as_of):
            for ps, pe, org in k.organizer_spans(s, e):
                days += iv.subtract([(ps, pe)], cover.get(org, []))
    return iv.normalize(days)


def service_break(
    state: ClientState, contracts: list[Contract], as_of: int, rules: Rules
) -> Spans:
    needs_next: dict[int, bool] = {}
    for k in contracts:
        if k.last_day is not None and k.last_day < as_of:
            unsettled = k.end_reason not in SETTLED_END_REASONS
            needs_next[k.last_day] = needs_next.get(k.last_day, False) or unsettled
    if not needs_next:
        return []
    made = sorted(
        m.day for m in (winner(v.values(), as_of) for v in state.referrals_made.values())
        if m is not None
    )
    ends = sorted(needs_next)
    days: Spans = []
    for i, last in enumerate(ends):
        if not needs_next[last]:
            continue
        until = ends[i + 1] + 1 if i + 1 < len(ends) else as_of + 1
        first_referral = next((d for d in made if d >= last), None)
        if first_referral is not None:
            until = min(until, first_referral)  # from that day a referral covers the break
        days.append((last + 1, until))
    active = iv.union(*(k.active(as_of) for k in contracts))
    return iv.subtract(iv.normalize(days), active)


def attendance_silence(state: ClientState, k: Contract, as_of: int) -> Spans | None:
    """Silent days of one contract, or None when it has no attendance record by the as-of day."""
    records = state.attendance.get(k.contract_id)
    if not records:
        return None
    present = sorted(day for day, (_rank, here) in records.items() if here and day <= as_of)
    if not present and all(day > as_of for day in records):
        return None
    quiet = iv.subtract(k.active(as_of), k.suspended)
    return iv.without_days(quiet, present)


def referral_stalled(state: ClientState, as_of: int) -> list[tuple[str, str, Spans]]:
    """(referral id, target, stalled days) for every referral made by the as-of day."""
    out = []
    for rid, versions in state.referrals_made.items():
        made: Mark | None = winner(versions.values(), as_of)
        if made is None:
            continue
        end = as_of + 1
        for table in (state.referrals_started, state.referrals_closed):
            mark: Mark | None = winner(table.get(rid, {}).values(), as_of)
            if mark is not None:
                end = min(end, mark.day)
        out.append((rid, made.detail, [(made.day, end)] if made.day < end else []))
    return out
