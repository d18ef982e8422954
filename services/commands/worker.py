"""jatkumo worker: run one stream worker (faust) against Kafka."""

import argparse
from typing import Any

from services import config
from services.commands.common import add_bootstrap, kafka_settings, tcp_port_or_off
from services.worker import run_worker


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "worker", help="run a stream worker on Kafka",
        description="Consume jatkumo.events, keep each client's state in a table (recovered "
        "from its changelog topic after a restart), and publish each client's evaluated rows, "
        "gap lifecycle and handoff changes. Start more workers to share the partitions, on "
        "one machine or many, with default settings. "
        "As-of: JATKUMO_AS_OF = latest (default; the latest effective date seen), today "
        "(live), or a date YYYY-MM-DD.")
    add_bootstrap(p)
    p.add_argument("--as-of", metavar="latest|today|YYYY-MM-DD",
                   help="overrides JATKUMO_AS_OF")
    p.add_argument("--web-port", type=tcp_port_or_off, metavar="PORT",
                   help="faust's web server on 127.0.0.1 (default 0: off; also "
                   "JATKUMO_WORKER_WEB_PORT)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="faust's data folder (default: a temporary folder of the worker's "
                   "own, removed at exit; also JATKUMO_WORKER_DIR)")
    p.add_argument("--handoffs", metavar="FILE.toml",
                   help="the handoffs (SPEC.md 4.1; default JATKUMO_HANDOFFS or the 2023 one): "
                   "give every worker the same file")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    settings = config.load(handoffs=args.handoffs)
    run_worker(settings, kafka_settings(args))
    return 0
