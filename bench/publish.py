"""`jatkumo publish` speed on a real broker (issue 14: >= 100k events/s), with baselines
measured in the same run on the same lines:

  door only   publish's own door loop (services.publish.door_lines: the fast path
              streams.core.plain, the fast path for lines sent by identity code, the whole
              door for the rest) and every message built, nothing sent: publish can not be
              faster than this; its ratio is the share of the door's speed publish keeps.
  whole door  schemas.door.admit (pydantic) and the message on every line, as publish judged
              before issue 14 (--no-whole-door leaves it out).
  old publish the same lines sent with kafka-python's KafkaProducer.send (acks=all,
              idempotent, linger 20 ms, 512 KiB batches: publish before issue 14), on the
              first --old-lines lines (it is slow; 0 leaves it out).
  publish     services.publish.publish of the whole file (services.kafka_batches: our own
              record batches, idempotent, acks=all), timed to the last acknowledgement; once
              per --processes (N processes, each the clients of its share of the partitions;
              the broker runs on the same cores). Each run prints the CPU seconds of publish
              (its processes') and of the broker per event: on a loaded machine the wall
              clock is mostly others' time, and the CPU says where ours went.

The broker is warmed up first (a JVM compiles its produce path in the first seconds: the first
publish on a cold broker cost it ~3 times the CPU a later one did), as a running cluster is.
Then every record is counted on jatkumo.events (end offsets) against the events published.
The events are the simulated region (`jatkumo simulate --seed 1`, noise included: identity
codes, dead letters) unless --file is given. Starts its own broker on free loopback ports
(needs the jars: bash deploy/setup.d/kafka.sh). Prints the machine's load average, as the
figures of a shared machine move with it.

    .venv/bin/python bench/publish.py [--file PATH] [--old-lines 100000] [--processes 1,2]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench/kafka.py beside this file would shadow kafka-python
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from schemas.door import DeadLetter, admit  # noqa: E402
from services import kafka_broker as kb  # noqa: E402
from services.config import KafkaSettings, Settings  # noqa: E402
from services.kafka_batches import BatchProducer  # noqa: E402
from services.partition import numbered  # noqa: E402
from services.publish import (  # noqa: E402
    dead_letter_message,
    door_lines,
    event_message,
    publish,
)
from streams import topics  # noqa: E402
from tests.helpers import cpu_seconds  # noqa: E402
from tests.integration.kafka.conftest import _free_pair  # noqa: E402

TARGET = 100_000  # events/s
KEY = b"bench-key-synthetic-data-only"


def _drop(*_: object) -> None:
    """A sink that sends nothing."""


def door_only(path: Path) -> tuple[int, float]:
    """(events, wall seconds) of publish's own door (services.publish.door_lines: the fast
    path, the whole door for the rest, every message built) with sinks that send nothing."""
    began, cpu = time.perf_counter(), time.process_time()
    report = door_lines(numbered(path), str(path), KEY, _drop, _drop)
    wall = time.perf_counter() - began
    print(f"door only: {report.events:,} events in {wall:,.1f} s ({time.process_time() - cpu:,.1f}"
          f" s of CPU) = {report.events / wall:,.0f} events/s")
    return report.events, wall


def warm_up(path: Path, bootstrap: str, events: int = 200_000) -> None:
    """The broker's produce path compiled by its JIT: the file's first events sent to a topic
    of their own, as publish sends them."""
    prod = BatchProducer(bootstrap, "bench-warm-up")
    try:
        lines = islice(numbered(path), events)
        door_lines(lines, str(path), KEY, partial(prod.extend, "bench-warm-up"), _drop)
        prod.flush()
    finally:
        prod.close()


def full_door_only(path: Path) -> tuple[int, float]:
    """(events, wall seconds) of the whole door (pydantic) on every line, as publish judged
    before it took the fast path: for comparison only."""
    began, events = time.perf_counter(), 0
    origin = str(path)
    for n, line in numbered(path):
        if not line or line.isspace():
            continue
        event = admit(line, f"{origin}:{n}", KEY)
        if isinstance(event, DeadLetter):
            dead_letter_message(event)
        else:
            event_message(event, line)
            events += 1
    wall = time.perf_counter() - began
    print(f"whole door (pydantic) on every line: {events:,} events in {wall:,.1f} s = "
          f"{events / wall:,.0f} events/s")
    return events, wall


def old_publish(path: Path, bootstrap: str, limit: int) -> tuple[int, float]:
    """publish as it was before issue 14: KafkaProducer.send per line, on the first lines."""
    from kafka import KafkaProducer

    prod: Any = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                              linger_ms=20, batch_size=512 * 1024, client_id="bench-old")
    prod.send("bench-warm-up", b"x").get(30)
    began, events = time.perf_counter(), 0
    for n, line in numbered(path):
        if n > limit:
            break
        if not line or line.isspace():
            continue
        event = admit(line, f"{path}:{n}", KEY)
        if isinstance(event, DeadLetter):
            value, headers = dead_letter_message(event)
            prod.send("bench-old-dead", value=value, headers=headers)
        else:
            key, value = event_message(event, line)
            prod.send("bench-old-events", key=key, value=value)
            events += 1
    prod.flush()
    wall = time.perf_counter() - began
    prod.close()
    return events, wall


def _pid_cpu(pid: int | None) -> float:
    """CPU seconds a running process (the broker) has used so far (0 if unknown)."""
    return 0.0 if pid is None else cpu_seconds(pid)


def on_topic(bootstrap: str, topic: str) -> int:
    from kafka import KafkaConsumer, TopicPartition

    cons: Any = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        tps = [TopicPartition(topic, p) for p in cons.partitions_for_topic(topic)]
        return int(sum(cons.end_offsets(tps).values()))
    finally:
        cons.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", type=Path, default=None)
    ap.add_argument("--old-lines", type=int, default=100_000)
    ap.add_argument("--processes", default="1,2",
                    help="publish once with each of these numbers of processes")
    ap.add_argument("--whole-door", action=argparse.BooleanOptionalAction, default=True,
                    help="time the whole door (pydantic) on every line too, for comparison")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    path = args.file
    if path is None:
        path = work / "region.jsonl"
        subprocess.run([sys.executable, "-m", "services.cli", "simulate", "--seed", "1",
                        "--quiet", "--out", str(path)], cwd=ROOT, check=True)
    print(f"file: {path}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    nodes = kb.layout(1, work / "kafka", _free_pair())
    bootstrap = kb.up(nodes)
    try:
        kafka = KafkaSettings(bootstrap=bootstrap)
        kb.ensure_topics(bootstrap, kafka.partitions, kafka.replication)
        warm_up(path, bootstrap)
        n, wall = door_only(path)
        door = n / wall
        if args.whole_door:
            n_whole, wall_whole = full_door_only(path)
            print(f"  publish's door is x{door / (n_whole / wall_whole):.1f} the whole door's")
        if args.old_lines:
            n_old, wall_old = old_publish(path, bootstrap, args.old_lines)
            old = n_old / wall_old
            print(f"old publish (KafkaProducer.send), first {args.old_lines:,} lines: "
                  f"{n_old:,} events in {wall_old:,.1f} s = {old:,.0f} events/s, "
                  f"{old / door:.2f} of the door's")
        settings = Settings(pseudonym_key=KEY)
        sent = (0, 0)
        broker = kb.running_pid(nodes[0])
        for processes in (int(x) for x in args.processes.split(",")):
            brk, began = _pid_cpu(broker), time.perf_counter()
            report = publish(path, settings, kafka, processes=processes)
            wall = time.perf_counter() - began
            cpu, brk = report.cpu_seconds, _pid_cpu(broker) - brk
            rate = report.events / wall
            print(f"publish, {processes} process(es): {report.events:,} events and "
                  f"{report.dead_letters:,} dead letters in {wall:,.1f} s = {rate:,.0f} events/s")
            print(f"  CPU from the first line to the last ack: publish {cpu:,.1f} s "
                  f"({cpu / report.events * 1e6:.1f} µs an event: "
                  f"{report.events / cpu:,.0f} events per CPU second), the broker "
                  f"{brk:,.1f} s ({brk / report.events * 1e6:.1f} µs an event); wall / CPU "
                  f"{wall * processes / cpu:.1f} (1.0: never waited for a core or the broker)")
            print(f"  ratio to the door only: {rate / door:.2f}; to the target {TARGET:,}/s: "
                  f"{rate / TARGET:.2f} -> {'MET' if rate >= TARGET else 'NOT MET'} here"
                  + (f"; x{rate / old:.1f} the old publish" if args.old_lines else ""))
            sent = (sent[0] + report.events, sent[1] + report.dead_letters)
        got = on_topic(bootstrap, topics.EVENTS)
        dead = on_topic(bootstrap, topics.DEAD_LETTERS)
        same = (got, dead) == sent
        print(f"  on the topics: {got:,} events, {dead:,} dead letters "
              f"({'all there' if same else 'MISMATCH'}, every run's)")
    finally:
        kb.down(nodes)
    print(f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
