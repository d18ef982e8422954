"""The daily as-of move of a live worker (issue 14): CPU of moving every client's results from
day A to A + 1, by re-evaluating only the clients whose next breakpoint has come
(streams.core.horizon), against re-evaluating every client (the baseline).

Target: < 60 s of a core for the move of the national file's 250,000 clients. Their states
held in one process need ~12 GiB, so the clients are processed in shards, and the figures
are sums over the shards:

1. The file is read once and each line written to shard i = crc32(client) % --shards (the
   client as the door sees it: services.partition.batches, as replay's workers split a file;
   an identity code goes by its pseudonym, so all of a client's events are in one shard).
2. Each shard, in a child process of its own (--jobs at a time), loads its clients' states
   through the door (services.loader.load, as replay does), evaluates every client as of A
   (the baseline) and finds each client's next breakpoint, then moves to A + 1: the clients
   due are evaluated again with their next breakpoint (CPU timed: "move"), and every other
   client's open gaps are aged one day (timed apart: in the live mode this is one DuckDB
   UPDATE, services/ingest/embedded.py). Then it checks --check clients that were not due
   against a fresh evaluation as of A + 1 (not timed): a wrong horizon would show here.
3. The rule's work is per client and a client is in one shard, so the sum of the shards'
   CPU is the CPU of the whole move in one process (less its memory). Each shard's figures
   are appended to --out as a JSON line when it ends; if only some shards were run (--only,
   or the run was cut short) the sum is over those and the total is not claimed.

    .venv/bin/python bench/daily.py [--file PATH] [--shards 16] [--jobs 1] [--only 0,3]
                                    [--as-of YYYY-MM-DD] [--clients N] [--check 200]
    .venv/bin/python bench/daily.py --report shards.jsonl --shards 16   # the sum of a run
"""

import argparse
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.loader import load  # noqa: E402
from services.partition import batches, numbered  # noqa: E402
from streams.core import compiled  # noqa: E402
from streams.core.evaluate import evaluate  # noqa: E402
from streams.core.horizon import aged, next_change  # noqa: E402
from streams.core.rules import Rules  # noqa: E402

TARGET_CPU_SECONDS = 60
KEY = b"bench-key-synthetic-data-only"


def split(path: Path, shards: int, keep: set[int], folder: Path) -> list[Path]:
    """Each kept shard's lines in a file of its own; returns their paths by shard number."""
    paths = [folder / f"shard-{i:03d}.jsonl" for i in range(shards)]
    files = {i: paths[i].open("wb") for i in keep}
    try:
        for parts in batches(path, shards, KEY):
            for i, f in files.items():
                lines = parts[i][1]
                if lines:
                    f.write(b"\n".join(lines) + b"\n")
    finally:
        for f in files.values():
            f.close()
    return paths


