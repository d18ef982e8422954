"""`jatkumo worker`: one stream worker process (faust). Start several, on one machine or many,
with the same bootstrap servers: they form one consumer group and share the partitions."""

import logging
from pathlib import Path

from services.config import KafkaSettings, Settings
from services.kafka_broker import ensure_topics


def run_worker(settings: Settings, kafka: KafkaSettings, loglevel: str = "WARNING") -> None:
    from faust import Worker

    from streams.app import create_app

    ensure_topics(kafka.bootstrap, kafka.partitions, kafka.replication)
    datadir = Path(kafka.worker_dir)
    datadir.mkdir(parents=True, exist_ok=True)
    app, _ctx = create_app(
        kafka.bootstrap, partitions=kafka.partitions, replication=kafka.replication,
        rules=settings.rules, key=settings.pseudonym_key, as_of=kafka.as_of,
        web_port=kafka.worker_web_port, datadir=datadir)
    worker = Worker(app, loglevel=loglevel, quiet=True)
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
    worker.execute_from_commandline()
