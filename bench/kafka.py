"""End-to-end figures of the live pipeline on a real broker (not a test; prints figures).

1. Throughput: N events published to jatkumo.events (the door's cost is publish's, not
   counted), then (a) a raw aiokafka consumer drains the topic (the baseline), and (b) one
   worker and the sink, running together as `jatkumo run` does, turn them into relations:
   timed from the worker's consumer group being ready (joined and synced, as the baseline
   is timed from a started consumer) until the sink has written every row. Prints events/s
   of both and the ratio (target >= 0.1), and the same with the worker's start-up (process
   start, imports, topics, joining the group: a second or two, once) counted in. The events
   are the simulated region (`jatkumo simulate`, mostly attendance, as in life) in one of
   three orders:
     time      by occurred_at, as a live feed arrives (default)
     client    client by client, as a system's history export (a backfill)
     shuffled  random: every event of a batch for another client, the worst case for
               batching (each event costs a whole evaluation of its client)
2. Latency: events for new clients at a steady rate (default 1,000/s) into a running worker;
   each opens a HANDOFF_MISSING gap; measured from send to the client's rows holding the gap
   on jatkumo.client-results (the sink writes them within its 0.2 s batch window).

    .venv/bin/python bench/kafka.py [--events 200000] [--order time|client|shuffled]
                                    [--rate 1000] [--seconds 20] [--profile FILE]
(--events 0 or --seconds 0 leaves that part out.)
Needs the jars (bash deploy/setup.d/kafka.sh); starts its own broker on free ports.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# this file is called kafka.py: its own folder on sys.path would shadow kafka-python
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from tests.integration.kafka.conftest import _free_pair  # noqa: E402
from tests.integration.kafka.pipeline import (  # noqa: E402
    WorkerLag,
    settings,
    start_worker,
)


async def drain(bootstrap: str, total: int) -> float:
    from aiokafka import AIOKafkaConsumer

    cons = AIOKafkaConsumer("jatkumo.events", bootstrap_servers=bootstrap,
                            auto_offset_reset="earliest", enable_auto_commit=False)
    await cons.start()
    started, seen = time.monotonic(), 0
    try:
        while seen < total:
            batches = await cons.getmany(timeout_ms=500, max_records=10_000)
            seen += sum(len(v) for v in batches.values())
    finally:
        await cons.stop()
    return seen / (time.monotonic() - started)


def simulated(path: Path, n: int, order: str) -> int:
    """The first n events of the simulated region, in the given order."""
    import random
    import subprocess

    full = path.with_suffix(".all.jsonl")
    subprocess.run([sys.executable, "-m", "services.cli", "simulate", "--seed", "1",
                    "--no-noise", "--quiet", "--out", str(full)], cwd=ROOT, check=True)
    lines = full.read_bytes().splitlines()
    if order == "time":
        lines.sort(key=lambda line: line[line.find(b'"occurred_at"'):][:40])
    elif order == "shuffled":
        random.Random(5).shuffle(lines)
    lines = lines[:n]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return len(lines)


def profiled_worker(bootstrap: str, folder: Path, out: Path) -> Any:
    """The worker under cProfile (its statistics written to `out` when it stops)."""
    import subprocess

    from tests.integration.kafka.pipeline import env

    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "cProfile", "-o", str(out), "-m",
                             "services.cli", "worker"], cwd=ROOT,
                            env=env(bootstrap, "2024-12-31", JATKUMO_WORKER_DIR=str(folder)))


def throughput(bootstrap: str, work: Path, n: int, order: str,
               profile: Path | None = None) -> None:
    from services.publish import publish
    from services.sink import run_sink

    events = work / "events.jsonl"
    count = simulated(events, n, order)
    s, k = settings(bootstrap, "2024-12-31")
    publish(events, s, k)  # type: ignore[arg-type]
    baseline = asyncio.run(drain(bootstrap, count))
    workers_done = threading.Event()
    sink = threading.Thread(target=run_sink, args=(work / "t.duckdb", s, k), kwargs={
        "until_caught_up": workers_done.is_set})
    started = time.monotonic()
    worker = start_worker(bootstrap, "2024-12-31", work / "w") if profile is None else \
        profiled_worker(bootstrap, work / "w", profile)
    sink.start()
    lag = WorkerLag(bootstrap)
    while not lag.group_stable():  # imports, topics, the group joined and synced
        time.sleep(0.05)
    ready = time.monotonic()
    while lag() != 0:
        time.sleep(0.1)
    worker_done = time.monotonic()
    lag.close()
    workers_done.set()
    sink.join()
    ended = time.monotonic()
    worker.terminate()
    worker.wait()
    ours, cold = count / (ended - ready), count / (ended - started)
    print(f"throughput, {count:,} simulated events in {order} order: raw aiokafka drain "
          f"{baseline:,.0f} events/s; worker + sink {ours:,.0f} events/s from the worker's "
          f"group being ready to the last row written (worker done after "
          f"{worker_done - ready:.1f} s, sink {ended - worker_done:.1f} s later); "
          f"ratio {ours / baseline:.3f}")
    print(f"  with the worker's start-up ({ready - started:.1f} s from process start to its "
          f"group ready) counted too: {cold:,.0f} events/s, ratio {cold / baseline:.3f}")


def signed(client: str, n: int) -> dict[str, object]:
    """A KTT contract with a municipal organiser from before the cutover and no transfer: as of
    2023-03-31 it has a HANDOFF_MISSING gap."""
    return {"event_id": str(uuid.UUID(int=n + 1)), "event_type": "contract.signed",
            "schema_version": 1, "occurred_at": "2022-09-01T09:00:00+03:00",
            "source": "bench", "client_id": client, "payload": {
                "contract_id": f"k{n}", "service": "KTT", "organizer": "municipality:564",
                "producer": {"id": "p", "kind": "municipal", "municipality": "564"},
                "start_date": "2022-09-01"}}


def watch(bootstrap: str, ready: Any, warm: Any, stop: Any, count: Any, out: Any) -> None:
    """In a process of its own (in a thread it shared the GIL with the sender and came late):
    the monotonic time at which each client's rows first hold a gap."""
    import orjson
    from kafka import KafkaConsumer, TopicPartition

    cons = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    # every partition's position fixed at its end now: a position resolved lazily at the
    # first fetch would skip what was written before it, and those clients never be "seen"
    tps = [TopicPartition("jatkumo.client-results", p)
           for p in sorted(cons.partitions_for_topic("jatkumo.client-results") or ())]
    cons.assign(tps)
    cons.seek_to_end(*tps)
    for tp in tps:
        cons.position(tp)
    ready.set()
    seen: dict[str, float] = {}
    while not stop.is_set():
        for records in cons.poll(timeout_ms=100).values():
            now = time.monotonic()
            for r in records:
                doc = orjson.loads(r.value)
                client = doc["client_id"]
                # only the benchmark's clients: the worker also publishes every client it
                # recovered, and counting those ended the wait before the last were seen
                if client.startswith(("lat", "warm")) and doc["rows"]["gap_rows"] \
                        and client not in seen:
                    seen[client] = now
                    count.value += 1
                    if client == "warm":
                        warm.set()
    cons.close()
    out.put(seen)


