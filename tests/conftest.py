"""Shared fixtures: paths, and helpers to build events in tests.

And how the suite is spread over processes when it runs under pytest-xdist (.ci/run:
`-n 3 --dist loadscope`): every test module is one unit of work, so its module- and
session-scoped fixtures (a replayed file, a served dashboard, a browser) are built once, in the
process that runs it. A module's tests never run in two processes at once. Each process that
runs a Kafka test starts its own broker (tests/integration/kafka/conftest.py), so the Kafka
modules stay as isolated from each other as in one process. The zombie runs are a unit each:
every run starts from empty topics and its own seed, and five in a row would be the one long
unit that finishes last. Units run longest first (LONGEST), so no long one starts at the end."""

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

KAFKA = "tests/integration/kafka/"
# Work units that take minutes, longest first (CI's --durations): started first under xdist.
LONGEST = (
    "tests/conformance/test_both_cores.py",  # the whole conformance suite on the Python core
    "tests/integration/kafka/test_zombie.py",
    KAFKA,
    "tests/e2e/web/test_every_page.py",  # one crawl: every page, fi/sv/en, each role, axe
    "tests/e2e/web/",
)
SPLIT = ("tests/integration/kafka/test_zombie.py",)  # modules whose tests are a unit each


@pytest.fixture
def root() -> Path:
    return ROOT


def work_unit(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    return nodeid if module in SPLIT else module


def rank(nodeid: str) -> int:
    return next((i for i, prefix in enumerate(LONGEST) if nodeid.startswith(prefix)),
                len(LONGEST))


@pytest.hookimpl(optionalhook=True)  # a run without pytest-xdist still collects
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `--dist loadscope`, the scope of a test is its work unit (work_unit), handed out
    in the order the workers collected them (longest first, below), not by size. (xdist's
    loadgroup marks do not group under pytest 9: it renames a node's old `_nodeid`.)"""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False
    return ByWorkUnit(config, log)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test ranked after every Kafka unit: this process runs no Kafka test any more (units
    are handed out in rank order), so its broker stops (tests/integration/kafka/conftest.py;
    started again should one come after all)."""
    if rank(item.nodeid) > rank(KAFKA):
        held = sys.modules.get("tests.integration.kafka.conftest")
        for broker in getattr(held, "RUNNING", ()):
            broker.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: the longest units first
        items.sort(key=lambda item: rank(item.nodeid))  # stable: a module keeps its order
