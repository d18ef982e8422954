"""The tunable parts of SPEC.md's rules: thresholds and the handoffs (SPEC.md 4.1).

A handoff is generic: which services move, from which kind of organiser to which, from which
date, so the announced return of KTT to municipalities is configuration, not code. Without a
configured list there is one handoff, `2023`, on the cutover date `C` (sections 3 and 4).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

GAP_TYPES = (
    "HANDOFF_MISSING", "SERVICE_BREAK", "NO_RESPONSIBLE_WORKER", "ATTENDANCE_SILENCE",
    "REFERRAL_STALLED",
)
# Plain dicts, copied into each Rules: rules travel to replay's worker processes by pickle.
DEFAULT_THRESHOLDS: Mapping[str, int] = {
    "HANDOFF_MISSING": 14,
    "SERVICE_BREAK": 30,
    "NO_RESPONSIBLE_WORKER": 14,
    "ATTENDANCE_SILENCE": 21,
}
# REFERRAL_STALLED's threshold depends on the referral's target.
DEFAULT_REFERRAL_THRESHOLDS: Mapping[str, int] = {
    "mental_health": 28, "substance_abuse": 28,
    "education": 60, "employment": 60, "health": 60, "other": 60,
}
# Exits that are a next step in themselves; any other end needs a referral or a new contract.
SETTLED_END_REASONS = frozenset({"education", "employment", "moved_away"})


ORGANIZER_KINDS = ("municipality", "wellbeing_area")  # the part of an organiser id before ':'
# NO_RESPONSIBLE_WORKER is about KTT and SOSKU whoever organises them (SPEC.md 3), handoff or not.
WORKER_SERVICES = frozenset({"KTT", "SOSKU"})


def kind_of(organizer: str) -> str:
    return organizer.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class Handoff:
    """H of SPEC.md 4.1: `services` move from organisers of kind `from_kind` to `to_kind`, whose
    first day is `date`; a transfer effective by `date` + `grace_days` is on time."""

    name: str
    services: frozenset[str]
    from_kind: str
    to_kind: str
    date: date
    grace_days: int = 14

    @property
    def day(self) -> int:
        return self.date.toordinal()

    def __reduce__(self) -> tuple[Any, ...]:
        # Spelled out: compiled by mypyc, a frozen class cannot be rebuilt attribute by
        # attribute, and the rules travel to replay's worker processes.
        return (Handoff, (self.name, self.services, self.from_kind, self.to_kind, self.date,
                          self.grace_days))


@dataclass(frozen=True, slots=True)
class Rules:
    cutover: date = date(2023, 1, 1)
    thresholds: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    referral_thresholds: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_REFERRAL_THRESHOLDS)
    )
    handoff_grace_days: int = 14  # the default handoff's grace days
    # A configured list (--handoffs, JATKUMO_HANDOFFS); None: the default handoff `2023` on
    # `cutover` with `handoff_grace_days`, so --cutover and JATKUMO_CUTOVER keep working.
    configured_handoffs: tuple[Handoff, ...] | None = None
    # Derived once (evaluation is per client): never passed, so `replace` recomputes them.
    handoffs: tuple[Handoff, ...] = field(init=False)
    # service -> [(first day, the kind responsible from then)], by day: responsible(s, d).
    responsible: Mapping[str, tuple[tuple[int, str], ...]] = field(init=False)

    def __post_init__(self) -> None:
        handoffs = self.configured_handoffs
        if handoffs is None:
            handoffs = (Handoff("2023", frozenset({"KTT", "SOSKU"}), "municipality",
                                "wellbeing_area", self.cutover, self.handoff_grace_days),)
        object.__setattr__(self, "handoffs", handoffs)
        steps: dict[str, dict[int, str]] = {}
        for h in handoffs:  # on a shared day, the later handoff in the list holds
            for service in h.services:
                steps.setdefault(service, {})[h.day] = h.to_kind
        object.__setattr__(self, "responsible", {
            s: tuple(sorted(days.items())) for s, days in steps.items()})

    def __reduce__(self) -> tuple[Any, ...]:
        # As Handoff's: the derived fields are computed again from the given ones.
        return (Rules, (self.cutover, dict(self.thresholds), dict(self.referral_thresholds),
                        self.handoff_grace_days, self.configured_handoffs))

    @property
    def cutover_day(self) -> int:
        return self.cutover.toordinal()

    def responsible_on(self, service: str, day: int) -> str | None:
        """responsible(s, d) of SPEC.md 4.1: the kind that organises `service` on `day`."""
        kind = None
        for since, to_kind in self.responsible.get(service, ()):
            if since > day:
                break
            kind = to_kind
        return kind
