"""End-to-end figures of the live pipeline on real brokers (not a test; prints figures), in
one run, each part on a broker of its own (started on free ports, stopped after).

1. Throughput, once per order (default: time, then shuffled): N events published to
   jatkumo.events (the door's cost is publish's, not counted), then (a) a raw aiokafka
   consumer drains the topic (the baseline), and (b) one worker and the sink, running
   together as `jatkumo run` does, turn them into relations: timed from the worker's
   consumer group being ready (joined and synced, as the baseline is timed from a started
   consumer) until the sink has written every row. Prints events/s of both and the ratio
   (targets: >= 0.3 in time order, >= 0.2 shuffled), and the worker's start-up apart
   (process start, imports, topics, joining the group), and the CPU an event cost the
   broker, the worker and the sink against the drain's (what two shared cores allow), and
   the same events replayed by one process without Kafka (as `jatkumo replay` does a file
   this size: the door, the states, the evaluation and the DuckDB file, no broker), as a
   second yardstick: what the engine's core alone does against the drain. The events are
   the simulated region (`jatkumo simulate`, mostly attendance, as in life) in one of three
   orders:
     time      by occurred_at, as a live feed arrives
     client    client by client, as a system's history export (a backfill)
     shuffled  random: every event of a batch for another client, the worst case for
               batching (each event costs a whole evaluation of its client)
2. Latency: events for new clients at a steady rate (default 1,000/s) into a running worker
   and sink, in --runs windows (default 5) of --seconds each; each event opens a
   HANDOFF_MISSING gap; measured from send to the gap row being visible in the sink's DuckDB
   file (the sink process looks after each transaction it commits). Prints p50 and p99 of
   each run and the spread of p99 over the runs (min / median / max; target p99 < 300 ms).
   The runs come after a warm-up window at the same rate (--warmup seconds, reported apart):
   the broker is a fresh JVM whose first seconds under load go to compiling its hot paths.
   Each window also prints the share of a core the broker, the worker, the sink and the
   generator (this process) used: on two cores they wait for one another.

The load average is printed at the start of each part: the machine is shared.

    .venv/bin/python bench/kafka.py [--events 100000] [--orders time,shuffled]
                                    [--rate 1000] [--seconds 10] [--runs 5] [--warmup 10]
                                    [--profile FILE]
(--events 0 or --seconds 0 leaves that part out.)
Needs the jars (bash deploy/setup.d/kafka.sh).
"""

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# this file is called kafka.py: its own folder on sys.path would shadow kafka-python
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from services.config import KafkaSettings  # noqa: E402
from tests.helpers import cpu_seconds  # noqa: E402
from tests.integration.kafka.conftest import _free_pair  # noqa: E402
from tests.integration.kafka.pipeline import (  # noqa: E402
    WorkerLag,
    env,
    settings,
    start_worker,
)

AS_OF = "2024-12-31"  # the worker's as-of date, and the replay's beside it


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
    import subprocess

    full = path.parent.parent / "simulated.all.jsonl"  # made once, for every order
    if not full.exists():
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


def worker_for(bootstrap: str, as_of: str, folder: Path, profile: Path | None) -> Any:
    """The worker, or with `profile` the worker under cProfile (its statistics written
    there when it stops)."""
    import subprocess

    if profile is None:
        return start_worker(bootstrap, as_of, folder)
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "cProfile", "-o", str(profile), "-m",
                             "services.cli", "worker"], cwd=ROOT,
                            env=env(bootstrap, as_of, JATKUMO_WORKER_DIR=str(folder)))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return (f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min, "
            f"{os.cpu_count()} cores)")


@contextlib.contextmanager
def broker(work: Path, name: str) -> Iterator[tuple[str, int]]:
    """A single-node broker of its own for one part, with the jatkumo topics: its bootstrap
    address and process id."""
    from services import kafka_broker as kb

    nodes = kb.layout(1, work / name, _free_pair())
    bootstrap = kb.up(nodes)
    try:
        kb.ensure_topics(bootstrap, KafkaSettings().partitions)  # the default deployment's
        yield bootstrap, int(nodes[0].pid_file.read_text())
    finally:
        kb.down(nodes)


