"""A real single-node Apache Kafka broker (deploy/kafka) for the whole session, on free
loopback ports; each test starts from empty jatkumo topics and no worker group."""

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient
from kafka.errors import GroupIdNotFoundError, KafkaError

from services import kafka_broker as kb
from streams.app import APP_ID
from tests.ports import free_port

pytestmark = pytest.mark.kafka


def _free_pair() -> int:
    """A port P with P+1 free too (the broker's client and controller listeners)."""
    return free_port(2)


class Broker:
    """This process's broker, started by the first test that needs it. Stopped once the
    process has no Kafka test left (tests/conftest.py: every Kafka unit is handed out before
    any later one): an idle broker still took some 2 % of a core, three of them for the rest
    of a CI run. Should a Kafka test come after all, it is started again."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.nodes: list[kb.Node] | None = None
        self.bootstrap = ""

    def ensure(self) -> str:
        if self.nodes is None:
            if not (kb.KAFKA_DIR / "lib" / "kafka_2.13-4.3.1.jar").exists():
                pytest.fail("Kafka jars missing: run 'bash deploy/setup.d/kafka.sh'")
            nodes = kb.layout(1, self.factory.mktemp("kafka-run"), _free_pair())
            self.bootstrap = kb.up(nodes)
            self.nodes = nodes
        return self.bootstrap

    def stop(self) -> None:
        nodes, self.nodes = self.nodes, None
        if nodes is not None:
            kb.down(nodes)


RUNNING: list[Broker] = []  # the session's broker, for tests/conftest.py to stop


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    held = Broker(tmp_path_factory)
    RUNNING.append(held)
    try:
        yield held
    finally:
        RUNNING.remove(held)
        held.stop()


@pytest.fixture
def kafka(broker: Broker) -> str:
    """The broker with no jatkumo topics and no worker group left by an earlier test."""
    bootstrap = broker.ensure()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        with contextlib.suppress(GroupIdNotFoundError, KafkaError):
            admin.delete_consumer_groups([APP_ID])  # a missing group: no matter
        ours = [t for t in admin.list_topics() if t.startswith(("jatkumo", APP_ID))]
        if ours:
            admin.delete_topics(ours)
        deadline = time.monotonic() + 60
        while any(t.startswith(("jatkumo", APP_ID)) for t in admin.list_topics()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"topics not deleted: {ours}")
            time.sleep(0.3)
    finally:
        admin.close()
    return bootstrap


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path
