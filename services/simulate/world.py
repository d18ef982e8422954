"""The fixed setting of a run: window, handoffs, areas with their producers and workers, and the
municipalities that kept signing KTT after the cutover. Built once from the seed."""

import bisect
import random
from itertools import accumulate

from services.simulate.config import SimConfig, SimHandoff
from services.simulate.geography import Area, Place, national, region
from services.simulate.workshops import AreaSupply


class World:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        first, last = config.window
        self.start, self.end = first.toordinal(), last.toordinal()
        self.cutover = config.cutover.toordinal()
        self.handoffs: tuple[SimHandoff, ...] = config.handoffs
        areas = national() if config.scale == "national" else (region(config.region),)
        self.supplies = [AreaSupply(a, config.seed) for a in areas]
        self._by_slug = {s.area.slug: s for s in self.supplies}
        self._area_cum = list(accumulate(a.population for a in areas))
        self._place_cum = [list(accumulate(p.population for p in a.places)) for a in areas]
        rng = random.Random(f"{config.seed}/stubborn")
        rate = config.rate("municipal_ktt_after_cutover")
        # Membership only (never iterated), so a set keeps the output deterministic.
        self.stubborn = {p.code for a in areas for p in a.places if rng.random() < rate}
        for a in areas:  # and one more per area, likelier a bigger one
            if rate > 0:
                cum = list(accumulate(p.population for p in a.places))
                self.stubborn.add(a.places[bisect.bisect_right(cum, rng.random() * cum[-1])].code)
        self.hetus: set[str] = set()

    def home(self, rng: random.Random) -> tuple[AreaSupply, Place]:
        """A municipality of residence, weighted by population."""
        i = bisect.bisect_right(self._area_cum, rng.random() * self._area_cum[-1])
        cum = self._place_cum[i]
        j = bisect.bisect_right(cum, rng.random() * cum[-1])
        supply = self.supplies[i]
        return supply, supply.area.places[j]

    def supply_of(self, area: Area) -> AreaSupply:
        return self._by_slug[area.slug]

    def responsible(self, service: str, day: int) -> str | None:
        """responsible(s, d) of SPEC.md 4.1: the kind that organises `service` on `day`."""
        kind = None
        for h in self.handoffs:  # in date order
            if service in h.services and h.day <= day:
                kind = h.to_kind
        return kind

    def organizer(self, service: str, day: int, plan_home: Place, area: Area) -> str:
        """Whom a contract of `service` starting on `day` is signed with, done right."""
        if self.responsible(service, day) == "wellbeing_area":
            return area.organizer
        return f"municipality:{plan_home.code}"
