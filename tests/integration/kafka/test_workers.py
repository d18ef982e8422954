"""Several workers on one machine with default settings, and a worker stopped during a
rebalance (issue 12, point 10).

Before: a second `jatkumo worker` on one machine died at once (faust's web port 6066 was in
use; the README named neither the port nor the data folder), and a worker stopped while a
rebalance was under way exited 1 with "We experienced a crash!"."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.kafka.pipeline import ROOT, WorkerLag, env, retry_until

pytestmark = pytest.mark.kafka
AS_OF = "2024-06-30"


def _default_env(kafka: str) -> dict[str, str]:
    """The user's environment: bootstrap and key, no web port, no data folder."""
    e = env(kafka, AS_OF)
    for name in ("JATKUMO_WORKER_WEB_PORT", "JATKUMO_WORKER_DIR"):
        e.pop(name, None)
    return e


def _worker(kafka: str, log: Path, cwd: Path) -> "subprocess.Popen[bytes]":
    e = _default_env(kafka)
    e["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen([sys.executable, "-m", "services.cli", "worker"], cwd=cwd, env=e,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def test_two_workers_on_one_machine_run_with_default_settings(kafka: str, work: Path) -> None:
    procs = [_worker(kafka, work / f"w{i}.log", work) for i in range(2)]
    lag = WorkerLag(kafka)
    try:
        retry_until("both workers in the group", lambda: lag.members() == 2 or any(
            p.poll() is not None for p in procs), 120)
        assert all(p.poll() is None for p in procs), [
            (work / f"w{i}.log").read_text(errors="replace")[-2000:] for i in range(2)]
        assert lag.members() == 2
    finally:
        lag.close()
        for p in procs:
            if p.poll() is None:
                p.terminate()
        codes = [p.wait(timeout=60) for p in procs]
    assert codes == [0, 0]
    assert not list(work.glob("var")), "a data folder left in the working directory"


def _group_state(lag: WorkerLag) -> str:
    try:
        info = lag.admin.describe_groups(["jatkumo-worker"]).get("jatkumo-worker", {})
    except Exception:
        return ""
    return str(info.get("group_state", ""))


def test_a_worker_stopped_during_a_rebalance_exits_0_with_a_clean_message(
        kafka: str, work: Path) -> None:
    first = _worker(kafka, work / "first.log", work)
    lag = WorkerLag(kafka)
    second = None
    try:
        retry_until("the first worker in the group", lambda: lag.members() == 1, 120)
        second = _worker(kafka, work / "second.log", work)
        # the moment the second worker's join puts the group into a rebalance
        deadline = time.monotonic() + 120
        while _group_state(lag) not in ("PreparingRebalance", "CompletingRebalance"):
            assert time.monotonic() < deadline, "no rebalance seen"
            time.sleep(0.02)
        os.kill(first.pid, signal.SIGTERM)
        code = first.wait(timeout=90)
    finally:
        lag.close()
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(timeout=60)
    out = (work / "first.log").read_text(errors="replace")
    assert code == 0, out[-3000:]
    assert "crash" not in out.lower(), out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    assert "worker stopped" in out
