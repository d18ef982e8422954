"""Replay throughput against the cost of validation alone.

Writes N synthetic events (default 1,000,000; mostly attendance, as in life), times
`jatkumo replay` on them in this process, and in the same run times the baseline: pydantic
validation (`validate_json` of the event model) over the same lines and nothing else.
Prints events/s, the ratio replay/baseline (target >= 0.5) and peak RSS.

Then the cost of the door's checks for identity codes and keys given twice (schemas.door:
the byte pre-scan of every line and the closer look at the lines it flags): the same file
replayed in one process with and without them (the checks switched off in this process only,
for the measurement), and how many lines the pre-scan sent to the closer look.

With `--mix` the file has the mixed shape of issue 14 instead: about 16 events a client
(1-3 contracts each) with amendments, suspensions, transfers, referrals, worker changes and
corrections (the same fact set twice, the later `occurred_at` winning), written out of time
order, and replayed as of 2024-06-30 (18+ months after the first contracts).

    .venv/bin/python bench/replay.py [--events N] [--mix | --both] [--keep DIR]

`--both` measures the two shapes one after the other in one run and prints a line for each.
"""

import argparse
import os
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
from streams.core import compiled

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


MIX_AS_OF = date(2024, 6, 30)
WELLBEING_AREA = "wellbeing_area:pohjois-pohjanmaa"


def mixed_client(rng: random.Random, c: int, first: date) -> list[bytes]:
    """One client's events in the mixed shape: registration, 1-3 contracts, each with an
    amendment, maybe a suspension and resume, a transfer (maybe corrected), attendance, an end
    (maybe corrected); workers assigned and changed; referrals made, started or closed."""
    client, muni = f"m{c}", rng.choice(MUNICIPALITIES)
    org = f"municipality:{muni}"
    stamp = iter(range(10_000))

    def ev(etype: str, day: date, payload: dict, late: int = 0) -> bytes:
        # Corrections are recorded later (a later occurred_at wins, SPEC.md 1.5).
        when = day + timedelta(days=late)
        return orjson.dumps({
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "event_type": etype, "schema_version": 1,
            "occurred_at": f"{when.isoformat()}T10:{next(stamp) % 60:02d}:00+02:00",
            "source": "workshop:BENCH", "client_id": client, "payload": payload})

    out = [ev("client.registered", first, {
        "birth_year": rng.randrange(1995, 2006), "home_municipality": muni,
        "referred_by": rng.choice(["te_office", "social_work", "ohjaamo", "self"]),
        "registered_on": first.isoformat()})]
    worker_day = first
    out.append(ev("worker.assigned", worker_day, {
        "worker_id": f"w{c}a", "organization": org, "on_date": worker_day.isoformat()}))
    start = first
    for k in range(rng.choice([1, 1, 2, 3])):
        contract = f"m{c}k{k}"
        producer = {"id": f"PAJA-{muni}", "kind": "municipal", "municipality": muni}
        out.append(ev("contract.signed", start, {
            "contract_id": contract, "service": rng.choice(["KTT", "SOSKU", "NUPA"]),
            "organizer": org if start < date(2023, 1, 1) else WELLBEING_AREA,
            "producer": producer, "start_date": start.isoformat(),
            "planned_end_date": (start + timedelta(days=365)).isoformat(),
            "days_per_week": 3, "hours_per_day": 6}))
        amended = start + timedelta(days=rng.randrange(20, 120))
        out.append(ev("contract.amended", amended, {
            "contract_id": contract, "amended_on": amended.isoformat(),
            "days_per_week": rng.randrange(1, 6)}))
        if start < date(2023, 1, 1):
            eff = date(2023, 1, 1) + timedelta(days=rng.choice([0, 0, 5, 20, 60]))
            out.append(ev("responsibility.transferred", eff, {
                "contract_id": contract, "from_organizer": org, "to_organizer": WELLBEING_AREA,
                "effective_date": eff.isoformat()}))
            if rng.random() < 0.4:  # corrected later to another day
                fixed = eff - timedelta(days=rng.randrange(0, 10))
                out.append(ev("responsibility.transferred", fixed, {
                    "contract_id": contract, "from_organizer": org,
                    "to_organizer": WELLBEING_AREA, "effective_date": fixed.isoformat()},
                    late=30))
        if rng.random() < 0.5:
            off = start + timedelta(days=rng.randrange(30, 200))
            out.append(ev("contract.suspended", off, {
                "contract_id": contract, "from_date": off.isoformat(),
                "reason": rng.choice(["illness", "leave", "other"])}))
            back = off + timedelta(days=rng.randrange(5, 60))
            out.append(ev("contract.resumed", back, {
                "contract_id": contract, "on_date": back.isoformat()}))
        day = start
        for _ in range(rng.randrange(2, 6)):
            day += timedelta(days=rng.randrange(1, 40))
            out.append(ev("attendance.recorded", day, {
                "contract_id": contract, "date": day.isoformat(),
                "present": rng.random() < 0.8}))
        end = start + timedelta(days=rng.randrange(150, 500))
        if end < MIX_AS_OF:
            out.append(ev("contract.ended", end, {
                "contract_id": contract, "end_date": end.isoformat(),
                "reason": rng.choice(["education", "employment", "completed", "interrupted"])}))
            if rng.random() < 0.3:  # the end corrected later
                fixed = end + timedelta(days=rng.randrange(1, 30))
                out.append(ev("contract.ended", fixed, {
                    "contract_id": contract, "end_date": fixed.isoformat(),
                    "reason": "completed"}, late=40))
        start = end + timedelta(days=rng.randrange(0, 90))
        if start >= MIX_AS_OF:
            break
    worker_day += timedelta(days=rng.randrange(100, 500))
    if worker_day < MIX_AS_OF:
        organisation = org if worker_day < date(2023, 1, 1) else WELLBEING_AREA
        out.append(ev("worker.unassigned", worker_day, {
            "worker_id": f"w{c}a", "organization": org, "on_date": worker_day.isoformat()}))
        new = worker_day + timedelta(days=rng.randrange(0, 40))
        out.append(ev("worker.assigned", new, {
            "worker_id": f"w{c}b", "organization": organisation, "on_date": new.isoformat()}))
    for r in range(rng.choice([0, 1, 1, 2])):
        made = first + timedelta(days=rng.randrange(10, 400))
        ref = f"m{c}r{r}"
        out.append(ev("referral.made", made, {
            "referral_id": ref, "target": rng.choice(["mental_health", "education", "health"]),
            "made_on": made.isoformat()}))
        fate = rng.random()
        if fate < 0.5:
            started = made + timedelta(days=rng.randrange(5, 90))
            out.append(ev("referral.started", started, {
                "referral_id": ref, "started_on": started.isoformat()}))
        elif fate < 0.7:
            out.append(ev("referral.closed", made + timedelta(days=30), {
                "referral_id": ref, "closed_on": (made + timedelta(days=30)).isoformat(),
                "outcome": rng.choice(["declined", "cancelled", "not_needed"])}))
    return out


