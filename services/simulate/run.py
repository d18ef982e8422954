"""The simulation loop: one young person at a time is planned, bent by failure injection,
turned into events and written, then forgotten, so memory stays flat at any scale. Each person
has an RNG seeded from (seed, index), so the same seed always gives the same bytes."""

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import orjson

from services.simulate import failures
from services.simulate.config import SimConfig
from services.simulate.emit import emit
from services.simulate.expect import Thresholds, expected_rows
from services.simulate.handoff import plan_handoff
from services.simulate.lifecourse import plan_client
from services.simulate.plan import ClientPlan
from services.simulate.world import World
from services.simulate.writer import Writer


@dataclass
class SimReport:
    clients: int = 0
    events: int = 0
    lines: int = 0
    malformed: int = 0
    duplicates: int = 0
    contracts: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    municipal_first_year: int = 0  # on KTT/SOSKU in a municipal workshop in the first year
    hetu_clients: int = 0
    seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _count(report: SimReport, plan: ClientPlan, first_year: tuple[int, int]) -> None:
    report.clients += 1
    report.hetu_clients += plan.client_field == "client_hetu"
    lo, hi = first_year
    municipal = False
    for k in plan.contracts:
        report.contracts[k.service] += 1
        if (k.service != "NUPA" and k.producer.kind == "municipal"
                and k.start <= hi and k.last >= lo):
            municipal = True
    report.municipal_first_year += municipal
    for inj in plan.injections:
        report.failures[failure_label(inj.kind, inj.handoff)] += 1


def failure_label(kind: str, handoff: str | None) -> str:
    """`late_transfer` of the 2023 handoff, `late_transfer@ktt-back` of a later one."""
    return kind if handoff in (None, "2023") else f"{kind}@{handoff}"


def simulate(config: SimConfig, out: Path, truth: Path | None = None,
             on_progress: Callable[[int], None] | None = None,
             thresholds: Thresholds | None = None) -> SimReport:
    """Write the events to `out` and, if asked, the truth to `truth`: every gap, violation and
    handoff status jatkumo must find (by SPEC.md's default thresholds unless `thresholds`),
    each with its cause, and the noise lines."""
    began = time.perf_counter()
    world = World(config)
    year = config.window[0].year
    first_year = (date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal())
    report = SimReport()
    noise_rng = random.Random(f"{config.seed}/noise")
    truth_file = truth.open("wb") if truth is not None else None
    try:
        with out.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
            writer = Writer(f, noise_rng, config.rate("malformed_line"),
                            config.rate("duplicate_delivery"))
            for index in range(config.n_clients):
                rng = random.Random(f"{config.seed}/client/{index}")
                plan = plan_client(world, index, rng)
                failures.before_handoff(world, plan, rng)
                for h in world.handoffs:  # in date order: a handoff moves what the last left
                    plan_handoff(rng, plan, h)
                    failures.after_handoff(world, plan, rng, h)
                failures.referrals(world, plan, rng)
                lines = emit(world, plan, rng)
                writer.write(lines)
                report.events += len(lines)
                _count(report, plan, first_year)
                if truth_file is not None:
                    for row in expected_rows(world, plan, thresholds) + writer.noise:
                        truth_file.write(orjson.dumps(row) + b"\n")
                if on_progress is not None and index % 1000 == 999:
                    on_progress(index + 1)
        report.lines, report.malformed = writer.lines, writer.malformed
        report.duplicates = writer.duplicates
    finally:
        if truth_file is not None:
            truth_file.close()
    report.seconds = time.perf_counter() - began
    return report
