"""National replay: wall time and peak RSS of `jatkumo replay` on the national file.

Generates the national file (`jatkumo simulate --scale national`, ≈ 250,000 young people over
ten years) unless one exists at --file, then runs `jatkumo replay` on it as a child process and
reads the child's peak RSS from resource.getrusage(RUSAGE_CHILDREN). Target (issue 14): < 3 min
and < 2 GiB on this machine. Prints the figures and their ratio to the targets.

    .venv/bin/python bench/national.py [--file PATH] [--clients N] [--db PATH]
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 180
TARGET_BYTES = 2 * 2**30


def run(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes of the child) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    began = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    wall = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far; a larger one is this one's
    return wall, max(peak_kib, before) * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", default="/tmp/jatkumo-national/national.jsonl")
    ap.add_argument("--db", default=None, help="DuckDB file (default: beside --file)")
    ap.add_argument("--clients", type=int, default=None, help="default 250,000")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    path = Path(args.file)
    db = Path(args.db) if args.db else path.with_suffix(".duckdb")
    jatkumo = [sys.executable, "-m", "services.cli"]
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [*jatkumo, "simulate", "--scale", "national", "--seed", str(args.seed),
               "--out", str(path), "--quiet"]
        if args.clients:
            cmd += ["--clients", str(args.clients)]
        wall, rss = run(cmd)
        print(f"simulate: {wall:,.0f} s, peak RSS {rss / 2**20:,.0f} MiB")
    with path.open("rb") as f:
        lines = sum(1 for _ in f)
    size = path.stat().st_size
    print(f"file: {path} — {size / 2**30:,.2f} GiB, {lines:,} lines")
    env_key = os.environ.get("JATKUMO_PSEUDONYM_KEY")
    if not env_key:
        os.environ["JATKUMO_PSEUDONYM_KEY"] = "bench-key-synthetic-data-only"
    wall, rss = run([*jatkumo, "replay", str(path), "--db", str(db),
                     "--as-of", "2024-12-31", "--quiet"])
    print(f"replay: {wall:,.0f} s ({lines / wall:,.0f} lines/s), peak RSS "
          f"{rss / 2**30:,.2f} GiB (largest child process)")
    print(f"vs target: time {wall / TARGET_SECONDS:.2f} of 3 min, "
          f"memory {rss / TARGET_BYTES:.2f} of 2 GiB "
          f"-> {'MET' if wall < TARGET_SECONDS and rss < TARGET_BYTES else 'NOT MET'}")


if __name__ == "__main__":
    main()
