"""jatkumo run --db FILE [--bootstrap …]: a worker and the sink on one machine, as two child
processes (DuckDB wants one writer process; faust wants its own event loop)."""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from services import config
from services.commands.common import add_bootstrap
from services.commands.sink import add_serve, stop_flag


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "run", help="run a stream worker and the sink together (one machine)",
        description="Start 'jatkumo worker' and 'jatkumo sink' as child processes with the "
        "same settings and stop both on Ctrl-C or SIGTERM. For several machines run workers "
        "on each and one sink where the DuckDB file lives.")
    p.add_argument("--db", required=True, type=Path, metavar="FILE.duckdb")
    add_bootstrap(p)
    p.add_argument("--as-of", metavar="latest|today|YYYY-MM-DD", help="the worker's as-of")
    p.add_argument("--handoffs", metavar="FILE.toml", help="the worker's handoffs (SPEC.md 4.1)")
    add_serve(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    common = ["--bootstrap", args.bootstrap] if args.bootstrap else []
    worker = [sys.executable, "-m", "services.cli", "worker", *common]
    if args.as_of:
        worker += ["--as-of", args.as_of]
    if config.handoffs_flag(args.handoffs) is not None:
        config.read_handoffs(args.handoffs)  # a bad file is a usage error here, not in a child
        worker += ["--handoffs", args.handoffs]
    sink = [sys.executable, "-m", "services.cli", "sink", "--db", str(args.db), *common]
    if args.serve:  # the dashboard lives in the sink: the one process that may open the file
        sink += ["--serve", "--port", str(args.port), "--host", args.host]
    env = None
    if args.handoffs:  # the flag wins in both children: the sink's pages label the handoffs
        env = {**os.environ, "JATKUMO_HANDOFFS": args.handoffs}
    flag = stop_flag()
    children = [subprocess.Popen(worker, env=env), subprocess.Popen(sink, env=env)]
    try:
        while not flag[0] and all(c.poll() is None for c in children):
            time.sleep(0.5)  # waiting on a signal or a child's exit, not on Kafka
    finally:
        for c in children:
            if c.poll() is None:
                c.send_signal(signal.SIGTERM)
        for c in children:
            try:
                c.wait(timeout=30)
            except subprocess.TimeoutExpired:
                c.kill()
    failed = [c.returncode for c in children if c.returncode not in (0, -signal.SIGTERM)]
    return 1 if failed and not flag[0] else 0
