"""Where the synthetic young people live: municipalities weighted by population, grouped into
wellbeing areas (and, in North Ostrobothnia, the region's six internal areas).

Populations outside North Ostrobothnia are rough public figures (2022, rounded) used only to
weight synthetic data: the largest towns by name, the rest of each region shared evenly."""

import unicodedata
from dataclasses import dataclass
from functools import cache

from schemas.reference import municipalities

REGION_POPULATION = {
    "01": 1_720_000, "02": 483_000, "04": 214_000, "05": 170_000, "06": 530_000,
    "07": 205_000, "08": 162_000, "09": 127_000, "10": 131_000, "11": 248_000,
    "12": 163_000, "13": 275_000, "14": 191_000, "15": 176_000, "16": 68_000,
    "17": 415_000, "18": 71_000, "19": 176_000,
}
TOWN_POPULATION = {
    "Helsinki": 658_000, "Espoo": 305_000, "Vantaa": 240_000, "Kerava": 38_000,
    "Tampere": 244_000, "Turku": 195_000, "Jyväskylä": 146_000, "Kuopio": 122_000,
    "Lahti": 120_000, "Pori": 83_000, "Kouvola": 80_000, "Joensuu": 77_000,
    "Lappeenranta": 73_000, "Hämeenlinna": 68_000, "Vaasa": 68_000, "Seinäjoki": 65_000,
    "Rovaniemi": 64_000, "Mikkeli": 52_000, "Porvoo": 51_000, "Kotka": 51_000, "Salo": 51_000,
    "Kokkola": 48_000, "Hyvinkää": 47_000, "Lohja": 46_000, "Järvenpää": 45_000,
    "Nurmijärvi": 44_000, "Kirkkonummi": 40_000, "Rauma": 39_000, "Tuusula": 39_000,
    "Kajaani": 36_000, "Nokia": 35_000, "Kaarina": 35_000, "Kangasala": 33_000,
    "Ylöjärvi": 33_000, "Savonlinna": 32_000, "Vihti": 29_000, "Riihimäki": 28_000,
    "Raasepori": 27_000, "Imatra": 25_000, "Raisio": 24_000, "Lempäälä": 24_000,
    "Sipoo": 22_000, "Mäntsälä": 21_000, "Lieto": 20_000, "Kemi": 20_000, "Tornio": 21_000,
    "Iisalmi": 21_000, "Varkaus": 20_000, "Valkeakoski": 21_000, "Sastamala": 24_000,
    "Pietarsaari": 19_000, "Loviisa": 14_500, "Kauniainen": 10_000, "Hanko": 8_000,
}
# Uusimaa is four wellbeing areas plus the City of Helsinki (Act 615/2021).
UUSIMAA_SPLIT = {
    "Itä-Uusimaa": ("Askola", "Lapinjärvi", "Loviisa", "Myrskylä", "Porvoo", "Pukkila",
                    "Sipoo"),
    "Keski-Uusimaa": ("Hyvinkää", "Järvenpää", "Mäntsälä", "Nurmijärvi", "Pornainen",
                      "Tuusula"),
    "Länsi-Uusimaa": ("Espoo", "Hanko", "Inkoo", "Karkkila", "Kauniainen", "Kirkkonummi",
                      "Lohja", "Raasepori", "Siuntio", "Vihti"),
    "Vantaa-Kerava": ("Vantaa", "Kerava"),
    "Helsinki": ("Helsinki",),
}
ALAND = "21"


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str
    population: int
    local_area: str  # internal area in North Ostrobothnia, else the wellbeing area's name


@dataclass(frozen=True, slots=True)
class Area:
    name: str
    slug: str
    places: tuple[Place, ...]

    @property
    def organizer(self) -> str:
        return f"wellbeing_area:{self.slug}"

    @property
    def population(self) -> int:
        return sum(p.population for p in self.places)


def slug(name: str) -> str:
    """'Etelä-Pohjanmaa' -> 'etela-pohjanmaa': organiser ids are ASCII."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(ascii_.lower().replace("–", "-").split())


def _places(names: list[tuple[str, str]], total: int) -> list[tuple[str, str, int]]:
    """(code, name, population): named towns get their figure, the others share the rest."""
    known = sum(TOWN_POPULATION.get(n, 0) for _, n in names)
    rest = [c for c, n in names if n not in TOWN_POPULATION]
    share = max(1_000, (total - known) // max(1, len(rest)))
    return [(c, n, TOWN_POPULATION.get(n, share)) for c, n in names]


@cache
def region(name: str = "pohjois-pohjanmaa") -> Area:
    """North Ostrobothnia with its internal areas (the only region with its own CSV)."""
    if name != "pohjois-pohjanmaa":
        raise ValueError(f"unknown region {name!r}")
    ms = municipalities()
    places = tuple(
        Place(m.code, m.name_fi, m.population or 1_000, m.internal_area or "Oulu")
        for m in sorted(ms.values(), key=lambda m: m.code) if m.region_code == "17"
    )
    return Area("Pohjois-Pohjanmaa", "pohjois-pohjanmaa", places)


@cache
def national() -> tuple[Area, ...]:
    """Every wellbeing area of mainland Finland plus Helsinki (Åland has none)."""
    by_region: dict[str, list[tuple[str, str]]] = {}
    region_name: dict[str, str] = {}
    for m in sorted(municipalities().values(), key=lambda m: m.code):
        if m.region_code != ALAND:
            by_region.setdefault(m.region_code, []).append((m.code, m.name_fi))
            region_name[m.region_code] = m.region_name_fi
    areas: list[Area] = []
    for code in sorted(by_region):
        if code == "17":
            areas.append(region())
            continue
        pops = _places(by_region[code], REGION_POPULATION[code])
        if code == "01":
            for area_name, members in UUSIMAA_SPLIT.items():
                chosen = [p for p in pops if p[1] in members]
                areas.append(Area(area_name, slug(area_name),
                                  tuple(Place(c, n, pop, area_name) for c, n, pop in chosen)))
            continue
        name = region_name[code]
        areas.append(Area(name, slug(name), tuple(Place(c, n, p, name) for c, n, p in pops)))
    return tuple(areas)
