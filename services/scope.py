"""Areas of one's own: what a user may see (their scope), attached to the user and applied by
the data layer to everything they read — the way Superset's row-level security and Metabase's
data sandboxing attach a filter to the user rather than to each chart.

A scope is the whole wellbeing area, some internal areas, or some municipalities (or both
lists: a row is in scope when its area or its municipality is listed). Where it applies:

- the published cube (services/web/published.py): a scoped user gets only the cells whose
  place lies wholly inside the scope — a subset of the one jointly suppressed cube, so it
  tells nothing the cube does not;
- rows (gap rows, timelines, references, analysts' SQL): a scoped user's pages and queries
  read a database file of their own that holds only the rows of their scope
  (services/web/scopedb.py), built once per version of the data; the main file is not
  attached to it, so no name reaches another area's rows;
- alerts (services/alerts/state.py rows): filtered by the alert's area and municipality.

The scope of the request being answered travels in a context variable, set by the sign-in
middleware from the session: the cube and the reader apply it to every query a page runs,
also in pages that do not know about scopes. Background work (the alert round, /metrics)
runs outside any session and reads the whole area.

Scope (what you may see) is not focus (what you chose to look at, services/web/focus.py)."""

import contextvars
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemas.errors import ConfigError
from services.config import refuse_code

ALL = "*"  # the cube's "all" in a place key


@dataclass(frozen=True)
class Scope:
    areas: frozenset[str] = frozenset()
    municipalities: frozenset[str] = frozenset()

    @property
    def whole(self) -> bool:
        return not self.areas and not self.municipalities

    @property
    def key(self) -> str:
        """A short, stable name for caches and file names (no area names in paths)."""
        if self.whole:
            return "whole"
        text = "a:" + "|".join(sorted(self.areas)) + ";m:" + "|".join(sorted(self.municipalities))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def allows(self, area: str | None, municipality: str | None) -> bool:
        """A row (or a municipality-level cell) of this place may be seen."""
        return self.whole or area in self.areas or municipality in self.municipalities

    def allows_place(self, area: str, municipality: str) -> bool:
        """A cube cell of this place (ALL = summed over) lies wholly inside the scope: a region
        total only for the whole area, an area total only for a scope that lists the area."""
        if self.whole:
            return True
        if area == ALL:
            return False
        if municipality == ALL:
            return area in self.areas
        return self.allows(area, municipality)

    def sql(self, area_col: str, municipality_col: str) -> tuple[str, list[Any]]:
        """A WHERE condition (and its parameters) that keeps the rows of this scope."""
        if self.whole:
            return "TRUE", []
        return (f"({area_col} IN (SELECT unnest(?::VARCHAR[])) OR "
                f"{municipality_col} IN (SELECT unnest(?::VARCHAR[])))",
                [sorted(self.areas), sorted(self.municipalities)])

    def literal_sql(self, area_col: str, municipality_col: str) -> str:
        """The same condition with the values written in (for DDL, which takes no
        parameters); values are quoted as SQL strings."""
        if self.whole:
            return "TRUE"

        def values(xs: frozenset[str]) -> str:
            return ", ".join("'" + x.replace("'", "''") + "'" for x in sorted(xs)) or "NULL"
        return (f"({area_col} IN ({values(self.areas)}) OR "
                f"{municipality_col} IN ({values(self.municipalities)}))")


WHOLE = Scope()
MUNICIPALITY_CODE = re.compile(r"\d{3}")


def parse(name: str, entry: Mapping[str, Any], where: str) -> Scope:
    """A user's scope from their users-file entry: `areas = [...]` (internal areas) and/or
    `municipalities = [...]` (3-digit codes); neither is the whole wellbeing area."""
    got: dict[str, frozenset[str]] = {}
    for field in ("areas", "municipalities"):
        value = entry.get(field, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            raise ConfigError(f"user {name!r} in {where}: {field} must be a list of names")
        got[field] = frozenset(refuse_code(v.strip(), f"user {name!r} in {where}: {field}")
                               for v in value)
    bad = [m for m in got["municipalities"] if not MUNICIPALITY_CODE.fullmatch(m)]
    if bad:
        raise ConfigError(f"user {name!r} in {where}: municipalities are 3-digit codes "
                          f"(e.g. \"564\"), not {', '.join(sorted(bad))}")
    return Scope(got["areas"], got["municipalities"])


def describe(scope: Scope, lang: str) -> str:
    """The scope in words for the page header: areas, then municipalities by name."""
    from schemas.reference import municipalities  # reference data, read once

    names = municipalities()

    def name(code: str) -> str:
        m = names.get(code)
        return code if m is None else (m.name_sv if lang == "sv" and m.name_sv else m.name_fi)
    return ", ".join([*sorted(scope.areas), *sorted(name(m) for m in scope.municipalities)])


# The scope of the request being answered (set by the sign-in middleware).
CURRENT: contextvars.ContextVar[Scope] = contextvars.ContextVar("jatkumo_scope", default=WHOLE)


def current() -> Scope:
    return CURRENT.get()
