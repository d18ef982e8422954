"""Simulation speed: events per second for the region and for a national sample.

The baseline, measured in the same run, is the cost of only serialising the same number of
small events with orjson and writing them: the ratio says how much the simulation itself
(plans, attendance, failures, noise) costs on top of the writing it cannot avoid.

    .venv/bin/python bench/simulate.py [--national-clients N] [--seed N]
"""

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.simulate import SimConfig, simulate


def baseline(path: Path, n: int) -> float:
    """Events/s of serialising and writing n attendance-like events, nothing else."""
    doc = {"event_id": "00000000-0000-4000-8000-000000000000",
           "event_type": "attendance.recorded", "schema_version": 1,
           "occurred_at": "2023-03-01T15:00:00+02:00", "source": "workshop:PAJA-OULU-1",
           "client_id": "sim-000001",
           "payload": {"contract_id": "K000001-1", "date": "2023-03-01", "present": True}}
    began = time.perf_counter()
    with path.open("wb", buffering=1 << 20) as f:
        for i in range(n):
            doc["client_id"] = f"sim-{i:06d}"
            f.write(orjson.dumps(doc) + b"\n")
    return n / (time.perf_counter() - began)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--national-clients", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "e.jsonl"
        rows = []
        truth = Path(tmp) / "t.jsonl"
        for label, cfg, with_truth in (
            ("region (pohjois-pohjanmaa, 5,000)", SimConfig(seed=args.seed), False),
            ("  with the truth of every gap", SimConfig(seed=args.seed), True),
            ("  two handoffs (2025), with truth",
             SimConfig(seed=args.seed, second_handoff=date(2025, 1, 1)), True),
            (f"national sample ({args.national_clients:,})",
             SimConfig(seed=args.seed, scale="national", clients=args.national_clients), True),
        ):
            report = simulate(cfg, out, truth if with_truth else None)
            size = out.stat().st_size
            rows.append((label, report.clients, report.events, report.seconds, size))
        base = baseline(out, 1_000_000)
    print(f"{'run':36} {'clients':>9} {'events':>11} {'s':>7} {'events/s':>10} "
          f"{'MB':>7} {'vs baseline':>11}")
    for label, clients, events, seconds, size in rows:
        eps = events / seconds
        print(f"{label:36} {clients:>9,} {events:>11,} {seconds:>7.1f} {eps:>10,.0f} "
              f"{size / 1e6:>7.0f} {eps / base:>11.2f}")
    print(f"{'baseline: orjson.dumps + write':36} {'':>9} {1_000_000:>11,} {'':>7} "
          f"{base:>10,.0f}")
    per_client = rows[-1][2] / rows[-1][1]
    print(f"national at 250,000 young people ≈ {per_client * 250_000 / 1e6:.1f} M events, "
          f"≈ {250_000 * per_client / (rows[-1][2] / rows[-1][3]) / 60:.1f} min at this speed")


if __name__ == "__main__":
    main()
