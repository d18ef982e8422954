"""What a simulation run is asked to do: scale, seed, window, and the failure and noise rates.

Rates are probabilities per eligible unit (a handed-over contract, a referral, a municipality…),
so the number of injected failures grows with the cohort and stays realistic at every scale."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

# name -> (default, what one unit is); the CLI offers --rate-NAME for each (dashes for _).
RATES: Mapping[str, tuple[float, str]] = MappingProxyType({
    "late_transfer": (0.06, "share of handed-over contracts transferred 20-120 days late"),
    "missing_transfer": (0.02, "share of handed-over contracts never transferred"),
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
    "malformed_line": (0.001, "share of lines followed by a malformed copy (noise)"),
    "duplicate_delivery": (0.003, "share of events delivered twice (noise)"),
})
NOISE_RATES = ("malformed_line", "duplicate_delivery")
FAILURE_KINDS = tuple(k for k in RATES if k not in NOISE_RATES)

REGION_WINDOW = (date(2021, 1, 1), date(2024, 12, 31))
NATIONAL_WINDOW = (date(2015, 1, 1), date(2024, 12, 31))
REGION_CLIENTS = 5_000  # ≈ 1,100 workshop entrants a year plus the stock on 1.1.2021
NATIONAL_CLIENTS = 250_000


def default_rates() -> dict[str, float]:
    return {name: default for name, (default, _) in RATES.items()}


@dataclass(frozen=True)
class SimConfig:
    seed: int = 1
    scale: str = "region"  # "region" or "national"
    region: str = "pohjois-pohjanmaa"
    clients: int | None = None  # None: the scale's default
    rates: Mapping[str, float] = field(default_factory=default_rates)
    noise: bool = True
    cutover: date = date(2023, 1, 1)

    @property
    def window(self) -> tuple[date, date]:
        return NATIONAL_WINDOW if self.scale == "national" else REGION_WINDOW

    @property
    def n_clients(self) -> int:
        if self.clients is not None:
            return self.clients
        return NATIONAL_CLIENTS if self.scale == "national" else REGION_CLIENTS

    def rate(self, name: str) -> float:
        if name in NOISE_RATES and not self.noise:
            return 0.0
        return self.rates.get(name, RATES[name][0])
