"""Events per second per token: a token bucket. A request takes as many tokens as it has
events; one that finds too few is answered 429 with the seconds until there are enough."""

import math
import time
from dataclasses import dataclass, field


@dataclass
class Bucket:
    level: float
    stamp: float


@dataclass
class RateLimit:
    per_second: float = 2_000.0
    burst_seconds: float = 10.0  # a bucket holds this many seconds of events
    buckets: dict[str, Bucket] = field(default_factory=dict)

    @property
    def capacity(self) -> float:
        return self.per_second * self.burst_seconds

    def take(self, who: str, events: int, now: float | None = None) -> float:
        """0 when the events may pass (and are counted), else the seconds to wait."""
        now = time.monotonic() if now is None else now
        b = self.buckets.get(who)
        if b is None:
            b = self.buckets[who] = Bucket(self.capacity, now)
        b.level = min(self.capacity, b.level + (now - b.stamp) * self.per_second)
        b.stamp = now
        if events <= b.level:
            b.level -= events
            return 0.0
        return max(1.0, math.ceil((events - b.level) / self.per_second))