def latency(bootstrap: str, work: Path, rate: int, seconds: int) -> None:
    """Publish -> the client's rows with the gap on jatkumo.client-results (what the sink
    writes in its next transaction, at most its 0.2 s batch window later)."""
    import multiprocessing

    import orjson
    from kafka import KafkaProducer

    mp = multiprocessing.get_context("fork")
    ready, warm, stop, count, out = mp.Event(), mp.Event(), mp.Event(), mp.Value("i", 0), \
        mp.Queue()
    watcher = mp.Process(target=watch, args=(bootstrap, ready, warm, stop, count, out))
    watcher.start()
    ready.wait(60)
    worker = start_worker(bootstrap, "2023-03-31", work / "wl")
    prod = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    # warm up: the worker joins its group and takes a first client
    prod.send("jatkumo.events", key=b"warm", value=orjson.dumps(signed("warm", 10**9)))
    warm.wait(120)
    sent: dict[str, float] = {}
    begin = time.monotonic()
    for i in range(rate * seconds):
        due = begin + i / rate
        while time.monotonic() < due:
            time.sleep(0.0002)
        client = f"lat{i}"
        prod.send("jatkumo.events", key=client.encode(), value=orjson.dumps(signed(client, i)))
        sent[client] = time.monotonic()
    prod.flush()
    deadline = time.monotonic() + 30
    while count.value < len(sent) + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    seen: dict[str, float] = out.get(timeout=60)
    watcher.join()
    worker.terminate()
    worker.wait()
    lat = sorted(seen[c] - t for c, t in sent.items() if c in seen)
    missing = len(sent) - len(lat)
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[int(len(lat) * 0.99) - 1] if lat else float("nan")
    print(f"latency at {rate:,} events/s for {seconds} s: publish -> gap row p50 {p50 * 1000:.0f}"
          f" ms, p99 {p99 * 1000:.0f} ms ({missing} not seen within 30 s)")


def main() -> None:
    from services import kafka_broker as kb

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--order", choices=("time", "client", "shuffled"), default="time")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--profile", type=Path, metavar="FILE",
                    help="run the throughput's worker under cProfile, its statistics to FILE")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        nodes = kb.layout(1, work / "kafka", _free_pair())
        bootstrap = kb.up(nodes)
        try:
            kb.ensure_topics(bootstrap, 6)
            if args.events:
                throughput(bootstrap, work, args.events, args.order, args.profile)
            if args.seconds:
                latency(bootstrap, work, args.rate, args.seconds)
        finally:
            kb.down(nodes)


if __name__ == "__main__":
    main()
