"""Sets of days as sorted, disjoint, non-touching half-open intervals [start, end) of date
ordinals. Every gap rule is set algebra on these, so a decade of days costs a few tuples."""

from collections.abc import Iterable

Span = tuple[int, int]
Spans = list[Span]


def normalize(spans: Iterable[Span]) -> Spans:
    """Sorted, merged, without empty spans."""
    out: Spans = []
    for s, e in sorted(x for x in spans if x[0] < x[1]):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def union(*sets: Spans) -> Spans:
    return normalize(x for spans in sets for x in spans)


def intersect(a: Spans, b: Spans) -> Spans:
    out: Spans = []
    i = j = 0
    while i < len(a) and j < len(b):
        s = max(a[i][0], b[j][0])
        e = min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Spans, b: Spans) -> Spans:
    """Days of `a` that are not in `b` (both normalized)."""
    out: Spans = []
    j = 0
    for s, e in a:
        cur = s
        while j < len(b) and b[j][1] <= cur:
            j += 1
        k = j
        while k < len(b) and b[k][0] < e:
            if b[k][0] > cur:
                out.append((cur, b[k][0]))
            cur = max(cur, b[k][1])
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def clip(spans: Spans, lo: int, hi: int) -> Spans:
    return intersect(spans, [(lo, hi)]) if lo < hi else []


def from_days(days: Iterable[int]) -> Spans:
    """Runs of consecutive day ordinals."""
    out: Spans = []
    for d in sorted(days):
        if out and d <= out[-1][1]:
            if d == out[-1][1]:
                out[-1] = (out[-1][0], d + 1)
        else:
            out.append((d, d + 1))
    return out


def without_days(spans: Spans, days: list[int]) -> Spans:
    """`subtract(spans, from_days(days))` for sorted, distinct `days`, in one sweep: the
    attendance rule's hot path (a record per day of most contracts)."""
    out: Spans = []
    i, n = 0, len(days)
    for s, e in spans:
        cur = s
        while i < n and days[i] < s:
            i += 1
        while i < n and days[i] < e:
            day = days[i]
            if day > cur:
                out.append((cur, day))
            cur = day + 1
            i += 1
        if cur < e:
            out.append((cur, e))
    return out


def step_spans(changes: Iterable[tuple[int, bool]], end: int) -> Spans:
    """Days on which a state is on, from (day, on) changes already sorted so that the last
    change of a day is the one that holds from that day on."""
    out: Spans = []
    on_since: int | None = None
    for day, on in changes:
        if day >= end:
            break
        if on and on_since is None:
            on_since = day
        elif not on and on_since is not None:
            if on_since < day:
                out.append((on_since, day))
            on_since = None
    if on_since is not None and on_since < end:
        out.append((on_since, end))
    return normalize(out)
