"""The private members of faust, mode and aiokafka that the worker relies on (streams/batching.py,
streams/tables.py, streams/app.py, services/worker.py) are there, in the versions pinned in
pyproject.toml. An upgrade that renames one fails here, by name, instead of in a live worker
(issue 14: faust and aiokafka are pinned exactly for this reason)."""

import inspect
from importlib import metadata

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.consumer import subscription_state
from faust.tables import recovery
from faust.transport import consumer as faust_consumer
from faust.transport.drivers import aiokafka as driver
from mode import worker as mode_worker

PINNED = {"faust-streaming": "0.15.3", "aiokafka": "0.14.0", "mode-streaming": "0.7.1"}

# (class, members it must have as attributes)
CLASS_MEMBERS = [
    (driver.AIOKafkaConsumerThread, ("_create_worker_consumer", "_ensure_consumer",
                                     "call_thread")),
    (driver.Consumer, ("_drain_messages", "_wait_next_records", "_to_message", "_add_gap",
                       "_new_consumer_thread", "consumer_stopped_errors", "wait_first",
                       "commit", "highwater")),
    (driver.Transport, ("Consumer",)),
    (recovery.Recovery, ("active_remaining",)),
    (mode_worker.Worker, ("_shutdown_loop", "execute_from_commandline")),
]
# (module, "self.NAME" assignments its source must hold: attributes set in __init__)
INSTANCE_MEMBERS = [
    (faust_consumer, ("_read_offset", "_buffered_partitions", "_unacked_messages", "_n_acked",
                      "_commit_every", "_waiting_for_ack", "_active_partitions", "callback")),
    (recovery, ("active_offsets", "active_highwaters")),
    (mode_worker, ("_signal_stop_time",)),
]


@pytest.mark.parametrize("name", sorted(PINNED))
def test_the_pinned_versions_are_installed(name: str) -> None:
    assert metadata.version(name) == PINNED[name], (
        f"{name} {metadata.version(name)} is installed, {PINNED[name]} is pinned: check every "
        "member listed in this file against the new version before moving the pin")


@pytest.mark.parametrize(("cls", "names"), CLASS_MEMBERS, ids=lambda c: getattr(c, "__name__", ""))
def test_the_classes_have_the_members_we_use(cls: type, names: tuple[str, ...]) -> None:
    missing = [n for n in names if not hasattr(cls, n)]
    assert not missing, f"{cls.__module__}.{cls.__qualname__} has no {missing}"


@pytest.mark.parametrize(("module", "names"), INSTANCE_MEMBERS,
                         ids=lambda m: getattr(m, "__name__", ""))
def test_the_instances_get_the_attributes_we_use(module: object, names: tuple[str, ...]) -> None:
    source = inspect.getsource(module)  # type: ignore[arg-type]
    missing = [n for n in names if f"self.{n} =" not in source and f"self.{n}:" not in source]
    assert not missing, f"{module} no longer sets {missing}"


def test_aiokafka_consumer_internals() -> None:
    """What BatchConsumerThread sets before the consumer starts, and the position that
    BatchConsumer._position reads."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def make() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1")

    # A thread of its own: earlier tests in the same process (the browser's sync API) may
    # leave an event loop marked running in this one, where asyncio.run refuses to start.
    with ThreadPoolExecutor(1) as pool:
        cons = pool.submit(asyncio.run, make()).result()
    for name in ("_fetch_max_wait_ms", "_isolation_level", "_subscription"):
        assert hasattr(cons, name), f"AIOKafkaConsumer has no {name}"
    assert hasattr(subscription_state.SubscriptionState, "subscription")
    assert hasattr(subscription_state.Assignment, "state_value")
    assert "self._position" in inspect.getsource(subscription_state.TopicPartitionState)
