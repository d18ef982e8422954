"""jatkumo kafka up|down|status [--nodes 1|3]: the local Apache Kafka broker(s) of deploy/kafka."""

import argparse
from pathlib import Path
from typing import Any

from services import kafka_broker as kb
from services.commands.common import tcp_port


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "kafka", help="start, stop or check the local Kafka broker(s)",
        description="Run Apache Kafka (KRaft, from deploy/kafka/lib) on loopback ports: one "
        "combined node on 9092, or a three-node cluster on 19092, 29092 and 39092. 'up' formats "
        "storage once, starts the brokers in the background and waits until they answer; "
        "'down' stops them with SIGTERM. Data stays in the run folder between runs.")
    p.add_argument("action", choices=("up", "down", "status"))
    p.add_argument("--nodes", type=int, choices=(1, 3), default=1)
    p.add_argument("--port", type=tcp_port, metavar="PORT",
                   help="client port of node 1 (its controller uses PORT+1; node i PORT+2(i-1))")
    p.add_argument("--run-dir", type=Path, default=kb.DEFAULT_RUN, metavar="DIR",
                   help="where configs, data, logs and pid files live (default deploy/kafka/run)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    nodes = kb.layout(args.nodes, args.run_dir, args.port)
    if args.action == "up":
        print(f"kafka up: {kb.up(nodes)}  (use --bootstrap {kb.bootstrap_of(nodes)})")
    elif args.action == "down":
        kb.down(nodes)
        print("kafka down: stopped")
    else:
        stopped = 0
        for node in nodes:
            pid = kb.running_pid(node)
            stopped += pid is None
            state = f"running (pid {pid})" if pid else "stopped"
            print(f"node {node.node_id} 127.0.0.1:{node.port}: {state}")
        return 1 if stopped else 0
    return 0
