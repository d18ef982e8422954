"""A worker that stalls past its session timeout and comes back (a frozen VM, a healed
network partition) is fenced: it cannot write state, results or offsets for the partitions
taken over meanwhile, and the run ends equal to replay, row for row.

Before (issue 12, point 9): the resumed worker finished its old batch and wrote its older
client states over the newer ones of the worker that had taken its partitions over, and
marked those events done; 3 of 3 runs ended different from replay, and nothing told the
operator. Now every batch is one Kafka transaction per partition whose transactional id the
new owner takes over (streams.fencing)."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("run", range(5))
def test_a_worker_paused_past_its_session_timeout_is_fenced_and_the_run_equals_replay(
        kafka: str, work: Path, run: int) -> None:
    events = work / "events.jsonl"
    generate.write(events, 100, seed=40 + run, malformed=20, min_events=40_000)
    workers = [start_worker(kafka, AS_OF, work / f"worker-{i}",
                            JATKUMO_WORKER_SESSION_TIMEOUT=SESSION) for i in range(2)]
    lag = WorkerLag(kafka)
    try:
        retry_until("both workers in the group", lambda: lag.members() == 2, 120)
        publisher = _publish_live(kafka, events, work)
        retry_until("the workers to be at work", lambda: lag.committed() > 2_000, 120)
        zombie = workers[run % 2]
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
        retry_until("both workers back in the group", lambda: lag.members() == 2, 120)
        wait_workers_done(kafka, timeout=400)
        assert all(w.poll() is None for w in workers), "a worker stopped"
    finally:
        lag.close()
        for w in workers:
            if w.poll() is None:
                w.terminate()
        for w in workers:
            w.wait(timeout=60)
    db = work / "kafka.duckdb"
    sink_all(kafka, AS_OF, db)
    replay_db(events, AS_OF, work / "replay.duckdb")
    assert differences(work / "replay.duckdb", db) == {}
    log = (work / f"worker-{run % 2}" / "worker.log").read_text(errors="replace")
    print("fenced" if "FENCED" in log else "not fenced (paused between batches)")
