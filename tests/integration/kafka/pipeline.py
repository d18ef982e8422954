"""Driving the real pipeline from tests: worker processes, the sink, replay, and waiting for
Kafka (by retrying on offsets, never by sleeping a fixed time)."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from services.config import KafkaSettings, load, load_kafka
from services.replay import replay
from services.sink import run_sink
from streams import topics
from streams.app import APP_ID

ROOT = Path(__file__).resolve().parents[3]
KEY = "kafka-test-key"


def env(bootstrap: str, as_of: str, **extra: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    e.update(JATKUMO_BOOTSTRAP=bootstrap, JATKUMO_AS_OF=as_of, JATKUMO_PSEUDONYM_KEY=KEY,
             JATKUMO_WORKER_WEB_PORT="0", **extra)
    return e


def settings(bootstrap: str, as_of: str) -> tuple[object, KafkaSettings]:
    e = env(bootstrap, as_of)
    return load(e), load_kafka(e)


def start_worker(bootstrap: str, as_of: str, folder: Path, *args: str,
                 **extra: str) -> "subprocess.Popen[bytes]":
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "worker.log").open("ab") as log:  # the child has its own copy of the fd
        return subprocess.Popen([sys.executable, "-m", "services.cli", "worker", *args],
                                cwd=ROOT, env=env(bootstrap, as_of,
                                                  JATKUMO_WORKER_DIR=str(folder), **extra),
                                stdout=log, stderr=subprocess.STDOUT)


def publish_file(bootstrap: str, as_of: str, events: Path) -> None:
    """`jatkumo publish FILE` as a user runs it; fails the test if it does not exit 0."""
    done = subprocess.run([sys.executable, "-m", "services.cli", "publish", str(events),
                           "--quiet"], cwd=ROOT, env=env(bootstrap, as_of), capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def start_sink(bootstrap: str, as_of: str, db: Path) -> "subprocess.Popen[bytes]":
    with (db.parent / "sink.log").open("ab") as log:  # the child has its own copy of the fd
        return subprocess.Popen([sys.executable, "-m", "services.cli", "sink", "--db", str(db)],
                                cwd=ROOT, env=env(bootstrap, as_of), stdout=log,
                                stderr=subprocess.STDOUT)


def retry_until(what: str, check: Callable[[], bool], timeout: float,
                said: Callable[[], str] = lambda: "") -> None:
    """Wait for check(); past the timeout fail, with what said() gives (a process's log)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s\n{said()}")
        time.sleep(0.5)


class WorkerLag:
    """Messages of the worker's inputs (jatkumo.events and the id and client stages' topics)
    not yet committed by the worker group (-1: unknown yet), asked of the broker with clients
    kept open (a poll every 0.1 s costs little). The group's offsets are read before the end
    offsets: 0 then means every record there is was done, outputs of the work included (a
    batch's outputs and offsets are one transaction)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        # describe_consumer_groups on its own client, held at protocol 2.2: from DescribeGroups
        # v3 kafka-python 2.3.3 decodes the group's authorized operations, and fails on the
        # bit Kafka 4 sets when they were not asked for ("31 is not a valid ACLOperation")
        self.describer = KafkaAdminClient(bootstrap_servers=bootstrap, api_version=(2, 2))
        self.cons = KafkaConsumer(bootstrap_servers=bootstrap)

    def __call__(self) -> int:
        try:
            # group offsets before end offsets: 0 then means the work's outputs were done too
            done = self.admin.list_consumer_group_offsets(APP_ID)
            tps = [TopicPartition(t, p) for t in topics.INPUTS
                   for p in self.cons.partitions_for_topic(t) or set()]
            ends = self.cons.end_offsets(tps)
        except KafkaError:
            return -1
        lag = 0
        for tp, end in ends.items():
            start = done[tp].offset if tp in done and done[tp].offset >= 0 else 0
            if 0 < end - start <= 2 and not self._records_from(tp, start, end):
                continue  # only a transaction's commit marker is left: no record to take
            lag += max(0, end - start)
        return lag

    def _records_from(self, tp: TopicPartition, start: int, end: int) -> bool:
        """Whether a record (not a control marker) lies in [start, end) of a partition."""
        peek = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                             enable_auto_commit=False, consumer_timeout_ms=1000)
        try:
            peek.assign([tp])
            peek.seek(tp, start)
            return any(r.offset < end for batch in peek.poll(timeout_ms=1000).values()
                       for r in batch)
        finally:
            peek.close()

    def committed(self) -> int:
        """The sum of the group's committed offsets over its inputs (-1: unknown)."""
        try:
            done = self.admin.list_consumer_group_offsets(APP_ID)
        except KafkaError:
            return -1
        return sum(max(0, o.offset) for tp, o in done.items() if tp.topic in topics.INPUTS)

    def members(self) -> int:
        """Members of the worker group once it is stable (-1: not stable)."""
        try:
            info = self.describer.describe_consumer_groups([APP_ID])[0]
        except KafkaError:
            return -1
        return len(info.members or ()) if info.state == "Stable" else -1

    def group_stable(self) -> bool:
        """Whether the worker group has members and their partitions (joined and synced)."""
        try:
            info = self.describer.describe_consumer_groups([APP_ID])[0]
        except KafkaError:
            return False
        return bool(info.state == "Stable" and info.members)

    def close(self) -> None:
        self.cons.close()
        self.admin.close()
        self.describer.close()


def worker_lag(bootstrap: str) -> int:
    lag = WorkerLag(bootstrap)
    try:
        return lag()
    finally:
        lag.close()


def wait_workers_done(bootstrap: str, timeout: float = 240) -> None:
    retry_until("the workers to commit every event", lambda: worker_lag(bootstrap) == 0,
                timeout)


def topic_bytes(bootstrap: str, topic: str) -> bytes:
    """Every key, value and header of a topic, end to end (to look for what must not be there)."""
    cons = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(cons.partitions_for_topic(topic) or ())]
        cons.assign(tps)
        cons.seek_to_beginning(*tps)
        ends = cons.end_offsets(tps)
        out: list[bytes] = []
        while any(cons.position(tp) < end for tp, end in ends.items()):
            for records in cons.poll(timeout_ms=500).values():
                for r in records:
                    out += [r.key or b"", r.value or b""]
                    out += [k.encode() + (v or b"") for k, v in r.headers or ()]
        return b"\n".join(out)
    finally:
        cons.close()


