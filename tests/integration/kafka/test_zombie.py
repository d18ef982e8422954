"""A worker that stalls past its session timeout and comes back (a frozen VM, a healed
network partition) is fenced: it cannot write state, results or offsets for the partitions
taken over meanwhile, and the run ends equal to replay, row for row.

Before (issue 12, point 9): the resumed worker finished its old batch and wrote its older
client states over the newer ones of the worker that had taken its partitions over, and
marked those events done; 3 of 3 runs ended different from replay, and nothing told the
operator. Now every batch is one Kafka transaction per partition whose transactional id the
new owner takes over (streams.fencing), and a fenced worker exits with status 75 for its
supervisor (here the test) to start it again: the new process recovers from the committed
state. Before that (the wip branch) the fenced worker stayed up, got its partitions back, and
faust did not read their changelog again: 2 of 5 runs ended different from replay."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from streams.fencing import FENCED_EXIT
from tests.integration.kafka import generate
from tests.integration.kafka.compare import differences
from tests.integration.kafka.pipeline import (
    ROOT,
    WorkerLag,
    env,
    replay_db,
    retry_until,
    sink_all,
    start_worker,
    wait_workers_done,
)

pytestmark = pytest.mark.kafka
AS_OF = "2024-06-30"
SESSION = "6"  # seconds: the default (15) made each run half a minute longer
CHUNKS = 8


def _publish_live(kafka: str, events: Path, work: Path) -> threading.Thread:
    """The file in chunks, one `jatkumo publish` after another: events keep arriving while
    the workers work, as in a live run."""
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    size = -(-len(lines) // CHUNKS)
    chunks = []
    for i in range(CHUNKS):
        chunk = work / f"chunk-{i}.jsonl"
        chunk.write_text("".join(lines[i * size:(i + 1) * size]), encoding="utf-8")
        chunks.append(chunk)

    def run() -> None:
        for chunk in chunks:
            subprocess.run([sys.executable, "-m", "services.cli", "publish", str(chunk),
                            "--quiet"], cwd=ROOT, env=env(kafka, AS_OF), check=True)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class Supervisor:
    """What systemd's Restart=on-failure does for a worker: a worker that exits with the
    fenced status is started again, with the same settings and folder. Any other exit is
    kept, for the test to fail on."""

    def __init__(self, kafka: str, work: Path) -> None:
        self.kafka, self.work = kafka, work
        self.workers = [self._start(i) for i in range(2)]
        self.restarts = [0, 0]
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _start(self, i: int) -> "subprocess.Popen[bytes]":
        return start_worker(self.kafka, AS_OF, self.work / f"worker-{i}",
                            JATKUMO_WORKER_SESSION_TIMEOUT=SESSION)

    def _watch(self) -> None:
        while not self.stopping.wait(0.5):
            with self.lock:
                for i, w in enumerate(self.workers):
                    if w.poll() == FENCED_EXIT:
                        self.restarts[i] += 1
                        self.workers[i] = self._start(i)

    def alive(self) -> bool:
        with self.lock:
            return all(w.poll() is None for w in self.workers)

    def unfenced(self) -> bool:
        """Every worker running and none of them fenced: a fenced worker logs FENCED and
        rejoins its group for a moment as it stops, before it exits 75 (a loaded CI machine
        saw the group of two then, and the test stopped a worker on its way out)."""
        with self.lock:
            return all(w.poll() is None and f"] [{w.pid}] FENCED" not in (
                self.work / f"worker-{i}" / "worker.log").read_text(errors="replace")
                for i, w in enumerate(self.workers))

    def said(self) -> str:
        """Each worker's process, restarts and last log lines: what a failed wait shows (a
        loaded CI run once waited 180 s in vain for a restarted worker to rejoin)."""
        with self.lock:
            out = []
            for i, w in enumerate(self.workers):
                log = self.work / f"worker-{i}" / "worker.log"
                tail = log.read_text(errors="replace").splitlines()[-40:] if log.exists() else []
                out.append(f"worker {i}: pid {w.pid}, exit {w.poll()}, restarts "
                           f"{self.restarts[i]}\n" + "\n".join(tail))
            return "\n".join(out)

    def stop(self) -> list[int | None]:
        """Stop watching, then the workers (SIGTERM); their exit statuses."""
        self.stopping.set()
        self.thread.join()
        for w in self.workers:
            if w.poll() is None:
                w.terminate()
        return [w.wait(timeout=60) for w in self.workers]


@pytest.mark.parametrize("run", range(5))
def test_a_worker_paused_past_its_session_timeout_is_fenced_and_the_run_equals_replay(
        kafka: str, work: Path, run: int) -> None:
    events = work / "events.jsonl"
    generate.write(events, 100, seed=40 + run, malformed=20, min_events=40_000)
    group = Supervisor(kafka, work)
    lag = WorkerLag(kafka)
    z = run % 2
    try:
        retry_until("both workers in the group", lambda: lag.members() == 2, 120)
        publisher = _publish_live(kafka, events, work)
        retry_until("the workers to be at work", lambda: lag.committed() > 2_000, 120)
        zombie = group.workers[z]
        os.kill(zombie.pid, signal.SIGSTOP)  # a frozen VM
        try:
            # retried, not slept: paused until the group has dropped it and the other worker
            # has done work on the partitions it took over
            retry_until("the group to drop the paused worker", lambda: lag.members() == 1, 120)
            before = lag.committed()
            retry_until("the other worker to take the partitions over",
                        lambda: lag.committed() > before or not publisher.is_alive(), 120)
        finally:
            os.kill(zombie.pid, signal.SIGCONT)
        publisher.join(timeout=600)
        assert not publisher.is_alive(), "publishing did not finish"
        wait_workers_done(kafka, timeout=400)
        retry_until("both workers back in the group",
                    lambda: lag.members() == 2 and group.unfenced(), 180, group.said)
        wait_workers_done(kafka, timeout=400)
        assert group.alive(), "a worker stopped other than fenced"
    finally:
        lag.close()
        statuses = group.stop()
    assert statuses == [0, 0], statuses  # SIGTERM: a clean stop
    db = work / "kafka.duckdb"
    sink_all(kafka, AS_OF, db)
    replay_db(events, AS_OF, work / "replay.duckdb")
    assert differences(work / "replay.duckdb", db) == {}
    log = (work / f"worker-{z}" / "worker.log").read_text(errors="replace")
    if group.restarts[z]:  # fenced: said so, and exited with its own status
        assert "FENCED" in log
    print(f"run {run}: the paused worker was fenced and restarted {group.restarts[z]} "
          f"time(s); the other {group.restarts[1 - z]}")
