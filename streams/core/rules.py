"""The tunable parts of SPEC.md's rules: cutover, thresholds, and which handoff is modelled.

The handoff is generic (FACTS.md): which services move, from which kind of organiser to which,
from which date, so the announced return of KTT to municipalities can be modelled the same way.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

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


@dataclass(frozen=True, slots=True)
class Rules:
    cutover: date = date(2023, 1, 1)
    thresholds: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    referral_thresholds: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_REFERRAL_THRESHOLDS)
    )
    handoff_grace_days: int = 14  # "transferred" when effective by cutover + this
    handoff_services: frozenset[str] = frozenset({"KTT", "SOSKU"})
    handoff_from: str = "municipality:"  # organiser id prefix that hands over
    handoff_to: str = "wellbeing_area:"  # organiser id prefix that takes over

    @property
    def cutover_day(self) -> int:
        return self.cutover.toordinal()