class CpuShares:
    """The share of one core each process used between two readings: on a machine whose
    cores the broker, the worker, the sink and the event generator share, what each takes is
    what the others wait for."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start()

    def start(self) -> None:
        self.began = time.monotonic()
        self.used = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def _spent(self, ended: dict[str, float] | None = None) -> dict[str, float]:
        ended = ended or {}
        return {name: (ended[name] if name in ended else cpu_seconds(pid)) - self.used[name]
                for name, pid in self.pids.items()}

    def per_event(self, events: int, ended: dict[str, float] | None = None) -> str:
        """CPU time an event cost each process since the start, in µs. `ended`: the CPU
        seconds of processes that have exited, as they said before they did."""
        return ", ".join(f"{name} {spent / events * 1e6:.1f} µs"
                         for name, spent in self._spent(ended).items())

    def shares(self) -> str:
        wall = time.monotonic() - self.began
        return ", ".join(f"{name} {spent / wall:.0%}" for name, spent in self._spent().items())


def throughput(bootstrap: str, broker_pid: int, work: Path, n: int, order: str,
               profile: Path | None = None) -> dict[str, float]:
    from services.publish import publish

    print(f"throughput, {order} order: {load()}", flush=True)
    events = work / "events.jsonl"
    count = simulated(events, n, order)
    s, k = settings(bootstrap, AS_OF)
    publish(events, s, k)  # type: ignore[arg-type]
    drained = CpuShares({"broker": broker_pid, "drain": os.getpid()})
    baseline = asyncio.run(drain(bootstrap, count))
    drain_cpu = drained.per_event(count)
    # The sink in a process of its own, as `jatkumo run` starts it. It was a thread of this
    # process, beside the lag polls below (kafka-python's admin client every 0.1 s): their
    # CPU was counted as the sink's, and they took its GIL (py-spy found the polling thread
    # in a fifth of the process's samples, waits for the GIL included). Their own CPU is
    # printed apart now: 0.7-2.0 µs an event.
    mp = multiprocessing.get_context("fork")
    workers_done, sink_cpu = mp.Event(), mp.Value("d", 0.0)
    sink = mp.Process(target=sink_until,
                      args=(bootstrap, work / "t.duckdb", workers_done, sink_cpu))
    started = time.monotonic()
    worker = worker_for(bootstrap, AS_OF, work / "w", profile)
    sink.start()
    try:  # whatever happens, neither child outlives the run (nor its broker)
        lag = WorkerLag(bootstrap)
        try:
            while not lag.group_stable():  # imports, topics, the group joined and synced
                alive(sink)
                time.sleep(0.05)
            ready = time.monotonic()
            assert sink.pid is not None  # started above
            cpu = CpuShares({"broker": broker_pid, "worker": worker.pid, "sink": sink.pid,
                             "lag polls": os.getpid()})
            while lag() != 0:
                alive(sink)
                time.sleep(0.1)
            worker_done = time.monotonic()
        finally:
            lag.close()
        workers_done.set()
        sink.join()
        ended = time.monotonic()
        if sink.exitcode != 0:
            raise SystemExit(f"the sink stopped with status {sink.exitcode}: see its output "
                             "above")
        used = cpu.per_event(count, {"sink": sink_cpu.value})
    finally:
        worker.terminate()
        worker.wait()
        if sink.is_alive():
            sink.terminate()
            sink.join()
    ours, cold = count / (ended - ready), count / (ended - started)
    print(f"  {count:,} simulated events: raw aiokafka drain {baseline:,.0f} events/s; worker + "
          f"sink {ours:,.0f} events/s from the worker's group being ready to the last row "
          f"written (worker done after {worker_done - ready:.1f} s, sink "
          f"{ended - worker_done:.1f} s later); ratio {ours / baseline:.3f}")
    print(f"  worker start-up apart: {ready - started:.1f} s from process start to its group "
          f"ready; counted in, {cold:,.0f} events/s, ratio {cold / baseline:.3f}")
    # What bounds the ratio on this machine: CPU an event costs each process, against the
    # cores there are. The broker's share is work the worker's exactly-once output asks of it
    # (changelogs, claims, results, transaction markers), on the same cores.
    print(f"  CPU an event: raw drain {drain_cpu}; worker + sink {used} (lag polls: this "
          "process asking the broker every 0.1 s whether the worker is done)", flush=True)
    alone = without_kafka(events, work / "replayed.duckdb", env(bootstrap, AS_OF), count)
    print(f"  the same events without Kafka, replayed by one process (what `jatkumo replay` "
          f"does with a file this size: the door, the states, the evaluation and the DuckDB "
          f"file; a worker's and the sink's work, no broker): {alone:,.0f} events/s, ratio "
          f"{alone / baseline:.3f}; worker + sink reached {ours / alone:.2f} of it",
          flush=True)
    return {"ratio": ours / baseline, "startup": ready - started, "cold": cold / baseline,
            "alone": alone / baseline}


# The replay beside the Kafka run, in a fresh interpreter: this process forks the later parts'
# sinks, which must not inherit the replay's threads (numpy's, DuckDB's) or its heap. Its
# imports (scipy for the cube included, as the sink now has them before it starts) come
# before the clock; it prints what it took and how long that took.
REPLAY_ALONE = """
import json, os, sys, time
from datetime import date
from pathlib import Path
from analytics import exact
from services.config import load
from services.replay import replay
from services.web import published  # noqa: F401 (the cube's builder, imported before the clock)
exact.load()
settings = load(os.environ)
began = time.monotonic()
report = replay(Path(sys.argv[1]), Path(sys.argv[2]), settings,
                date.fromisoformat(sys.argv[3]), workers=1, partitions=1)
