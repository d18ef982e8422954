"""A synthetic cohort of young people in youth workshops, written as SPEC.md events, with
failures injected where asked and a truth file saying what jatkumo must find.

    report = simulate(SimConfig(seed=7), Path("events.jsonl"), truth=Path("truth.jsonl"))

Modules: config (what to simulate), geography and workshops (where, who produces and who is
responsible), lifecourse and handoff (a young person's path), failures (what goes wrong),
attendance, workers and emit (the events), writer (noise), run (the streaming loop)."""

from services.simulate.config import FAILURE_KINDS, RATES, SimConfig
from services.simulate.run import SimReport, simulate

__all__ = ["FAILURE_KINDS", "RATES", "SimConfig", "SimReport", "simulate"]