def shard_move(job: tuple[int, str, date, int]) -> dict[str, Any]:
    """The figures of one shard (run in a child process: its memory is returned at its end)."""
    shard, path, day, check = job
    rules = Rules()
    before = day - timedelta(days=1)
    c = time.process_time()
    states, counts = load(numbered(Path(path)), path, KEY, lambda relation, table: None)
    load_cpu = time.process_time() - c

    c = time.process_time()
    results = {cid: evaluate(s, before, rules) for cid, s in states.items()}
    full = time.process_time() - c
    a = before.toordinal()
    c = time.process_time()
    nxt = {cid: next_change(s, a, rules) for cid, s in states.items()}
    horizon = time.process_time() - c

    c = time.process_time()
    d = day.toordinal()
    due = [cid for cid, n in nxt.items() if n <= d]
    for cid in due:
        results[cid] = evaluate(states[cid], day, rules)
        nxt[cid] = next_change(states[cid], d, rules)
    move = time.process_time() - c
    c = time.process_time()
    due_set = set(due)
    for cid, r in results.items():
        if cid not in due_set:
            aged(r, 1)
    aging = time.process_time() - c

    others = sorted(set(states) - due_set)
    sample = random.Random(shard).sample(others, min(check, len(others)))
    wrong = sum(1 for cid in sample if evaluate(states[cid], day, rules) != results[cid])
    return {"shard": shard, "clients": len(states), "events": counts.taken, "due": len(due),
            "load_cpu": load_cpu, "full_cpu": full, "horizon_cpu": horizon, "move_cpu": move,
            "aging_cpu": aging, "checked": len(sample), "wrong": wrong,
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", default="/tmp/jatkumo-national/national.jsonl")
    ap.add_argument("--clients", type=int, default=None,
                    help="when the file is generated: default the national 250,000")
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2024, 12, 31),
                    help="the day moved to (default 2024-12-31, the national window's end)")
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--only", default=None, help="run these shards only, e.g. 0,5")
    ap.add_argument("--jobs", type=int, default=1, help="shards at a time (child processes)")
    ap.add_argument("--check", type=int, default=200,
                    help="clients not due per shard checked against a fresh evaluation")
    ap.add_argument("--out", type=Path, default=None,
                    help="JSON lines of each shard's figures (default: beside the shards)")
    ap.add_argument("--shard-dir", type=Path, default=None,
                    help="the shard files of an earlier split (shard-NNN.jsonl): no split")
    ap.add_argument("--report", type=Path, default=None,
                    help="only sum the shards' figures in this --out file of an earlier run")
    args = ap.parse_args()
    if args.report is not None:
        lines = args.report.read_text().splitlines()
        # one figure a shard (two runs may have shared a split's shards)
        figures = {f["shard"]: f for f in map(json.loads, lines)}
        report(list(figures.values()), args.shards, args.as_of)
        return
    path = Path(args.file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "services.cli", "simulate", "--scale", "national",
               "--out", str(path), "--quiet"]
        if args.clients:
            cmd += ["--clients", str(args.clients)]
        subprocess.run(cmd, check=True, cwd=ROOT)
    keep = (set(range(args.shards)) if args.only is None
            else {int(x) for x in args.only.split(",")})
    if args.shard_dir is not None:
        folder = args.shard_dir
        paths = [folder / f"shard-{i:03d}.jsonl" for i in range(args.shards)]
        keep = {i for i in keep if paths[i].exists()}
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench-daily-", dir=path.parent))
    out = args.out or folder / "shards.jsonl"
    print(f"file {path}; {args.shards} shards, running {len(keep)}, {args.jobs} at a time; "
          f"core: {compiled.which()}; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    if args.shard_dir is None:
        c, w = time.process_time(), time.perf_counter()
        paths = split(path, args.shards, keep, folder)
        print(f"split in {time.perf_counter() - w:,.0f} s ({time.process_time() - c:,.0f} s of "
              f"CPU) into {folder}", flush=True)

    done: list[dict[str, Any]] = []
    order = [int(x) for x in args.only.split(",")] if args.only else sorted(keep)
    jobs = [(i, str(paths[i]), args.as_of, args.check) for i in order if i in keep]
    with multiprocessing.get_context("fork").Pool(args.jobs, maxtasksperchild=1) as pool:
        for fig in pool.imap_unordered(shard_move, jobs):
            done.append(fig)
            with out.open("a") as f:
                f.write(json.dumps(fig) + "\n")
            paths[fig["shard"]].unlink(missing_ok=True)
            print(f"shard {fig['shard']}: {fig['clients']:,} clients, {fig['events']:,} events "
                  f"(loaded in {fig['load_cpu']:,.0f} s); every client as of A "
                  f"{fig['full_cpu']:,.1f} s, breakpoints {fig['horizon_cpu']:,.1f} s; move: "
                  f"{fig['due']:,} due, {fig['move_cpu']:,.2f} s + aging "
                  f"{fig['aging_cpu']:,.2f} s; checked {fig['checked']} not due: "
                  f"{fig['wrong']} wrong; peak RSS {fig['peak_rss'] / 2**30:,.2f} GiB",
                  flush=True)
    report(done, args.shards, args.as_of)


def report(done: list[dict[str, Any]], shards: int, day: date) -> None:
    def total(name: str) -> float:
        return float(sum(f[name] for f in done))

    clients, due = total("clients"), total("due")
    move = total("move_cpu") + total("aging_cpu")
    full = total("full_cpu")
    print(f"sum over {len(done)} of {shards} shards: {int(clients):,} clients, "
          f"{int(total('events')):,} events; as of {day - timedelta(days=1)} every client "
          f"evaluated in {full:,.1f} s of CPU (the baseline), breakpoints found in "
          f"{total('horizon_cpu'):,.1f} s")
    print(f"move to {day}: {int(due):,} of {int(clients):,} clients due "
          f"({100 * due / max(1, clients):.1f} %), evaluated with their next breakpoint in "
          f"{total('move_cpu'):,.1f} s of CPU; open gaps aged in {total('aging_cpu'):,.1f} s; "
          f"{int(total('wrong'))} wrong of {int(total('checked')):,} not-due clients checked")
    whole = len(done) == shards
    verdict = ("MET" if move < TARGET_CPU_SECONDS else "NOT MET") if whole else \
        f"only {len(done)} of {shards} shards: not claimed"
    print(f"ratio full/move: {full / max(move, 1e-9):,.1f}; move {move:,.1f} s of CPU vs target "
          f"{TARGET_CPU_SECONDS} s -> {verdict}; largest shard's peak RSS "
          f"{max(f['peak_rss'] for f in done) / 2**30:,.2f} GiB")


if __name__ == "__main__":
    main()
