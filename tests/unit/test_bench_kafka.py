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


def test_cpu_of_a_process_gone_is_what_it_said_before_it_went() -> None:
    # the throughput part's sink exits before its CPU is read: /proc has nothing of it then
    bench = script("bench/kafka.py", "bench_kafka")
    child = subprocess.Popen([sys.executable, "-c", "import time\n"
                              "while time.process_time() < 0.3: pass\n"
                              "print(time.process_time(), flush=True)\n"
                              "import sys\nsys.stdin.read()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdin is not None
    used = bench.CpuShares({"gone": child.pid})  # started before its spin is over
    said = float(child.stdout.readline())
    child.stdin.close()
    child.wait()
    with pytest.raises(FileNotFoundError):
        used.per_event(1000)  # what the bench did first: a traceback at the end of a run
    got = float(used.per_event(1000, {"gone": said}).rsplit(" ", 2)[1])
    assert abs(got - (said - used.used["gone"]) / 1000 * 1e6) <= 0.05  # printed to 0.1 µs
    assert 0 < got <= 310, got


def test_a_sink_that_fails_says_its_cpu_and_stops_the_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    import services.sink

    bench = script("bench/kafka.py", "bench_kafka")

    def broken(*args: object, **kwargs: object) -> None:
        while time.process_time() < 0.05:  # some CPU first, as a sink that ran a while
            pass
        raise RuntimeError("the sink broke")

    monkeypatch.setattr(services.sink, "run_sink", broken)
    mp = multiprocessing.get_context("fork")
    done, spent = mp.Event(), mp.Value("d", 0.0)
    sink = mp.Process(target=bench.sink_until, args=("127.0.0.1:1", Path("x"), done, spent))
    sink.start()
    sink.join(60)
    assert sink.exitcode == 1
    assert spent.value >= 0.05  # said before it went
    with pytest.raises(SystemExit, match="the sink stopped with status 1 before the worker"):
        bench.alive(sink)


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


def _environment() -> dict[str, str]:
    from tests.integration.kafka.pipeline import env

    return env("127.0.0.1:1", "2024-12-31")  # the worker's settings; no broker is asked


def test_the_replay_beside_the_kafka_run_takes_every_event_and_times_them(
        tmp_path: Path) -> None:
    import duckdb
    import orjson

    bench = script("bench/kafka.py", "bench_kafka")
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(orjson.dumps(bench.signed(f"c{n}", n)) + b"\n"
                                for n in range(200)))
    began = time.monotonic()
    rate = bench.without_kafka(events, tmp_path / "r.duckdb", _environment(), 200)
    took = time.monotonic() - began
    assert 200 / took <= rate  # the replay's own time, inside the call's (a child's start)
    with duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone() == (200,)
        # as of the worker's date: every contract has its HANDOFF_MISSING gap
        got = con.execute("SELECT count(DISTINCT client_id) FROM continuity_gaps "
                          "WHERE gap_type = 'HANDOFF_MISSING'").fetchone()
        assert got == (200,)


def test_a_replay_that_leaves_an_event_out_is_no_yardstick(tmp_path: Path) -> None:
    import orjson

    bench = script("bench/kafka.py", "bench_kafka")
    events = tmp_path / "events.jsonl"
    events.write_bytes(orjson.dumps(bench.signed("c1", 1)) + b"\n{not json\n")
    with pytest.raises(SystemExit, match="took 1 of the 2 events"):
        bench.without_kafka(events, tmp_path / "r.duckdb", _environment(), 2)


def test_a_replay_that_fails_stops_the_run_with_its_words(tmp_path: Path) -> None:
    import orjson

    bench = script("bench/kafka.py", "bench_kafka")
    events = tmp_path / "events.jsonl"
    events.write_bytes(orjson.dumps(bench.signed("c1", 1)) + b"\n")
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(SystemExit, match=r"(?s)stopped with status 1:.*a-file.* does not exist"):
        bench.without_kafka(events, tmp_path / "a-file" / "r.duckdb", _environment(), 1)
