"""A real single-node Apache Kafka broker (deploy/kafka) for the whole session, on free
loopback ports; each test starts from empty jatkumo topics and no worker group."""

import contextlib
import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient
from kafka.errors import GroupIdNotFoundError, KafkaError

from services import kafka_broker as kb
from streams.app import APP_ID

pytestmark = pytest.mark.kafka


def _free_pair() -> int:
    """A port P with P+1 free too (client and controller listeners), below the kernel's
    ephemeral range. A pair from bind(0) lies inside that range, and in the seconds before
    the broker's JVM binds it, an outgoing connection of another test process (the suite runs
    in several, full of Kafka clients) took its source port there: CI saw the broker die with
    "Address already in use". Below the range only a listener that asks for a port by number
    can take it, and the random pick keeps the suite's processes apart."""
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(20000, low - 2)
        try:
            with socket.socket() as s, socket.socket() as s2:
                s.bind(("127.0.0.1", port))
                s2.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no two adjacent free ports on 127.0.0.1 between 20000 and {low}")


def _ephemeral_low() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        return max(int(text.split()[0]), 20100)
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (kb.KAFKA_DIR / "lib" / "kafka_2.13-4.3.1.jar").exists():
        pytest.fail("Kafka jars missing: run 'bash deploy/setup.d/kafka.sh'")
    nodes = kb.layout(1, tmp_path_factory.mktemp("kafka-run"), _free_pair())
    bootstrap = kb.up(nodes)
    try:
        yield bootstrap
    finally:
        kb.down(nodes)


@pytest.fixture
def kafka(broker: str) -> str:
    """The broker with no jatkumo topics and no worker group left by an earlier test."""
    admin = KafkaAdminClient(bootstrap_servers=broker)
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
    return broker


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path
