"""The next day on which a client's results can change by more than the passing of time.

evaluate(state, A) looks at the as-of day A in two ways only: a fact counts from its effective
day on (`visible`, `winner`, `by_day`), and a run of days is cut at A + 1 and becomes a gap once
it is longer than a threshold. Every run starts on a fact's day, the day after, or the one after
that (a contract's last day + 1, an end + 1 ...), and every threshold is a rule constant. So
between two consecutive "breakpoints" — a fact's day, or such a start plus a threshold — the
results are the same rows, except that each open gap (ended_on None) is one day longer per day.

A live driver moving its as-of date from A to D re-evaluates only the clients whose next
breakpoint is <= D, and adds D - A to the other clients' open gaps (issue 14: the daily move).
The bound is conservative (a breakpoint may change nothing); tests/unit/test_horizon.py checks
it against evaluate itself on many states and days.
"""

from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

from streams.core.results import ClientResult, GapRow
from streams.core.rules import Rules
from streams.core.state import ClientState

NEVER = 10**7  # an ordinal beyond any date (date.max is 3,652,059)
_STARTS = (0, 1, 2)  # a run starts on a fact's day, or one or two days later


def fact_days(state: ClientState, rules: Rules, as_of: int) -> list[int]:
    """The days a breakpoint after `as_of` can come from, sorted: every day a fact of the client
    takes effect or names. Of attendance (most facts) only what can
    still start or end an open run: the records after `as_of` (they count from their day on),
    and each contract's last day present by `as_of` (an open silence starts the day after it;
    earlier present days only end runs that are closed already)."""
    days: set[int] = {v.day for v in state.registrations.values()}
    tables: Iterable[dict[Any, dict[str, Any]]] = (
        state.signed, state.amended, state.suspensions, state.ended, state.transfers,
        state.assignments, state.referrals_made, state.referrals_started,
        state.referrals_closed)
    for table in tables:
        for versions in table.values():
            for fact in versions.values():
                days.add(fact.day)
                planned = getattr(fact, "planned_end", None)
                if planned is not None:
                    days.add(planned)
    for records in state.attendance.values():
        last_present = -1
        for day, (_rank, present) in records.items():
            if day > as_of:
                days.add(day)
            elif present and day > last_present:
                last_present = day
        if last_present >= 0:
            days.add(last_present)
    for _contract, day in state.overruled:
        days.add(day)
    return sorted(days)


def offsets(rules: Rules) -> tuple[int, ...]:
    """How many days after a fact's day a breakpoint can fall: a run's start, or a run's start
    plus a threshold (when it becomes a gap)."""
    thresholds = {*rules.thresholds.values(), *rules.referral_thresholds.values(), 60}
    out = set(_STARTS)
    for t in thresholds:
        out.update(s + t for s in _STARTS)
        out.add(t - 1 if t > 0 else 0)
    return tuple(sorted(out))


def handoff_days(rules: Rules) -> tuple[list[int], tuple[int, ...]]:
    """A handoff's day starts HANDOFF_MISSING runs, and its day + grace days moves statuses:
    those days, with only the offsets that can follow from them."""
    days = sorted({h.day for h in rules.handoffs} | {h.day + h.grace_days
                                                      for h in rules.handoffs})
    t = rules.thresholds.get("HANDOFF_MISSING", 0)
    return days, tuple(sorted({*_STARTS, *(s + t for s in _STARTS)}))


def _first_after(days: list[int], shifts: tuple[int, ...], as_of: int) -> int:
    best = NEVER
    for c in shifts:
        i = bisect_right(days, as_of - c)  # the first day d with d + c > as_of
        if i < len(days) and days[i] + c < best:
            best = days[i] + c
    return best


def next_change(state: ClientState, as_of: int, rules: Rules,
                shifts: tuple[int, ...] | None = None) -> int:
    """The first day after `as_of` on which evaluate may give other rows than those of `as_of`
    with open gaps lengthened; NEVER if there is none."""
    own = _first_after(fact_days(state, rules, as_of),
                       offsets(rules) if shifts is None else shifts, as_of)
    days, handoff_shifts = handoff_days(rules)
    return min(own, _first_after(days, handoff_shifts if shifts is None else shifts, as_of))


def aged(result: ClientResult, days: int) -> ClientResult:
    """The result of the same client `days` later, where no breakpoint lies in between: every
    open gap `days` longer."""
    result.gaps = [GapRow(g.client_id, g.gap_type, g.subject_id, g.started_on, g.ended_on,
                          g.length_days + days) if g.ended_on is None else g
                   for g in result.gaps]
    return result
