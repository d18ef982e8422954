"""National replay: wall time and peak RSS of `jatkumo replay` on the national file.

Generates the national file (`jatkumo simulate --scale national`, ≈ 250,000 young people over
ten years) unless one exists at --file, then runs `jatkumo replay` on it as a child process and
reads the child's peak RSS from resource.getrusage(RUSAGE_CHILDREN). Target (issue 14): < 3 min
and < 2 GiB on this machine. Prints the figures and their ratio to the targets, the load
average at the start, and the CPU seconds of replay and its worker processes: the wall clock
of a shared machine moves with others' load, the CPU much less.

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


def run(cmd: list[str]) -> tuple[float, int, float]:
    """(wall seconds, peak RSS bytes of the child, CPU seconds of it and its descendants) of
    one command. The descendants' CPU is read from /proc every POLL seconds: replay's worker
    processes are children of its fork server, which no rusage of ours sees."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    began = time.perf_counter()
    cpu: dict[int, float] = {}
    with subprocess.Popen(cmd, cwd=ROOT) as child:
        while child.poll() is None:
            _tree_cpu(child.pid, cpu)
            time.sleep(POLL)
        if child.returncode:
            raise SystemExit(f"{cmd[3]} failed with exit code {child.returncode}")
    wall = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far; a larger one is this one's
    return wall, max(peak_kib, before) * 1024, sum(cpu.values())


POLL = 0.5  # the CPU of a process's last half second before it ends is not counted
_TICKS = os.sysconf("SC_CLK_TCK")


def _tree_cpu(root: int, cpu: dict[int, float]) -> None:
    """cpu[pid] = user + system seconds so far, for `root` and every process under it."""
    parent, used = {}, {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:  # ended meanwhile
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            parent[int(name)] = int(fields[1])
            used[int(name)] = (int(fields[11]) + int(fields[12])) / _TICKS
    mine, grew = {root}, True
    while grew:
        more = {pid for pid, up in parent.items() if up in mine} - mine
        grew = bool(more)
        mine |= more
    for pid in mine & used.keys():
        cpu[pid] = used[pid]


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
        wall, rss, _ = run(cmd)
        print(f"simulate: {wall:,.0f} s, peak RSS {rss / 2**20:,.0f} MiB")
    with path.open("rb") as f:
        lines = sum(1 for _ in f)
    size = path.stat().st_size
    print(f"file: {path} — {size / 2**30:,.2f} GiB, {lines:,} lines")
    env_key = os.environ.get("JATKUMO_PSEUDONYM_KEY")
    if not env_key:
        os.environ["JATKUMO_PSEUDONYM_KEY"] = "bench-key-synthetic-data-only"
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    wall, rss, cpu = run([*jatkumo, "replay", str(path), "--db", str(db),
                          "--as-of", "2024-12-31", "--quiet"])
    print(f"replay: {wall:,.0f} s ({lines / wall:,.0f} lines/s), peak RSS "
          f"{rss / 2**30:,.2f} GiB (largest child process)")
    # On a shared machine the wall clock moves with others' load; the CPU says where ours went.
    print(f"CPU: {cpu:,.0f} s of replay and its worker processes ({cpu / wall:.2f} cores; "
          f"{cpu / lines * 1e6:.1f} µs a line)")
    print(f"vs target: time {wall / TARGET_SECONDS:.2f} of 3 min, "
          f"memory {rss / TARGET_BYTES:.2f} of 2 GiB "
          f"-> {'MET' if wall < TARGET_SECONDS and rss < TARGET_BYTES else 'NOT MET'}")


if __name__ == "__main__":
    main()
