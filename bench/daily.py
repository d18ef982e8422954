"""The daily as-of move of a live worker (issue 14): CPU of moving every client's results from
day A to A + 1, by re-evaluating only the clients whose next breakpoint has come
(streams.core.horizon), against re-evaluating every client (the baseline, same process).

Generates the national file (`jatkumo simulate --scale national`) unless --file exists, loads
every client's state in this process, evaluates all of them as of A (the day before --as-of)
with the breakpoint of each, and then times the move to --as-of. Target: < 60 s of a core for
the move of the national file's ≈ 250,000 clients.

    .venv/bin/python bench/daily.py [--file PATH] [--clients N] [--as-of YYYY-MM-DD]
"""

import argparse
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.loader import load  # noqa: E402
from services.partition import numbered  # noqa: E402
from streams.core import compiled  # noqa: E402
from streams.core.evaluate import evaluate  # noqa: E402
from streams.core.horizon import aged, next_change  # noqa: E402
from streams.core.rules import Rules  # noqa: E402

TARGET_CPU_SECONDS = 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", default="/tmp/jatkumo-national/national.jsonl")
    ap.add_argument("--clients", type=int, default=None, help="default: the national 250,000")
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2024, 12, 31),
                    help="the day moved to (default 2024-12-31, the national window's end)")
    args = ap.parse_args()
    path = Path(args.file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "services.cli", "simulate", "--scale", "national",
               "--out", str(path), "--quiet"]
        if args.clients:
            cmd += ["--clients", str(args.clients)]
        subprocess.run(cmd, check=True, cwd=ROOT)
    rules = Rules()
    day = args.as_of
    before = day - timedelta(days=1)
    c = time.process_time()
    states, counts = load(numbered(path), str(path), b"bench", lambda relation, table: None)
    print(f"{counts.taken:,} events of {len(states):,} clients loaded in "
          f"{time.process_time() - c:,.0f} s of CPU; core: {compiled.which()}")

    c = time.process_time()
    results = {cid: evaluate(s, before, rules) for cid, s in states.items()}
    full = time.process_time() - c
    a = before.toordinal()
    c = time.process_time()
    nxt = {cid: next_change(s, a, rules) for cid, s in states.items()}
    horizon_cpu = time.process_time() - c
    print(f"as of {before}: every client evaluated in {full:,.1f} s of CPU (the baseline), "
          f"breakpoints found in {horizon_cpu:,.1f} s")

    c = time.process_time()
    d = day.toordinal()
    due = [cid for cid, n in nxt.items() if n <= d]
    for cid in due:
        results[cid] = evaluate(states[cid], day, rules)
        nxt[cid] = next_change(states[cid], d, rules)
    moved = time.process_time() - c
    # Aging the others' open gaps is one UPDATE in DuckDB (services/ingest/embedded.py); here
    # it is the same on the rows in memory, timed apart.
    c = time.process_time()
    due_set = set(due)
    for cid, r in results.items():
        if cid not in due_set:
            aged(r, 1)
    aging = time.process_time() - c
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"move to {day}: {len(due):,} of {len(states):,} clients due "
          f"({100 * len(due) / max(1, len(states)):.1f} %), evaluated with their next "
          f"breakpoint in {moved:,.1f} s of CPU; open gaps aged in {aging:,.1f} s")
    total = moved + aging
    print(f"ratio full/move: {full / max(total, 1e-9):,.1f}; move {total:,.1f} s of CPU vs "
          f"target {TARGET_CPU_SECONDS} s -> {'MET' if total < TARGET_CPU_SECONDS else 'NOT MET'}"
          f"; peak RSS {peak:,.2f} GiB")


if __name__ == "__main__":
    main()