print(json.dumps({"taken": report.taken, "seconds": time.monotonic() - began}))
"""


def without_kafka(events: Path, db: Path, environment: dict[str, str], count: int) -> float:
    """Events a second of replaying the events file in one process, from the file to its
    relations in DuckDB: what the same core does when no broker, no transactions and no
    second process are in its way. Its door also pseudonymises, which `publish` did before
    the Kafka run, so it does a little more than the worker. `environment`: the worker's
    (its pseudonym key, rules and settings)."""
    import json
    import subprocess

    done = subprocess.run([sys.executable, "-c", REPLAY_ALONE, str(events), str(db), AS_OF],
                          cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"the replay beside the Kafka run stopped with status "
                         f"{done.returncode}:\n{done.stderr[-2000:]}")
    got = json.loads(done.stdout.splitlines()[-1])
    # the worker took every event: a replay that did not is no yardstick
    if got["taken"] != count:
        raise SystemExit(f"the replay beside the Kafka run took {got['taken']:,} of the "
                         f"{count:,} events")
    return float(count / got["seconds"])


def alive(sink: Any) -> None:
    """Stops the run when the sink has stopped before the worker was done."""
    if not sink.is_alive():
        raise SystemExit(f"the sink stopped with status {sink.exitcode} before the worker was "
                         "done: see its output above")


def sink_until(bootstrap: str, db: Path, workers_done: Any, spent: Any) -> None:
    """The throughput part's sink, in a process of its own: until the worker is done and
    every row is written. `spent`: its CPU seconds at the end, what /proc said of it while
    it ran (it is gone when the caller looks)."""
    from services.sink import run_sink

    try:
        s, k = settings(bootstrap, AS_OF)
        run_sink(db, s, k, until_caught_up=workers_done.is_set)
    finally:
        spent.value = time.process_time()


def signed(client: str, n: int) -> dict[str, object]:
    """A KTT contract with a municipal organiser from before the cutover and no transfer: as of
    2023-03-31 it has a HANDOFF_MISSING gap."""
    # a random (version 4) id, as producers make them, reproducible from n: UUID(int=n) was
    # mostly zeros, the shape of an identity code ("000000-000") to the door's sound first
    # check, so every event took its closer look (about 120 µs: a random id does 1 in 70)
    eid = uuid.UUID(int=random.Random(n).getrandbits(128), version=4)
    return {"event_id": str(eid), "event_type": "contract.signed",
            "schema_version": 1, "occurred_at": "2022-09-01T09:00:00+03:00",
            "source": "bench", "client_id": client, "payload": {
                "contract_id": f"k{n}", "service": "KTT", "organizer": "municipality:564",
                "producer": {"id": "p", "kind": "municipal", "municipality": "564"},
                "start_date": "2022-09-01"}}


def sink_watching(bootstrap: str, db: Path, ready: Any, warm: Any, stop: Any, count: Any,
                  out: Any) -> None:
    """In a process of its own, as `jatkumo sink` runs: the sink, and after each transaction
    it commits, the monotonic time at which each benchmark client's gap row is first
    visible in the DuckDB file (CLOCK_MONOTONIC is one clock for every process here)."""
    from services.sink import run_sink

    s, k = settings(bootstrap, "2023-03-31")
    seen: dict[str, float] = {}

    def opened(writer: Any) -> None:
        ready.set()

    last = [-1]  # the greatest rowid of gap_rows looked at

    def look(writer: Any, wrote: bool) -> None:
        # Only the rows appended since the last look (by rowid: the sink inserts, and a new
        # client's rows are never deleted), so a look costs the same on a large file as on a
        # small one. Before, each look scanned all of gap_rows against the clients seen so
        # far: 17 % of the sink's samples in a profile of the third run, and growing.
        if not wrote:
            return
        now = time.monotonic()
        rows = writer.con.execute(
            "SELECT rowid, client_id FROM gap_rows WHERE rowid > ? "
            "AND gap_type = 'HANDOFF_MISSING' "
            "AND (starts_with(client_id, 'lat') OR client_id = 'warm')", [last[0]]).fetchall()
        for rowid, client in rows:
            last[0] = max(last[0], rowid)
            if client in seen:
                continue
            seen[client] = now
            count.value += 1
            if client == "warm":
                warm.set()

    run_sink(db, s, k, should_stop=stop.is_set,  # type: ignore[arg-type]
             on_open=opened, after_batch=look)
    out.put(seen)


async def generate(bootstrap: str, windows: list[tuple[str, int]], rate: int, cpu: CpuShares,
                   warm: Any, count: Any, started: float
                   ) -> tuple[list[dict[str, float]], list[str]]:
    """The load: each window's events sent at `rate`, each at its time. Returns the send time
    of each client, by window, and the CPU shares of each window.

    The producer is aiokafka's, with the HTTP ingest's settings (services/ingest/kafka.py:
    acks=all, idempotent, linger 5 ms): the wait is counted, from send(). It was
    kafka-python's, the ingest's own client, which took 30 % of a core for 1,000 sends a second
    (its sender thread woken for each), on the two cores the broker, the worker and the sink
    share: the load generator is not the system measured, and in life it runs elsewhere."""
    import orjson
    from aiokafka import AIOKafkaProducer

    prod = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                            enable_idempotence=True, linger_ms=5)
    await prod.start()
    try:
        # warm up: the worker joins its group and takes a first client, the sink writes it
        await prod.send_and_wait("jatkumo.events", key=b"warm",
                                 value=orjson.dumps(signed("warm", 10**9)))
        await asyncio.to_thread(warm.wait, 180)
        print(f"  worker start-up apart: {time.monotonic() - started:.1f} s from process "
              "start to its first gap row in DuckDB", flush=True)
        sent: list[dict[str, float]] = []
        shares: list[str] = []
        pending: list[Any] = []
        for w, (_name, length) in enumerate(windows):
            # made before the window, so the generator's own work is not the window's load:
            # the send loop only waits for each event's time and sends it
            clients = [f"lat{w}-{i}" for i in range(rate * length)]
            values = [orjson.dumps(signed(c, w * 10**7 + i)) for i, c in enumerate(clients)]
            mine: dict[str, float] = {}
            sent.append(mine)
            cpu.start()
            begin = time.monotonic()
            for i, (client, value) in enumerate(zip(clients, values, strict=True)):
                early = begin + i / rate - time.monotonic()
                if early > 0:
                    await asyncio.sleep(early)
                mine[client] = time.monotonic()
                pending.append(await prod.send("jatkumo.events", key=client.encode(),
                                               value=value))
            await asyncio.gather(*pending)  # every send acknowledged: none lost unseen
            pending.clear()
            shares.append(cpu.shares())
            total = 1 + sum(len(m) for m in sent)
            deadline = time.monotonic() + 30
            while count.value < total and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # a pause between the windows
        return sent, shares
    finally:
        await prod.stop()


def latency(bootstrap: str, broker_pid: int, work: Path, rate: int, seconds: int, runs: int,
            profile: Path | None = None, warmup: int = 10) -> list[float]:
    """Publish -> the gap row visible in the sink's DuckDB file, `runs` windows of
    `seconds` at `rate` events/s into one running worker and sink, after a warm-up window
    of `warmup` seconds at that rate (reported, not counted). Returns each run's p99 (s)."""

    print(f"latency: {load()}", flush=True)
    mp = multiprocessing.get_context("fork")
    ready, warm, stop, count, out = mp.Event(), mp.Event(), mp.Event(), mp.Value("i", 0), \
        mp.Queue()
    sink = mp.Process(target=sink_watching,
                      args=(bootstrap, work / "l.duckdb", ready, warm, stop, count, out))
    sink.start()
    ready.wait(120)
    started = time.monotonic()
    worker = worker_for(bootstrap, "2023-03-31", work / "wl", profile)
    # The runs are preceded by a warm-up window at the same rate, reported apart: the broker
    # is a fresh JVM, and compiling its hot paths took a core's half in the first 10 s at
    # this rate (a quarter or less after it), on the cores the worker and the sink share.
    windows = ([("warm-up", warmup)] if warmup else []) + \
        [(f"run {run}", seconds) for run in range(1, runs + 1)]
    assert sink.pid is not None  # started above
    cpu = CpuShares({"broker": broker_pid, "worker": worker.pid, "sink": sink.pid,
                     "generator": os.getpid()})
    sent, shares = asyncio.run(generate(bootstrap, windows, rate, cpu, warm, count, started))
    stop.set()
    seen: dict[str, float] = out.get(timeout=120)
    sink.join()
    worker.terminate()
    worker.wait()
    p99s = []
    for (name, length), mine, share in zip(windows, sent, shares, strict=True):
        lat = sorted(seen[c] - t for c, t in mine.items() if c in seen)
        missing = len(mine) - len(lat)
        p50 = statistics.median(lat) if lat else float("nan")
        p99 = lat[max(0, int(len(lat) * 0.99) - 1)] if lat else float("nan")
        if missing:
            p99 = float("inf")  # an event never seen counts as never
        if name != "warm-up":
            p99s.append(p99)
        print(f"  {name}: {rate:,} events/s for {length} s: publish -> gap row in DuckDB "
              f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms ({missing} not seen within "
              f"30 s); CPU of one core: {share}", flush=True)
    ordered = sorted(p99s)
    print(f"  p99 over {runs} runs: min {ordered[0] * 1000:.0f} ms, median "
          f"{statistics.median(ordered) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms",
          flush=True)
    return p99s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--orders", default="time,shuffled",
                    help="comma-separated: time, client, shuffled")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=10,
                    help="seconds at the rate before the latency runs, reported apart")
    ap.add_argument("--profile", type=Path, metavar="FILE",
                    help="run the worker under cProfile, its statistics to FILE (.ORDER "
                         "appended, or .latency)")
    args = ap.parse_args()
    for name in ("events", "rate", "seconds", "runs", "warmup"):
        if getattr(args, name) < 0:
            ap.error(f"--{name}: a number of 0 or more, not {getattr(args, name)}")
    if args.seconds and args.runs and not args.rate:
        ap.error("--rate: events a second, more than 0 (or --seconds 0 to leave latency out)")
    orders = [o for o in args.orders.split(",") if o]
    if any(o not in ("time", "client", "shuffled") for o in orders):
        ap.error(f"--orders: time, client or shuffled, not {args.orders}")
    targets = {"time": 0.3, "shuffled": 0.2}
    summary: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.events:
            for order in orders:
                part = work / order
                part.mkdir()
                profile = None if args.profile is None else \
                    args.profile.with_name(f"{args.profile.name}.{order}")
                with broker(part, "kafka") as (bootstrap, broker_pid):
                    got = throughput(bootstrap, broker_pid, part, args.events, order, profile)
                want = targets.get(order)
                verdict = "" if want is None else \
                    f" (target >= {want}: {'met' if got['ratio'] >= want else 'NOT met'})"
                summary.append(f"worker + sink / raw drain, {order} order: {got['ratio']:.3f}"
                               f"{verdict}; worker start-up {got['startup']:.1f} s apart; "
                               f"replay without Kafka, one process: {got['alone']:.3f}")
        if args.seconds and args.runs:
            part = work / "latency"
            part.mkdir()
            with broker(part, "kafka") as (bootstrap, broker_pid):
                p99s = latency(bootstrap, broker_pid, part, args.rate, args.seconds, args.runs,
                               None if args.profile is None else
                               args.profile.with_name(f"{args.profile.name}.latency"),
                               args.warmup)
            worst = max(p99s)
            summary.append(f"publish -> gap row in DuckDB p99 at {args.rate:,} events/s, "
                           f"{args.runs} runs: min {min(p99s) * 1000:.0f} / median "
                           f"{statistics.median(p99s) * 1000:.0f} / max {worst * 1000:.0f} ms "
                           f"(target < 300 ms: {'met' if worst < 0.3 else 'NOT met'} in the "
                           f"worst run, {sum(p < 0.3 for p in p99s)} of {len(p99s)} runs)")
    print(f"summary ({load()}):")
    for line in summary:
        print(f"  {line}")


if __name__ == "__main__":
    main()
