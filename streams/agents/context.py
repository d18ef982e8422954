"""What the agents share: settings, the door's key, topics, the table, and the as-of clock."""

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiokafka.partitioner import murmur2

from streams import topics
from streams.core import Rules

log = logging.getLogger("jatkumo.worker")


class AsOfClock:
    """The date every evaluation uses: fixed (parity with replay), today (live: moved by the
    daily refresh), or the latest effective date seen (historical data being caught up)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.fixed = None if mode in ("latest", "today") else date.fromisoformat(mode)
        self.latest = 0  # ordinal

    def see(self, day: int) -> None:
        self.latest = max(self.latest, day)

    def current(self) -> date:
        if self.fixed is not None:
            return self.fixed
        if self.mode == "latest" and self.latest:
            return date.fromordinal(self.latest)
        return date.today()


@dataclass
class Context:
    app: Any
    topics: topics.Topics
    table: Any
    rules: Rules
    key: bytes | None  # pseudonym key of the door
    clock: AsOfClock
    partitions: int
    batch_size: int = 2000
    batch_within: float = 0.1  # seconds: the latency a batch may add
    refresh_seconds: float = 30.0
    refreshed_as_of: date | None = field(default=None)

    def owned(self) -> set[int]:
        """Partitions of jatkumo.events this worker holds now."""
        return {tp.partition for tp in self.app.consumer.assignment()
                if tp.topic == topics.EVENTS}

    def partition_of(self, key: bytes) -> int:
        return int(murmur2(key) & 0x7FFFFFFF) % self.partitions
