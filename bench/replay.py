"""Replay throughput against the cost of validation alone.

Writes N synthetic events (default 1,000,000; mostly attendance, as in life), times
`jatkumo replay` on them in this process, and in the same run times the baseline: pydantic
validation (`validate_json` of the event model) over the same lines and nothing else.
Prints events/s, the ratio replay/baseline (target >= 0.5) and peak RSS.

Then the cost of the door's checks for identity codes and keys given twice (schemas.door:
the byte pre-scan of every line and the closer look at the lines it flags): the same file
replayed in one process with and without them (the checks switched off in this process only,
for the measurement), and how many lines the pre-scan sent to the closer look.

    .venv/bin/python bench/replay.py [--events N] [--keep DIR]
"""

import argparse
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from schemas import door
from schemas.events import EVENT_ADAPTER
from services import loader
from services.config import Settings
from services.partition import numbered
from services.replay import replay

MUNICIPALITIES = ["564", "244", "678", "305", "977", "139"]


def envelope(rng: random.Random, etype: str, client: str, day: date, payload: dict) -> bytes:
    return orjson.dumps({
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "event_type": etype,
        "schema_version": 1, "occurred_at": f"{day.isoformat()}T10:00:00+02:00",
        "source": "workshop:BENCH", "client_id": client, "payload": payload,
    })


def write_events(path: Path, n: int, seed: int = 7) -> int:
    """About n events: per client a contract, a worker, a transfer, and weekly attendance."""
    rng = random.Random(seed)
    written = 0
    with path.open("wb") as f:
        c = 0
        while written < n:
            c += 1
            client, contract = f"c{c}", f"k{c}"
            muni = rng.choice(MUNICIPALITIES)
            start = date(2022, 1, 3) + timedelta(days=rng.randrange(300))
            org = f"municipality:{muni}"
            lines = [envelope(rng, "contract.signed", client, start, {
                "contract_id": contract, "service": rng.choice(["KTT", "SOSKU"]),
                "organizer": org, "producer": {"id": f"PAJA-{muni}", "kind": "municipal",
                                               "municipality": muni},
                "start_date": start.isoformat(), "days_per_week": 3, "hours_per_day": 6}),
                envelope(rng, "worker.assigned", client, start, {
                    "worker_id": f"w{c}", "organization": org, "on_date": start.isoformat()})]
            handoff = date(2023, 1, 1) + timedelta(days=rng.choice([0, 0, 0, 10, 30]))
            lines.append(envelope(rng, "responsibility.transferred", client, handoff, {
                "contract_id": contract, "from_organizer": org,
                "to_organizer": "wellbeing_area:pohjois-pohjanmaa",
                "effective_date": handoff.isoformat()}))
            day = start
            for _ in range(rng.randrange(60, 200)):
                day += timedelta(days=rng.choice([1, 1, 2, 3]))
                lines.append(envelope(rng, "attendance.recorded", client, day, {
                    "contract_id": contract, "date": day.isoformat(),
                    "present": rng.random() < 0.85}))
            f.write(b"\n".join(lines) + b"\n")
            written += len(lines)
    return written


def baseline(path: Path) -> float:
    t = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            EVENT_ADAPTER.validate_json(line)
    return time.perf_counter() - t


def one_process(events: Path, db: Path, scan: bool) -> tuple[float, float]:
    """Seconds (wall, CPU of this process) of an in-process replay, with the door's extra
    checks or without them. CPU time is the steadier figure on a shared machine."""
    if not scan:
        loader.needs_look = lambda line, event: False  # type: ignore[assignment]
    try:
        t, c = time.perf_counter(), time.process_time()
        replay(events, db, Settings(pseudonym_key=b"bench"), None, workers=1)
        return time.perf_counter() - t, time.process_time() - c
    finally:
        loader.needs_look = door.needs_look


def loading_cpu(events: Path, scan: bool) -> float:
    """CPU seconds of loading alone (the door and the states; Arrow batches built and dropped),
    with the door's extra checks or without them: the steadiest figure on a shared machine."""
    lines = list(numbered(events))
    loader.needs_look = door.needs_look if scan else (  # type: ignore[assignment]
        lambda line, event: False)
    try:
        c = time.process_time()
        loader.load(lines, str(events), b"bench", lambda relation, table: None)
        return time.process_time() - c
    finally:
        loader.needs_look = door.needs_look


def flagged(events: Path) -> tuple[int, int]:
    """(lines, lines the pre-scan sends to the closer look)."""
    lines = hits = 0
    for _n, line in numbered(events):
        lines += 1
        hits += door.needs_look(line, door.validate_json(line))
    return lines, hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=2, help="best of this many runs of each")
    ap.add_argument("--keep", type=Path, help="folder for the event file and DuckDB file")
    ap.add_argument("--scan-events", type=int, default=300_000,
                    help="events for the in-process comparison with and without the checks")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="jatkumo-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    events, db = folder / "events.jsonl", folder / "bench.duckdb"
    n = write_events(events, args.events)
    print(f"wrote {n:,} events ({events.stat().st_size / 1e6:.0f} MB) to {events}")
    # Interleaved and best-of, so that load from other processes hits both sides alike.
    bases, tooks = [], []
    for _ in range(args.rounds):
        bases.append(baseline(events))
        t = time.perf_counter()
        report = replay(events, db, Settings(pseudonym_key=b"bench"), None)
        tooks.append(time.perf_counter() - t)
    base, took = min(bases), min(tooks)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"baseline (validate only): {base:6.2f} s  {n / base:12,.0f} events/s")
    print(f"replay (everything):      {took:6.2f} s  {n / took:12,.0f} events/s")
    print(f"ratio replay/baseline:    {base / took:6.2f}   (target >= 0.5)")
    print(f"peak RSS:                 {peak:6.0f} MiB in this process, "
          f"{report.worker_peak_mib:.0f} MiB in the largest worker; {report.workers} worker(s); "
          f"clients {report.clients:,}; taken {report.taken:,}")
    small = folder / "scan.jsonl"
    m = write_events(small, args.scan_events, seed=8)
    withs, withouts = [], []
    for _ in range(args.rounds):
        withouts.append(one_process(small, folder / "scan.duckdb", scan=False))
        withs.append(one_process(small, folder / "scan.duckdb", scan=True))
    lines, hits = flagged(small)
    load_on, load_off = [], []
    for _ in range(args.rounds):
        load_off.append(loading_cpu(small, scan=False))
        load_on.append(loading_cpu(small, scan=True))
    on, off = min(load_on), min(load_off)
    print(f"loading alone, {m:,} events, CPU: without the checks {off:6.2f} s, with them "
          f"{on:6.2f} s; ratio with/without {off / on:5.3f} (+{(on - off) / m * 1e6:.2f} µs "
          "an event)")
    print(f"in one process, {m:,} events (best of {args.rounds}; wall, then CPU time):")
    for i, what in enumerate(("wall", "CPU")):
        on, off = min(w[i] for w in withs), min(w[i] for w in withouts)
        print(f"  {what:4s} without the code/duplicate-key checks: {off:6.2f} s "
              f"{m / off:10,.0f} events/s; with them (as shipped): {on:6.2f} s "
              f"{m / on:10,.0f} events/s; ratio with/without {off / on:5.3f}")
    print(f"  the pre-scan sent {hits:,} of {lines:,} lines ({100 * hits / lines:.2f} %) to the "
          "closer look")


if __name__ == "__main__":
    main()
