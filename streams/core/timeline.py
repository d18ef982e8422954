"""The timeline of one contract as of a date (SPEC.md 2): which versions of its facts hold,
its days of activity, organisers and suspensions, all as intervals of date ordinals."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from streams.core.intervals import Spans, step_spans
from streams.core.state import Amended, ClientState, Ended, Producer, Signed, Toggle, Transfer

F = TypeVar("F", bound=Any)


def visible(versions: Iterable[F], as_of: int) -> list[F]:
    """Versions whose effective day is on or before the as-of day."""
    return [v for v in versions if v.day <= as_of]


def winner(versions: Iterable[F], as_of: int) -> F | None:
    """The correction that wins: the latest occurred_at among visible versions, ties by id."""
    shown = visible(versions, as_of)
    return max(shown, key=lambda v: v.rank) if shown else None


def by_day(versions: Iterable[F], as_of: int) -> list[F]:
    """Visible versions in effect order: by day, then by rank (the later correction last)."""
    return sorted(visible(versions, as_of), key=lambda v: (v.day, v.rank))


@dataclass(frozen=True, slots=True)
class Contract:
    contract_id: str
    signed: Signed
    start: int
    last_day: int | None  # None: open
    end_reason: str | None  # an ended reason, or "expired"
    producer: Producer
    terms: list[tuple[int, int | None, int | None]]  # (from day, days/week, hours/day)
    organizers: list[tuple[int, str]]  # (from day, organiser); the first from day 0
    suspended: Spans

    def active(self, as_of: int) -> Spans:
        """Days active, up to and including the as-of day."""
        end = as_of + 1 if self.last_day is None else min(self.last_day + 1, as_of + 1)
        return [(self.start, end)] if self.start < end else []

    def active_on(self, day: int) -> bool:
        return self.start <= day and (self.last_day is None or day <= self.last_day)

    def organizer_on(self, day: int) -> str:
        current = self.organizers[0][1]
        for since, org in self.organizers:
            if since > day:
                break
            current = org
        return current

    def organizer_spans(self, lo: int, hi: int) -> list[tuple[int, int, str]]:
        """(start, end, organiser) pieces covering [lo, hi)."""
        out: list[tuple[int, int, str]] = []
        points = [(max(since, lo), org) for since, org in self.organizers]
        for i, (since, org) in enumerate(points):
            end = points[i + 1][0] if i + 1 < len(points) else hi
            end = min(end, hi)
            if since < end:
                out.append((since, end, org))
        return out


def _latest_set(signed_value: Any, amendments: list[Amended], name: str) -> Any:
    value = signed_value
    for a in amendments:  # in effect order, so the last one that sets it wins
        if getattr(a, name) is not None:
            value = getattr(a, name)
    return value


def held_transfers(state: ClientState, contract_id: str, as_of: int) -> list[Transfer]:
    """A contract's visible transfers in effect order, less each one that a later transfer of
    its day corrects (SPEC.md 1.4): those never held a day. organizer(k, d) and the handoff's
    transferred_on both read these (a corrected transfer to the wellbeing area once counted
    as handed over while the organiser and the HANDOFF_MISSING gap said a municipality)."""
    transfers: list[Transfer] = by_day(state.transfers.get(contract_id, {}).values(), as_of)
    return [t for i, t in enumerate(transfers)
            if i + 1 == len(transfers) or transfers[i + 1].day != t.day]


def contract_as_of(state: ClientState, contract_id: str, as_of: int) -> Contract | None:
    """The contract as SPEC.md 2 sees it on `as_of`, or None if not signed by then."""
    signed: Signed | None = winner(state.signed.get(contract_id, {}).values(), as_of)
    if signed is None:
        return None
    amendments: list[Amended] = by_day(state.amended.get(contract_id, {}).values(), as_of)
    ended: Ended | None = winner(state.ended.get(contract_id, {}).values(), as_of)
    planned_end = _latest_set(signed.planned_end, amendments, "planned_end")
    if ended is not None:
        last_day, reason = ended.day, ended.reason
    elif planned_end is not None:
        last_day, reason = planned_end, "expired"
    else:
        last_day, reason = None, None

    days, hours = signed.days_per_week, signed.hours_per_day
    terms = [(signed.day, days, hours)]
    for a in amendments:
        if a.days_per_week is not None or a.hours_per_day is not None:
            days = a.days_per_week if a.days_per_week is not None else days
            hours = a.hours_per_day if a.hours_per_day is not None else hours
            terms.append((a.day, days, hours))

    # The signed organiser holds until the first transfer, even one dated before the start.
    organizers = [(0, signed.organizer)] + [(t.day, t.to_organizer)
                                            for t in held_transfers(state, contract_id, as_of)]

    # Suspended from a suspension's day; a resumption on the same day wins (SPEC.md 2).
    toggles: list[Toggle] = visible(state.suspensions.get(contract_id, {}).values(), as_of)
    toggles.sort(key=lambda t: (t.day, not t.on))
    suspended = step_spans(((t.day, t.on) for t in toggles), as_of + 1)

    return Contract(
        contract_id=contract_id, signed=signed, start=signed.day, last_day=last_day,
        end_reason=reason, producer=_latest_set(signed.producer, amendments, "producer"),
        terms=terms, organizers=organizers, suspended=suspended,
    )
