"""Attendance of one contract: fixed weekdays, absences, illness and summer-leave suspensions.

Without an injected drop-out, a young person is never away for more than 19 days in a row
outside a suspension (an absence streak is broken by a forced day of presence), so
SPEC.md's ATTENDANCE_SILENCE (more than 21 days) is found only where a drop-out was injected."""

import random
from datetime import date

from services.simulate.plan import ContractPlan

Suspension = tuple[int, int, str]  # (from day, resumed on, reason)

PRESENT = 0.88  # share of scheduled days attended
ABSENCE_RECORDED = 0.6  # share of missed days recorded as present: false (the rest unrecorded)
MAX_AWAY = 14  # force presence once this many days have passed without it


def _suspensions(rng: random.Random, k: ContractPlan, top: int) -> list[Suspension]:
    limit = top if k.silent_after is None else k.silent_after - 7
    out: list[Suspension] = []
    span = limit - k.start
    if span > 60 and rng.random() < min(0.6, span / 600):
        first = rng.randint(k.start + 14, limit - 35)
        out.append((first, first + rng.randint(5, 30), "illness"))
    for year in range(date.fromordinal(k.start).year, date.fromordinal(top).year + 1):
        july = date(year, 7, 1).toordinal()
        if k.start + 14 <= july and july + 28 <= limit and rng.random() < 0.4:
            out.append((july, july + rng.randint(21, 28), "leave"))
    out.sort()
    kept: list[Suspension] = []
    for s in out:  # drop overlaps: one suspension at a time
        if not kept or s[0] > kept[-1][1]:
            kept.append(s)
    return kept


def attendance(
    rng: random.Random, k: ContractPlan, end: int
) -> tuple[list[tuple[int, bool]], list[Suspension]]:
    """(day, present) records and the suspensions of a contract, up to the window's end."""
    top = min(k.last, end)
    suspensions = _suspensions(rng, k, top)
    weekdays = sorted(rng.sample(range(5), k.days_per_week))
    quiet = k.silent_after
    records: list[tuple[int, bool]] = []
    covered = k.start - 1  # the last day that was attended or suspended
    si = 0
    monday = k.start - (k.start - 1) % 7  # ordinal 1 (0001-01-01) is a Monday
    rand = rng.random
    for week in range(monday, top + 1, 7):
        for wd in weekdays:
            d = week + wd
            if d < k.start or d > top:
                continue
            while si < len(suspensions) and suspensions[si][1] <= d:
                covered = max(covered, suspensions[si][1] - 1)
                si += 1
            if si < len(suspensions) and suspensions[si][0] <= d:
                continue
            if quiet is not None and d > quiet:
                if d <= quiet + 14 and rand() < 0.5:
                    records.append((d, False))  # a few absences noted, then nothing
                continue
            if d - covered >= MAX_AWAY or rand() < PRESENT:
                records.append((d, True))
                covered = d
            elif rand() < ABSENCE_RECORDED:
                records.append((d, False))
    return records, suspensions
