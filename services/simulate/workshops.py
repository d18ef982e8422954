"""Producers and workers of one wellbeing area: municipal and third-sector youth workshops in the
municipalities that have them (≈ 90 % do), a few companies, the area's own units, and the social
workers of each organiser. Built once per area from the seed, so every client draws from the
same, stable set."""

import bisect
import random
from dataclasses import dataclass
from itertools import accumulate

from services.simulate.geography import Area, Place, slug
from services.simulate.ids import business_id


@dataclass(frozen=True, slots=True)
class Producer:
    id: str
    kind: str  # municipal, third_sector, wellbeing_area, company
    municipality: str
    source: str  # the system that sends its contract and attendance events

    def as_payload(self) -> dict[str, str]:
        return {"id": self.id, "kind": self.kind, "municipality": self.municipality}


class Weighted:
    """Choose among items by weight with one random number and a bisection."""

    def __init__(self, items: list[Producer], weights: list[int]) -> None:
        self.items = items
        self.cum = list(accumulate(weights))

    def pick(self, rng: random.Random) -> Producer:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


class AreaSupply:
    """Who can serve a young person living in a given municipality of the area."""

    def __init__(self, area: Area, seed: int) -> None:
        rng = random.Random(f"{seed}/workshops/{area.slug}")
        self.area = area
        self.by_kind: dict[str, list[tuple[Producer, Place]]] = {
            "municipal": [], "third_sector": [], "company": [], "wellbeing_area": []}
        for place in area.places:
            tag = slug(place.name).upper()
            n_municipal = 1 + place.population // 80_000
            if place.population < 10_000 and rng.random() > 0.8:
                n_municipal = 0  # small municipalities without a workshop of their own
            for i in range(n_municipal):
                self._add("municipal", f"PAJA-{tag}-{i + 1}", place)
            n_third = place.population // 60_000 + (rng.random() < 0.2)
            for i in range(n_third):
                self._add("third_sector", f"YHDISTYS-{tag}-{i + 1}", place)
        biggest = max(area.places, key=lambda p: p.population)
        for kind, tag in (("municipal", "PAJA"), ("third_sector", "YHDISTYS")):
            if not self.by_kind[kind]:  # every area has at least one of each
                self._add(kind, f"{tag}-{slug(biggest.name).upper()}-1", biggest)
        for _ in range(2):
            self._add("company", f"YRITYS-{business_id(rng)}", biggest)
        self._add("wellbeing_area", f"HVA-{area.slug.upper()}-KUNTOUTUS", biggest)
        self._choosers: dict[tuple[str, str], Weighted] = {}
        self.workers = self._worker_pools()

    def _add(self, kind: str, ident: str, place: Place) -> None:
        producer = Producer(ident, kind, place.code, f"workshop:{ident}")
        self.by_kind[kind].append((producer, place))

    def producer(self, rng: random.Random, kind: str, home: Place) -> Producer:
        """A producer of this kind near home: in the municipality, else in its local area, else
        anywhere in the wellbeing area, weighted by the producer municipality's population."""
        key = (kind, home.code)
        chooser = self._choosers.get(key)
        if chooser is None:
            options = self.by_kind[kind] or self.by_kind["third_sector"]
            near = ([o for o in options if o[1].code == home.code]
                    or [o for o in options if o[1].local_area == home.local_area] or options)
            chooser = Weighted([p for p, _ in near], [pl.population for _, pl in near])
            self._choosers[key] = chooser
        return chooser.pick(rng)

    def _worker_pools(self) -> dict[str, tuple[str, ...]]:
        pools: dict[str, tuple[str, ...]] = {}
        for place in self.area.places:
            n = max(2, place.population // 10_000)
            pools[f"municipality:{place.code}"] = tuple(
                f"sw-{place.code}-{i:02d}" for i in range(1, n + 1))
        n = max(5, self.area.population // 8_000)
        pools[self.area.organizer] = tuple(
            f"sw-{self.area.slug}-{i:03d}" for i in range(1, n + 1))
        return pools

    def worker(self, rng: random.Random, organizer: str, not_this: str | None = None) -> str:
        pool = self.workers[organizer]
        choice = pool[rng.randrange(len(pool))]
        if choice == not_this:  # a change of worker is a different person
            choice = pool[(pool.index(choice) + 1) % len(pool)]
        return choice
