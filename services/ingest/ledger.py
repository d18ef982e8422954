"""SPEC.md 1.4 for a driver that takes events one batch at a time and keeps them all: which
version under each event id is taken, which are duplicates, which are conflicting losers.
Pure: the embedded mode feeds it, and a restart feeds it the stored log again, in any order,
to the same end (the version taken is a maximum, streams.core.event_ids)."""

from dataclasses import dataclass, field
from enum import Enum

from streams.core.event_ids import Version, beats


class Verdict(Enum):
    TAKEN = "taken"  # the first version, or one that beats the version taken so far
    DUPLICATE = "duplicate"  # identical to a version already seen
    LOSER = "loser"  # another content that the taken version beats: a data issue


@dataclass
class Ledger:
    taken: dict[str, Version] = field(default_factory=dict)
    # event id -> canonical texts of the losing versions (rare: only source errors)
    losers: dict[str, dict[str, Version]] = field(default_factory=dict)

    def see(self, event_id: str, v: Version) -> tuple[Verdict, Version | None]:
        """The verdict on a version, and the version it dethroned (to be taken back), if any."""
        current = self.taken.get(event_id)
        if current is None:
            self.taken[event_id] = v
            return Verdict.TAKEN, None
        known = self.losers.get(event_id, {})
        if v.canonical == current.canonical or v.canonical in known:
            return Verdict.DUPLICATE, None
        if beats(v, current):
            self.taken[event_id] = v
            self.losers.setdefault(event_id, {})[current.canonical] = current
            return Verdict.TAKEN, current
        self.losers.setdefault(event_id, {})[v.canonical] = v
        return Verdict.LOSER, None

    def losers_of(self, client: str) -> list[str]:
        """Event ids of which a losing version belongs to `client`, once per losing content."""
        return sorted(eid for eid, vs in self.losers.items()
                      for v in vs.values() if v.client == client)
