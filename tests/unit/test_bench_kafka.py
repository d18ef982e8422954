"""bench/kafka.py's own pieces: the CPU shares it prints beside each latency window, and the
arguments it refuses before starting a broker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import script

ROOT = Path(__file__).resolve().parent.parent.parent


def test_cpu_shares_tell_a_busy_process_from_an_idle_one() -> None:
    bench = script("bench/kafka.py", "bench_kafka")
    idle = subprocess.Popen(["sleep", "10"])
    try:
        began, cpu = time.monotonic(), time.process_time()
        shares = bench.CpuShares({"busy": os.getpid(), "idle": idle.pid})
        # this process spins until it has had half a second of a core: on a machine other
        # tests load, that takes longer than half a second of the clock (CI saw 44 %)
        while time.process_time() - cpu < 0.5 and time.monotonic() - began < 8:
            pass
        got = dict(part.split() for part in shares.shares().split(", "))
        own = (time.process_time() - cpu) / (time.monotonic() - began)  # its true share
    finally:
        idle.kill()
        idle.wait()
    busy, still = int(got["busy"].rstrip("%")), int(got["idle"].rstrip("%"))
    assert own >= 0.1, "the spin had some of a core"
    assert abs(busy - own * 100) <= 15, (got, own)  # what it really took, give or take
    assert still <= 5, got


def test_cpu_an_event_is_the_cpu_used_divided_by_the_events() -> None:
    bench = script("bench/kafka.py", "bench_kafka")
    idle = subprocess.Popen(["sleep", "10"])
    try:
        cpu = time.process_time()
        used = bench.CpuShares({"busy": os.getpid(), "idle": idle.pid})
        while time.process_time() - cpu < 0.3:  # about 300 ms of a core
            pass
        got = dict(part.rsplit(" ", 2)[:2] for part in used.per_event(1000).split(", "))
        spent = (time.process_time() - cpu) / 1000 * 1e6  # µs an event, as it truly was
    finally:
        idle.kill()
        idle.wait()
    assert abs(float(got["busy"]) - spent) <= 30, (got, spent)  # clock ticks: 10 ms / 1000
    assert float(got["idle"]) <= 10, got


@pytest.mark.parametrize(("args", "says"), [
    (["--warmup", "-1"], "--warmup: a number of 0 or more, not -1"),
    (["--runs", "-2"], "--runs: a number of 0 or more, not -2"),
    (["--rate", "0"], "--rate: events a second, more than 0"),
    (["--orders", "time,sideways"], "--orders: time, client or shuffled"),
])
def test_wrong_arguments_get_a_message_and_start_nothing(args: list[str], says: str) -> None:
    done = subprocess.run([sys.executable, "bench/kafka.py", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr
