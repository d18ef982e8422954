"""`jatkumo worker`: one stream worker process (faust). Start several, on one machine or many,
with the same bootstrap servers: they form one consumer group and share the partitions."""

import atexit
import errno
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from schemas.errors import ConfigError, JatkumoError
from services.config import KafkaSettings, Settings
from services.kafka_broker import ensure_topics
from services.log_repeats import quiet_kafka_clients
from services.shown import said
from streams import topics

log = logging.getLogger("jatkumo.worker")


def worker_dir(kafka: KafkaSettings) -> Path:
    """faust's data folder: the one configured, or a temporary one of this process's own
    (removed at exit), so that workers on one machine never share one by default."""
    if kafka.worker_dir:
        datadir = Path(kafka.worker_dir)
        try:
            datadir.mkdir(parents=True, exist_ok=True)
            if not os.access(datadir, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, "Permission denied")
        except OSError as e:  # a file of that name, a read-only place: a traceback before
            raise ConfigError(f"the worker's data folder {said(datadir)} cannot be used "
                              f"({e.strerror}): give a folder it may write, with --data-dir "
                              "or JATKUMO_WORKER_DIR") from None
        return datadir
    datadir = Path(tempfile.mkdtemp(prefix="jatkumo-worker-"))
    atexit.register(shutil.rmtree, datadir, ignore_errors=True)
    return datadir


def partitions_in_use(found: dict[str, list[int]], setting: int) -> int:
    """How many partitions the worker works with: the inputs' own count (JATKUMO_PARTITIONS
    only says how many a run makes). A client's and an event id's partition are computed from
    it, so a worker that took the setting while the topics had another count sent every
    client's state to a partition of its own reckoning: workers started with different
    settings would each keep a client apart. The inputs and the tables' changelogs are
    co-partitioned or nothing works."""
    counts = {name: len(found.get(name, ())) for name in
              (*topics.INPUTS, topics.CLIENT_STATE_CHANGELOG, topics.EVENT_IDS_CHANGELOG)}
    if not all(counts.values()):  # not described in ensure_topics' time: a broker in trouble
        raise JatkumoError(
            "the broker did not describe "
            + ", ".join(name for name, n in counts.items() if not n)
            + " in time: check that it is up (jatkumo kafka status) and start the worker again")
    if len(set(counts.values())) != 1:
        raise ConfigError(
            "the worker's input topics and its tables' changelogs must have one number of "
            "partitions, but "
            + ", ".join(f"{name} has {n}" for name, n in counts.items())
            + ": make them again with one count (or let jatkumo make them, "
            f"JATKUMO_PARTITIONS={setting})")
    return counts[topics.EVENTS]


def run_worker(settings: Settings, kafka: KafkaSettings, loglevel: str = "WARNING") -> None:
    from streams.app import create_app

    datadir = worker_dir(kafka)  # before the broker is asked anything: a wrong folder is ours
    found = ensure_topics(kafka.bootstrap, kafka.partitions, kafka.replication)
    partitions = partitions_in_use(found, kafka.partitions)
    app, _ctx = create_app(
        kafka.bootstrap, partitions=partitions, replication=kafka.replication,
        rules=settings.rules, key=settings.pseudonym_key, as_of=kafka.as_of,
        web_port=kafka.worker_web_port, datadir=datadir,
        session_timeout=kafka.worker_session_timeout)
    quiet_kafka_clients()  # their modules are imported now (create_app)
    worker = _worker_class()(app, loglevel=loglevel, quiet=True)
    # faust's terminal spinner sets the root logger to DEBUG so that it spins on every record:
    # then every debug line of aiokafka and faust is formatted into a record and dropped,
    # which cost a tenth of the worker's time. No spinner: the root logger keeps `loglevel`.
    worker.spinner = None
    # our own progress lines (counts, dates and partitions, never client ids) at INFO, on a
    # handler of their own: faust's root handler passes only `loglevel` and up
    ours = logging.getLogger("jatkumo")
    ours.setLevel(logging.INFO)
    ours.propagate = False
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s] [%(process)d] %(message)s"))
    ours.addHandler(handler)
    if partitions != kafka.partitions:
        log.info("%s has %d partitions, made before (JATKUMO_PARTITIONS=%d is for topics a run "
                 "makes): working with %d", topics.EVENTS, partitions, kafka.partitions,
                 partitions)
    worker.execute_from_commandline()


def _worker_class() -> Any:
    from streams.fencing import FENCED_EXIT, FencedExit
    from streams.kafka_internals import Worker

    class StoppableWorker(Worker):
        """faust's worker, for which a stop asked by a signal is a stop, not a crash.

        A SIGTERM or SIGINT may come in the middle of a rebalance: faust then stops the
        consumer under the rebalance's feet, the assignment fails, and faust reported that
        as a crash (exit 1). Every batch is one transaction per partition (streams.fencing),
        so a worker may stop at any point without losing or doubling anything: what failed
        after the stop was asked is a consequence of stopping, said as such, and the exit
        status is 0. A crash before any signal stays a crash. A fenced worker exits with
        FENCED_EXIT (75), for its supervisor to start it again (streams.fencing)."""

        fenced = False

        def before_shutdown(self) -> None:
            if self.stopped_by_signal and self.crash_reason is not None:
                log.info("stopped during a rebalance (%s: %s); nothing is lost, the "
                         "other workers take the partitions over",
                         type(self.crash_reason).__name__, self.crash_reason)
                self.crash_reason = None
            self.fenced = isinstance(self.crash_reason, FencedExit)
            if self.fenced:  # said in the FENCED line already: no traceback, its own status
                self.crash_reason = None

        def after_shutdown(self) -> None:
            if self.fenced:
                raise SystemExit(FENCED_EXIT)
            if self.stopped_by_signal:
                log.info("worker stopped")

    return StoppableWorker
