"""How .ci/run spreads the suite over processes (tests/conftest.py): a module is one unit of
work except the zombie runs, the longest units are handed out first, and a process stops its
Kafka broker once it has no Kafka test left."""

import sys
import types

import pytest

from tests.conftest import LONGEST, pytest_runtest_setup, rank, work_unit


def test_a_module_is_one_unit_and_each_zombie_run_is_its_own() -> None:
    a = "tests/e2e/web/test_map.py::test_the_map_in_chromium[fi]"
    b = "tests/e2e/web/test_map.py::test_the_map_in_chromium[sv]"
    assert work_unit(a) == work_unit(b) == "tests/e2e/web/test_map.py"
    runs = {work_unit("tests/integration/kafka/test_zombie.py::test_a_worker_paused_past_its_"
                      f"session_timeout_is_fenced_and_the_run_equals_replay[{i}]")
            for i in range(5)}
    assert len(runs) == 5


def test_the_longest_units_come_first_and_the_rest_keep_their_order() -> None:
    ids = ["tests/unit/test_geo.py::test_a", "tests/e2e/web/test_pages.py::test_b",
           "tests/integration/kafka/test_parity.py::test_c",
           "tests/conformance/test_both_cores.py::test_d", "tests/conformance/test_edges.py::x",
           "tests/integration/kafka/test_zombie.py::test_e[0]", "tests/e2e/test_cli.py::test_f"]
    assert sorted(ids, key=rank) == [
        "tests/conformance/test_both_cores.py::test_d",
        "tests/integration/kafka/test_zombie.py::test_e[0]",
        "tests/integration/kafka/test_parity.py::test_c",
        "tests/e2e/web/test_pages.py::test_b",
        "tests/unit/test_geo.py::test_a", "tests/conformance/test_edges.py::x",
        "tests/e2e/test_cli.py::test_f"]
    assert rank("tests/unit/test_geo.py::test_a") == len(LONGEST)


class _Held:
    """A stand-in for tests/integration/kafka/conftest.py's Broker: only whether it stopped."""

    def __init__(self) -> None:
        self.stopped = 0

    def stop(self) -> None:
        self.stopped += 1


class _Item:
    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid


def test_a_process_stops_its_broker_at_its_first_test_ranked_after_kafka(
        monkeypatch: pytest.MonkeyPatch) -> None:
    held = _Held()
    monkeypatch.setitem(sys.modules, "tests.integration.kafka.conftest",
                        types.SimpleNamespace(RUNNING=[held]))
    for nodeid in ("tests/conformance/test_both_cores.py::test_d",
                   "tests/integration/kafka/test_zombie.py::test_e[0]",
                   "tests/integration/kafka/test_parity.py::test_c"):
        pytest_runtest_setup(_Item(nodeid))
    assert held.stopped == 0  # Kafka units, and the one unit ranked before them
    pytest_runtest_setup(_Item("tests/e2e/web/test_pages.py::test_b"))
    pytest_runtest_setup(_Item("tests/unit/test_geo.py::test_a"))
    assert held.stopped == 2  # (stopping a stopped broker is nothing: Broker.stop)
    monkeypatch.delitem(sys.modules, "tests.integration.kafka.conftest")
    pytest_runtest_setup(_Item("tests/unit/test_geo.py::test_a"))
