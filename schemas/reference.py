"""Reference data shipped with jatkumo: municipality codes valid in 2023 and the internal areas
of North Ostrobothnia. Loaded lazily once; nothing reads files at import time."""

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str
    name_fi: str
    name_sv: str
    region_code: str
    region_name_fi: str
    internal_area: str | None  # North Ostrobothnia's six areas; None elsewhere
    population: int | None


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("schemas").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


_area_overrides: dict[str, str] = {}


def use_internal_areas(areas: dict[str, str]) -> None:
    """Replace the default municipality -> internal area mapping for the listed municipalities
    (the region's default is built from its sub-regions and is meant to be adjusted)."""
    unknown = sorted(set(areas) - set(municipalities()))
    if unknown:
        raise ValueError(f"unknown municipality codes in the area mapping: {', '.join(unknown)}")
    _area_overrides.clear()
    _area_overrides.update(areas)
    municipalities.cache_clear()


@cache
def municipalities() -> dict[str, Municipality]:
    """Every Finnish municipality valid in 2023, by three-digit code."""
    areas = {r["code"]: r for r in _rows("north-ostrobothnia.csv")}
    out: dict[str, Municipality] = {}
    for r in _rows("municipalities-2023.csv"):
        area = areas.get(r["code"])
        out[r["code"]] = Municipality(
            code=r["code"], name_fi=r["name_fi"], name_sv=r["name_sv"],
            region_code=r["region_code"], region_name_fi=r["region_name_fi"],
            internal_area=_area_overrides.get(r["code"], area["internal_area"] if area else None),
            population=int(area["population_approx"]) if area else None,
        )
    return out


def is_municipality(code: str) -> bool:
    return code in municipalities()


def internal_area(code: str) -> str | None:
    m = municipalities().get(code)
    return m.internal_area if m else None