def sink_all(bootstrap: str, as_of: str, db: Path) -> None:
    s, k = settings(bootstrap, as_of)
    run_sink(db, s, k, until_caught_up=True)  # type: ignore[arg-type]


def work_through(bootstrap: str, as_of: str, work: Path, *worker_args: str) -> Path:
    """One worker until every event is committed, then the sink: the relations' file."""
    worker = start_worker(bootstrap, as_of, work / "worker-0", *worker_args)
    try:
        wait_workers_done(bootstrap)
    finally:
        worker.terminate()
        worker.wait(60)
    db = work / "kafka.duckdb"
    sink_all(bootstrap, as_of, db)
    return db


def replay_db(path: Path, as_of: str, db: Path) -> None:
    s, _k = settings("unused:1", as_of)
    from datetime import date

    replay(path, db, s, date.fromisoformat(as_of))  # type: ignore[arg-type]


def assert_audited(db: Path) -> str:
    """`jatkumo audit --db FILE` as CI runs it after a Kafka run: exit 0, every declared
    relation's grain holds (analytics/audit.py). Returns what it printed."""
    done = subprocess.run([sys.executable, "-m", "services.cli", "audit", "--db", str(db)],
                          cwd=ROOT, env=env("unused:1", "2024-01-01"), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "hold their declared grain" in done.stdout
    return done.stdout
