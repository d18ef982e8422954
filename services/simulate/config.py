"""What a simulation run is asked to do: scale, seed, window, handoffs, and the failure and
noise rates.

Rates are probabilities per eligible unit (a handed-over contract, a referral, a municipality…),
so the number of injected failures grows with the cohort and stays realistic at every scale."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

# name -> (default, what one unit is); the CLI offers --rate-NAME for each (dashes for _).
RATES: Mapping[str, tuple[float, str]] = MappingProxyType({
    "late_transfer": (0.06, "share of handed-over contracts transferred 15-120 days late "
                      "(in each handoff)"),
    "missing_transfer": (0.02, "share of handed-over contracts never transferred "
                         "(in each handoff)"),
    "no_worker_after_handoff": (
        0.05, "share of handed-over contracts whose new worker comes 3-10 weeks late"),
    "silent_dropout": (0.05, "share of young people whose last contract goes silent"),
    "expired_no_next_step": (
        0.05, "share of young people whose last contract just expires, no next step"),
    "stalled_referral": (0.10, "share of mental-health and substance-abuse referrals that stall"),
    "ktt_from_company": (0.01, "share of KTT contracts bought from a company"),
    "municipal_ktt_after_cutover": (
        0.10, "share of municipalities (and one more per area) still signing some KTT "
        "themselves in the 90 days after cutover"),
    "wellbeing_ktt_after_handoff": (
        0.15, "with --second-handoff: share of the KTT contracts of the 90 days after it that "
        "the wellbeing area still signs itself"),
    "malformed_line": (0.001, "share of lines followed by a malformed copy (noise)"),
    "duplicate_delivery": (0.003, "share of events delivered twice (noise)"),
})
NOISE_RATES = ("malformed_line", "duplicate_delivery")
FAILURE_KINDS = tuple(k for k in RATES if k not in NOISE_RATES)

REGION_WINDOW = (date(2021, 1, 1), date(2024, 12, 31))
NATIONAL_WINDOW = (date(2015, 1, 1), date(2024, 12, 31))
REGION_CLIENTS = 5_000  # ≈ 1,100 workshop entrants a year plus the stock on 1.1.2021
NATIONAL_CLIENTS = 250_000
# The second handoff needs room after the first: the latest injected late transfer of the first
# is 120 days after it, and it must be over before the second begins.
MIN_DAYS_BETWEEN_HANDOFFS = 180


def _year_after(d: date) -> date:
    """With a second handoff the window runs a year past it (29 February: to 1 March)."""
    try:
        return d.replace(year=d.year + 1)
    except ValueError:
        return date(d.year + 1, 3, 1)


def default_rates() -> dict[str, float]:
    return {name: default for name, (default, _) in RATES.items()}


@dataclass(frozen=True, slots=True)
class SimHandoff:
    """One handoff the simulated region lives through (SPEC.md 4.1)."""

    name: str
    services: frozenset[str]
    from_kind: str
    to_kind: str
    day: int  # date ordinal of the new kind's first day
    grace_days: int = 14

    def toml(self) -> str:
        services = ", ".join(f'"{s}"' for s in sorted(self.services))
        return (f'[[handoff]]\nname = "{self.name}"\nservices = [{services}]\n'
                f'from = "{self.from_kind}"\nto = "{self.to_kind}"\n'
                f"date = {date.fromordinal(self.day).isoformat()}\n"
                f"grace_days = {self.grace_days}\n")


@dataclass(frozen=True)
class SimConfig:
    seed: int = 1
    scale: str = "region"  # "region" or "national"
    region: str = "pohjois-pohjanmaa"
    clients: int | None = None  # None: the scale's default (longer windows, more people)
    rates: Mapping[str, float] = field(default_factory=default_rates)
    noise: bool = True
    cutover: date = date(2023, 1, 1)
    # KTT back from the wellbeing areas to the municipalities on this day (SPEC.md 4.1's
    # `ktt-back`); None: only the 2023 handoff.
    second_handoff: date | None = None

    def __post_init__(self) -> None:
        second = self.second_handoff
        if second is not None and (second - self.cutover).days < MIN_DAYS_BETWEEN_HANDOFFS:
            raise ValueError(f"the second handoff must come at least "
                             f"{MIN_DAYS_BETWEEN_HANDOFFS} days after the cutover "
                             f"{self.cutover.isoformat()}, got {second.isoformat()}")

    @property
    def window(self) -> tuple[date, date]:
        first, last = NATIONAL_WINDOW if self.scale == "national" else REGION_WINDOW
        if self.second_handoff is not None:
            last = max(last, _year_after(self.second_handoff) - timedelta(days=1))
        return first, last

    @property
    def handoffs(self) -> tuple[SimHandoff, ...]:
        out = [SimHandoff("2023", frozenset({"KTT", "SOSKU"}), "municipality", "wellbeing_area",
                          self.cutover.toordinal())]
        if self.second_handoff is not None:
            out.append(SimHandoff("ktt-back", frozenset({"KTT"}), "wellbeing_area",
                                  "municipality", self.second_handoff.toordinal()))
        return tuple(out)

    def handoffs_toml(self) -> str:
        """The handoffs configuration replay needs for this run (`--handoffs FILE`)."""
        return "\n".join(h.toml() for h in self.handoffs)

    @property
    def n_clients(self) -> int:
        if self.clients is not None:
            return self.clients
        if self.scale == "national":
            return NATIONAL_CLIENTS
        first, last = self.window
        default_days = (REGION_WINDOW[1] - REGION_WINDOW[0]).days
        return REGION_CLIENTS * (last - first).days // default_days

    def rate(self, name: str) -> float:
        if name in NOISE_RATES and not self.noise:
            return 0.0
        return self.rates.get(name, RATES[name][0])
