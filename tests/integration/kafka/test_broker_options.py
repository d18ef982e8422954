"""Attacks on the broker's JVM options as jatkumo composes them (services.kafka_broker
.java_options): values that pass the settings' check (a heap as -Xmx, -XX options only) but
that java refuses for the broker, whose heap is now held from the start (-Xms as -Xmx). A
broker that cannot start says so at once, with java's own words in its log, and leaves no
process behind: it never waits out the readiness timeout."""

from pathlib import Path

import pytest

from schemas.errors import JatkumoError
from services import kafka_broker as kb
from tests.integration.kafka.conftest import _free_pair


@pytest.mark.parametrize(("env", "java_says"), [
    # an initial heap under the minimum -Xms now sets: the undo the README first gave
    ({"JATKUMO_KAFKA_JIT": "-XX:InitialHeapSize=64m"}, "Incompatible minimum and initial"),
    # a heap no machine has, held from the start
    ({"JATKUMO_KAFKA_HEAP": "-Xmx9999999g"}, "heap"),
])
def test_a_broker_java_refuses_fails_at_once_with_its_words_and_nothing_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
        java_says: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    nodes = kb.layout(1, tmp_path / "run", _free_pair())
    try:
        with pytest.raises(JatkumoError) as refused:
            kb.up(nodes, timeout=60)
        # told at once, not after the timeout: that error says it did not answer
        assert "did not answer" not in str(refused.value)
        assert kb.running_pid(nodes[0]) is None
        logs = "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*.log"))
        said = str(refused.value) + logs
        assert java_says.lower() in said.lower(), said[-2000:]
    finally:
        kb.down(nodes)