def write_mixed(path: Path, n: int, seed: int = 7) -> int:
    """About n events in the mixed shape, out of time order: each block of about 25 clients'
    events (some 400) is shuffled before it is written."""
    rng = random.Random(seed)
    written = c = 0
    with path.open("wb") as f:
        while written < n:
            block: list[bytes] = []
            for _ in range(25):
                c += 1
                first = date(2021, 1, 4) + timedelta(days=rng.randrange(700))
                block.extend(mixed_client(rng, c, first))
            rng.shuffle(block)
            f.write(b"\n".join(block) + b"\n")
            written += len(block)
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


def ratios(folder: Path, mix: bool, events_n: int, rounds: int) -> tuple[float, float, int]:
    """Write a file of one shape, time replay against validation only on it, print the
    figures; returns (wall ratio, CPU ratio, events)."""
    events, db = folder / "events.jsonl", folder / "bench.duckdb"
    write = write_mixed if mix else write_events
    as_of = MIX_AS_OF if mix else None
    n = write(events, events_n)
    shape = "mixed" if mix else "attendance-heavy"
    print(f"wrote {n:,} {shape} events ({events.stat().st_size / 1e6:.0f} MB) to {events}; "
          f"core: {compiled.which()}")
    # Interleaved and best-of, so that load from other processes hits both sides alike.
    # CPU time beside wall time: on a shared machine the wall ratio of a parallel replay also
    # measures how many cores the scheduler gave it; the CPU ratio is the work done per event.
    bases, tooks, base_cpus, cpus = [], [], [], []
    for _ in range(rounds):
        c = time.process_time()
        bases.append(baseline(events))
        base_cpus.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        report = replay(events, db, Settings(pseudonym_key=b"bench"), as_of)
        tooks.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c + report.worker_cpu_s)
    base, took = min(bases), min(tooks)
    base_cpu, cpu = min(base_cpus), min(cpus)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"baseline (validate only): {base:6.2f} s  {n / base:12,.0f} events/s")
    print(f"replay (everything):      {took:6.2f} s  {n / took:12,.0f} events/s")
    print(f"ratio replay/baseline:    {base / took:6.2f}   (target >= 0.5)")
    print(f"CPU: baseline {base_cpu:6.2f} s, replay {cpu:6.2f} s (this process and its workers); "
          f"ratio {base_cpu / cpu:5.2f}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print(f"peak RSS:                 {peak:6.0f} MiB in this process, "
          f"{report.worker_peak_mib:.0f} MiB in the largest worker; {report.workers} worker(s); "
          f"clients {report.clients:,}; taken {report.taken:,}")
    return base / took, base_cpu / cpu, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--mix", action="store_true",
                    help="the mixed shape (corrections, transfers, referrals, out of order)")
    ap.add_argument("--both", action="store_true",
                    help="both shapes in one run (the default, then --mix), ratios only")
    ap.add_argument("--rounds", type=int, default=2, help="best of this many runs of each")
    ap.add_argument("--keep", type=Path, help="folder for the event file and DuckDB file")
    ap.add_argument("--scan-events", type=int, default=300_000,
                    help="events for the in-process comparison with and without the checks")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="jatkumo-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.both:
        got = {mix: ratios(folder, mix, args.events, args.rounds) for mix in (False, True)}
        print("shape             events   wall ratio  CPU ratio  (target >= 0.5 each)")
        for mix, (wall, cpu_ratio, n) in got.items():
            print(f"{'mixed' if mix else 'attendance-heavy':16s} {n:8,d}   {wall:10.2f} "
                  f"{cpu_ratio:10.2f}")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        return
    write = write_mixed if args.mix else write_events
    ratios(folder, args.mix, args.events, args.rounds)
    small = folder / "scan.jsonl"
    m = write(small, args.scan_events, seed=8)
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
    print("  (lines the door's fast path takes, streams/core/plain.py, always have its byte "
          "pre-scan: only the slow path's checks are switched off)")
    print(f"  the pre-scan sent {hits:,} of {lines:,} lines ({100 * hits / lines:.2f} %) to the "
          "closer look")


if __name__ == "__main__":
    main()
