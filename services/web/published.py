"""What a manager can see, in one place: the published cube.

Every figure a manager can reach — the overview, the trend, the handoff tables, the service
map, the Gaps page and its CSV, the alert counts, /metrics without a token — is a cell of the
cube built here from the unsuppressed dash_* cells, and every marginal is summed here from
those same cells. All of it is suppressed once and jointly by analytics.disclosure, with the
threshold k of the connection variable jatkumo_suppress_below. Pages only format these cells;
a rate is computed from shown counts only (so it says nothing the counts do not).

The cube (keys; '*' is "all"):
- ("gap", type, area, municipality, service): gaps open on the as-of date, with the sums
  over services, over the municipalities of an area, and over areas;
- ("trend", month_end, type, area): gaps open at each month end from January 2021 (at least 24
  months), with the region;
- ("handoff", handoff, area, municipality, column): each handoff's cohort and its four
  statuses, by municipality, area and region (SPEC.md 4.1: one sub-cube per handoff, with no
  sum across handoffs, as two handoffs' cohorts are different contracts);
- ("transfer", handoff, month, area, column): transfers on time and late by month, by area and
  region, adding up to the handoff table's columns;
- ("in_service", day, service, area): young people in KTT or SOSKU on each month end and on
  the as-of date, with the region (the handoff story);
- ("began", handoff, type, area, "before" | "since"): gaps open now split by whether they
  began before the handoff's date, adding up to the open-gap cells;
- ("clients" | "workshops", area, municipality, service): the service map (no sums shown).

Which places are listed does not depend on the data: every configured internal area with all
its municipalities, and the unknown area OTHER ('-': every municipality outside them, and an
unknown one) as one place whose cells have municipality '*' (never one of its own).

A user with a scope (services/scope.py) gets the cells of the one cube whose place lies
wholly inside their scope, and nothing else: `Published.cube()` applies the scope of the
request at this one place, so no page can forget it. A subset of the jointly suppressed cube
tells nothing the cube does not (the cube is never suppressed again per scope: two scopes'
patterns could then be differenced). A total outside the scope (the region's, for an area's
user) is not published to them: `Cube.text` gives OUT for it; the headline figures are the
scope's own place where it is one cell (`Cube.top`).
"""

import asyncio
import dataclasses
import itertools
import os
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
import orjson

from analytics import cube_store
from analytics.disclosure import SECONDARY, WITHDRAWN, Key, Relation, Suppressed, suppress
from schemas.errors import ConfigError
from services import config
from services.config import WebSettings
from services.scope import WHOLE, Scope, current
from services.web.db import SUPPRESS_VAR, Reader
from streams.core.rules import Handoff

ALL = "*"
OUT = "–"  # a cell outside the user's scope: not published to them
# The unknown area: every municipality outside the configured internal areas (the rest of the
# country) and an unknown one. One place, always listed, never broken down by municipality:
# which of them the data has is not published (see build()).
OTHER = "-"
GAP_TYPES = ("HANDOFF_MISSING", "SERVICE_BREAK", "NO_RESPONSIBLE_WORKER", "ATTENDANCE_SILENCE",
             "REFERRAL_STALLED")
SERVICES = ("KTT", "SOSKU", "NUPA", "-")
STATUSES = ("transferred", "transferred_late", "pending", "ended_untransferred")
HANDOFF_COLS = ("cohort", *STATUSES)
TRANSFER_COLS = ("transferred", "transferred_late")
TREND_MONTHS = 24  # at least; the story reaches back to STORY_FROM
STORY_FROM = date(2021, 1, 1)
STORY_SERVICES = ("KTT", "SOSKU")


def area_word(area: str, say: Callable[[str], str]) -> str:
    """An area of the cube in the reader's words (`say` translates a key): the region, the
    one place of the unknown area, or the area's own name. Pages, charts and CSVs all name
    areas through this."""
    return say("all_areas") if area == ALL else say("area_other") if area == OTHER else area

QUERIES = {
    "k": f"SELECT coalesce(TRY_CAST(getvariable('{SUPPRESS_VAR}') AS INTEGER), 5)",
    "as_of": "SELECT max(as_of_date) FROM as_of",
    "gaps": "SELECT month_end, gap_type, internal_area, municipality, municipality_name, "
            "service, n FROM dash_gap_cells",
    "handoff": "SELECT handoff, internal_area, municipality, municipality_name, status, "
               "transferred_month, n FROM dash_handoff_cells",
    "story": "SELECT kind, day, key, internal_area, n FROM dash_story_cells",
    "service": "SELECT internal_area, municipality, municipality_name, service, "
               "producer_kinds, clients, workshops FROM dash_service_cells",
    # the configured internal areas' municipalities: the Gaps page's places whatever the data
    "places": "SELECT internal_area, code, name_fi FROM municipalities "
              "WHERE internal_area IS NOT NULL",
}


@dataclass
class HandoffPart:
    """What one handoff's sub-cube holds: its places and transfer months, and its
    configuration where known (a handoff found only in the data has no date here)."""
    name: str
    areas: list[str] = field(default_factory=list)
    munis: dict[str, list[str]] = field(default_factory=dict)
    months: list[str] = field(default_factory=list)
    first_day: date | None = None  # C_H
    grace_days: int = 14
    services: tuple[str, ...] = ()
    from_kind: str = ""
    to_kind: str = ""


@dataclass
class Cube:
    """The published cube: texts of suppressed cells, and the lists of places, months and
    services that say which cells exist (a cell not listed is 0)."""
    k: int
    as_of: date | None
    cells: Suppressed
    areas: list[str]
    munis: dict[str, list[str]]  # area -> municipality codes with an open gap
    names: dict[str, str]
    gap_services: dict[str, list[str]]  # municipality -> services
    trend_months: list[date]
    handoffs: dict[str, "HandoffPart"]  # configured order first, then any others in the data
    story_days: list[date] = field(default_factory=list)  # month ends and the as-of date
    map_rows: list[dict[str, Any]] = field(default_factory=list)
    scope: Scope = WHOLE

    def text(self, *key: object) -> str:
        return self.cells.shown(tuple(key)) if self.in_scope(key) else OUT

    def value(self, *key: object) -> int | None:
        return self.cells.value(tuple(key)) if self.in_scope(key) else None

    # --- the scope -------------------------------------------------------------------------
    def in_scope(self, key: Key) -> bool:
        """The cell's place (its area and municipality, ALL where summed) lies wholly inside
        the scope."""
        if self.scope.whole:
            return True
        if not isinstance(key, tuple) or not key:
            return False
        place = _place(key)
        return place is not None and self.scope.allows_place(str(place[0]), str(place[1]))

    def scoped(self, scope: Scope) -> "Cube":
        """The cells of `scope` only, with the lists of places cut to it."""
        if scope.whole:
            return self
        ok = scope.allows_place
        h_munis = [ms for h in self.handoffs.values() for ms in h.munis.items()]

        def area_seen(a: str) -> bool:
            return ok(a, ALL) or any(ok(a, m) for m in self.munis.get(a, [])) or any(
                ok(a, m) for area, ms in h_munis if area == a for m in ms)

        def part(h: HandoffPart) -> HandoffPart:
            return dataclasses.replace(
                h, areas=[a for a in h.areas if area_seen(a)],
                munis={a: [m for m in ms if ok(a, m)] for a, ms in h.munis.items()
                       if area_seen(a)})
        munis = {a: [m for m in ms if ok(a, m)] for a, ms in self.munis.items() if area_seen(a)}
        handoffs = {n: part(h) for n, h in self.handoffs.items()}
        seen = {m for ms in munis.values() for m in ms} | {
            m for h in handoffs.values() for ms in h.munis.values() for m in ms}
        cube = dataclasses.replace(
            self, scope=scope, cells=Suppressed(self.cells.k, {}),
            areas=[a for a in self.areas if area_seen(a)], munis=munis,
            names={m: n for m, n in self.names.items() if m in seen},
            gap_services={m: s for m, s in self.gap_services.items() if m in seen},
            handoffs=handoffs,
            map_rows=[r for r in self.map_rows if ok(r["area_key"], r["municipality"])])
        cube.cells = Suppressed(self.cells.k, {key: v for key, v in self.cells.text.items()
                                               if cube.in_scope(key)})
        return cube

    def top(self) -> tuple[str, str] | None:
        """The place whose totals are the scope's own: the region for the whole area, the
        area or municipality of a scope of one; None for a scope of several (their sum is
        not a cell of the cube)."""
        if self.scope.whole:
            return (ALL, ALL)
        if len(self.scope.areas) == 1 and not self.scope.municipalities:
            return (next(iter(self.scope.areas)), ALL)
        if len(self.scope.municipalities) == 1 and not self.scope.areas:
            m = next(iter(self.scope.municipalities))
            for a, ms in self.munis.items():
                if m in ms:
                    return (a, m)
        return None

    def _top_area(self) -> str:
        """The area key of the scope's own totals by area (trend, story): ALL for the whole
        area, the area of a one-area scope; else ALL, which is then not in scope (OUT)."""
        top = self.top()
        return top[0] if top is not None and top[1] == ALL else ALL

    def _totals(self, areas: list[str]) -> list[str]:
        """ALL and `areas`, those whose totals are in scope."""
        return [a for a in (ALL, *areas) if self.scope.allows_place(a, ALL)]

    # --- what the pages show -------------------------------------------------------------
    def open_now(self) -> list[dict[str, Any]]:
        top = self.top()
        return [{"gap_type": t,
                 "open_gaps": self.text("gap", t, *top, ALL) if top is not None else OUT}
                for t in GAP_TYPES]

    def gap_rows(self, gap_type: str = "", area: str = "", municipality: str = ""
                 ) -> list[dict[str, Any]]:
        """Every published open-gap cell that is not 0, totals first: the region, each area,
        each municipality, then its services; the unknown area's services beneath it (it is
        one place)."""
        out: list[dict[str, Any]] = []
        for t in GAP_TYPES:
            if gap_type and t != gap_type:
                continue
            places: list[tuple[str, str, str]] = [(ALL, ALL, ALL)]
            for a in self.areas:
                places.append((a, ALL, ALL))
                if a == OTHER:
                    places += [(a, ALL, s) for s in SERVICES]
                for m in self.munis.get(a, []):
                    places.append((a, m, ALL))
                    places += [(a, m, s) for s in self.gap_services.get(m, [])]
            for a, m, s in places:
                if (area and a != area) or (municipality and m != municipality):
                    continue
                if not self.scope.allows_place(a, m):
                    continue
                shown = self.text("gap", t, a, m, s)
                if shown != "0":
                    out.append({"gap_type": t, "internal_area": a, "municipality": m,
                                "municipality_name": self.names.get(m, "") if m != ALL else "",
                                "service": s, "gaps": shown})
        return out

    def trend(self) -> list[tuple[date, str, dict[str, str]]]:
        """(month end, area or '*', {type: text}) for each month end and the as-of date."""
        out = []
        for m in self.trend_months:
            for a in self._totals(self.areas):
                out.append((m, a, {t: self.text("trend", m.isoformat(), t, a)
                                   for t in GAP_TYPES}))
        if self.as_of is not None:
            for a in self._totals(self.areas):
                out.append((self.as_of, a, {t: self.text("gap", t, a, ALL, ALL)
                                            for t in GAP_TYPES}))
        return out

    # --- the handoffs (SPEC.md 4.1): one sub-cube each ----------------------------------
    def handoff_part(self, handoff: str = "") -> "HandoffPart":
        """The handoff of that name, else the first (the default page shows the first)."""
        if handoff in self.handoffs:
            return self.handoffs[handoff]
        return next(iter(self.handoffs.values()), HandoffPart(""))

    def handoff_places(self, handoff: str = "") -> list[dict[str, Any]]:
        h = self.handoff_part(handoff)
        rows: list[dict[str, Any]] = []
        places = [(ALL, ALL, 3)]
        for a in h.areas:
            places.append((a, ALL, 1))
            places += [(a, m, 0) for m in sorted(h.munis.get(a, []),
                                                 key=lambda m: self.names.get(m, m))]
        for a, m, level in places:
            if not self.scope.allows_place(a, m):
                continue
            rows.append({"internal_area": None if a == ALL else a,
                         "municipality": None if m == ALL else m,
                         "municipality_name": self.names.get(m) if m != ALL else None,
                         "level": level,
                         **{c: self.text("handoff", h.name, a, m, c) for c in HANDOFF_COLS}})
        return rows

    def transfers(self, handoff: str = "") -> list[dict[str, Any]]:
        """Transfers by month and area, with the cumulative share of the cohort transferred,
        where the shown counts determine it (all months up to it shown, or the column total
        and all later months shown): a function of shown counts, so it tells nothing more."""
        h = self.handoff_part(handoff)
        rows: list[dict[str, Any]] = []
        for a in self._totals(h.areas):
            cohort = self.value("handoff", h.name, a, ALL, "cohort")
            totals = [self.value("handoff", h.name, a, ALL, c) for c in TRANSFER_COLS]
            per = [[self.value("transfer", h.name, m, a, c) for c in TRANSFER_COLS]
                   for m in h.months]
            for i, m in enumerate(h.months):
                done = _cumulative(per, totals, i)
                pct = (round(100.0 * done / cohort, 1) if done is not None and cohort
                       else None)
                rows.append({"month": m, "internal_area": None if a == ALL else a,
                             **{c: self.text("transfer", h.name, m, a, c)
                                for c in TRANSFER_COLS},
                             "transferred_pct": pct})
        return rows

    # --- the story (issue 13 point 1) ------------------------------------------------------
    def in_service(self) -> list[tuple[date, str, dict[str, str]]]:
        """(day, area or '*', {service: text}) for each month end and the as-of date."""
        return [(d, a, {s: self.text("in_service", d.isoformat(), s, a)
                        for s in STORY_SERVICES})
                for d in self.story_days for a in self._totals(self.areas)]

    def began(self, handoff: str = "") -> list[dict[str, Any]]:
        """Gaps open now by type and area, split by whether they began before the handoff's
        date (empty when the handoff's date is not configured)."""
        h = self.handoff_part(handoff)
        if h.first_day is None:
            return []
        return [{"gap_type": t, "internal_area": a,
                 "all": self.text("gap", t, a, ALL, ALL),
                 "before": self.text("began", h.name, t, a, "before"),
                 "since": self.text("began", h.name, t, a, "since")}
                for t in GAP_TYPES for a in self._totals(self.areas)]

    def headline_in_service(self) -> list[dict[str, Any]]:
        """Young people in KTT and SOSKU on the as-of date, the month end before and the
        change (from shown cells only), as headline() for the gaps."""
        if len(self.story_days) < 2:
            return []
        now_d, prev_d = self.story_days[-1].isoformat(), self.story_days[-2].isoformat()
        out: list[dict[str, Any]] = []
        top = self._top_area()
        for svc in STORY_SERVICES:
            now = self.value("in_service", now_d, svc, top)
            before = self.value("in_service", prev_d, svc, top)
            out.append({"service": svc, "now": self.text("in_service", now_d, svc, top),
                        "previous": self.text("in_service", prev_d, svc, top),
                        "change": (now - before if now is not None and before is not None
                                   else None)})
        return out

    def headline(self) -> list[dict[str, Any]]:
        """Open gaps now by type, with the previous month end's figure and the change: a
        difference of two shown cells (none where either is hidden)."""
        prev = self.trend_months[-1].isoformat() if self.trend_months else None
        out: list[dict[str, Any]] = []
        top = self._top_area()
        for t in GAP_TYPES:
            now = self.value("gap", t, top, ALL, ALL)
            before = self.value("trend", prev, t, top) if prev else None
            out.append({"gap_type": t, "now": self.text("gap", t, top, ALL, ALL),
                        "previous": self.text("trend", prev, t, top) if prev else "–",
                        "change": (now - before if now is not None and before is not None
                                   else None)})
        return out

    def alert_counts(self) -> list[dict[str, Any]]:
        """Firing alerts (= open gaps) by area and type: the same cells as the Gaps page."""
        return [{"internal_area": a, **{t: self.text("gap", t, a, ALL, ALL)
                                        for t in GAP_TYPES}}
                for a in self._totals(self.areas)]


def _place(key: tuple[Any, ...]) -> tuple[Any, Any] | None:
    """The (area, municipality) of a cell's key, ALL where summed; None for a kind of cell
    this does not know (which is then not shown to a scoped user: fail closed)."""
    kind, n = key[0], len(key)
    if kind == "gap" and n == 5:  # gap, type, area, municipality, service
        return key[2], key[3]
    if kind == "trend" and n == 4:  # trend, month end, type, area
        return key[3], ALL
    if kind == "handoff" and n == 5:  # handoff, name, area, municipality, column
        return key[2], key[3]
    if kind == "transfer" and n == 5:  # transfer, name, month, area, column
        return key[3], ALL
    if kind == "in_service" and n == 4:  # in_service, day, service, area
        return key[3], ALL
    if kind == "began" and n == 5:  # began, name, type, area, before | since
        return key[3], ALL
    if kind in ("clients", "workshops") and n == 4:  # kind, area, municipality, service
        return key[1], key[2]
    return None


def _cumulative(per: list[list[int | None]], totals: list[int | None], i: int) -> int | None:
    upto = [v for row in per[:i + 1] for v in row]
    if all(v is not None for v in upto):
        return sum(v for v in upto if v is not None)
    later = [v for row in per[i + 1:] for v in row]
    if all(v is not None for v in (*totals, *later)):
        return sum(v for v in totals if v is not None) - sum(v for v in later if v is not None)
    return None


def build(con: duckdb.DuckDBPyConnection, handoffs: tuple[Handoff, ...] = (),
          k: int | None = None) -> Cube:
    """Read the unsuppressed cells, sum the marginals from them, suppress all at once.
    `handoffs` is the configuration (SPEC.md 4.1): its order and dates; `k` the threshold
    (by default the connection's variable, which the dashboard sets)."""
    got = {name: _read(con, name, sql, handoffs) for name, sql in QUERIES.items()}
    k = int(got["k"][0][0]) if k is None else int(k)
    as_of: date | None = got["as_of"][0][0] if got["as_of"] else None
    counts: dict[Key, int] = defaultdict(int)
    rels: list[Relation] = []
    names: dict[str, str] = {}

    # Open gaps now: type x area x municipality x service, summed up the place hierarchy.
    # Every municipality of an internal area, and every service of a municipality, has its
    # cells whatever the data. Listed only where some gap was open, a place or a service whose
    # cells all read '0' or '–' told a reader that one of its '–' was at least 1: an attack
    # pinned three counts that way at k = 3 (2026-12-04). A zero is a row only where its sum's
    # small cells are withdrawn, as '–': on the demo region the page is the same at k = 5 and
    # 4 rows longer at k = 10 (more on a file of a few clients, where most sums are small).
    # The unknown area OTHER is one place with every service, always listed: its
    # municipalities are the rest of the country, which no configuration names, and listing
    # those the data had said that someone there had an open gap (_places_of).
    munis = _places_of(got["places"], names)
    services: dict[str, set[str]] = {m: set(SERVICES) for ms in munis.values() for m in ms}
    trend_rows = [r for r in got["gaps"] if r[0] is not None]
    for month_end, t, a, m, name, s, n in got["gaps"]:
        if month_end is not None:
            continue
        if a == OTHER:
            m = ALL
        else:
            munis[a].add(m)
            services.setdefault(m, set(SERVICES)).add(s)
            names.setdefault(m, name or m)
        counts[("gap", t, a, m, s)] += n
    areas = _area_order(munis)
    trend_areas = _area_order({*areas, *(r[2] for r in trend_rows),
                               *(r[3] for r in got["story"] if r[0] == "in_service")})
    for t in GAP_TYPES:
        for a in areas:
            if a == OTHER:
                rels.append(Relation(("gap", t, a, ALL, ALL),
                                     tuple(("gap", t, a, ALL, s) for s in SERVICES)))
                continue
            for m in sorted(munis[a]):
                rels.append(Relation(("gap", t, a, m, ALL),
                                     tuple(("gap", t, a, m, s) for s in sorted(services[m]))))
            rels.append(Relation(("gap", t, a, ALL, ALL),
                                 tuple(("gap", t, a, m, ALL) for m in sorted(munis[a]))))
        rels.append(Relation(("gap", t, ALL, ALL, ALL),
                             tuple(("gap", t, a, ALL, ALL) for a in trend_areas)))

    # The trend: open at each month end by type and area, with the region.
    months = _month_ends(as_of)
    for m_end, t, a, _, _, _, n in trend_rows:
        counts[("trend", m_end.isoformat(), t, a)] += n
    for m_end in months:
        for t in GAP_TYPES:
            rels.append(Relation(("trend", m_end.isoformat(), t, ALL),
                                 tuple(("trend", m_end.isoformat(), t, a) for a in trend_areas)))

    parts = _handoff_cells(got["handoff"], handoffs, counts, rels, names, munis, as_of)
    story_days = _story_cells(got["story"], as_of, months, parts, trend_areas, counts, rels)
    within = _began_within_trend(months, parts, trend_areas, counts, rels)
    within += _open_within_trend(got["story"], months, areas, counts, rels)

    # The service map: every configured municipality's every service, and the unknown area's,
    # whatever the data. Listed only where someone was in service, a cell was known to be at
    # least 1: an area's total withdrawn ('–', 0 to k-1) over k-1 listed municipalities pinned
    # each at 1 (an attack, 2026-12-05: 9 of 26 simulated files at k = 5).
    map_rows, map_cells = _map_listing(got["service"], munis, names, counts)
    map_rels = map_relations(map_cells)
    linked, unpublished = area_services(counts, [("clients", *c) for c in map_cells], as_of,
                                        {r.parent for r in map_rels},
                                        {key for r in rels for key in (r.parent, *r.children)})
    unpublished += within
    rels += map_rels + linked
    _sum_up(counts, rels)
    # every group exactly checked (analytics.exact): the rounds alone hid the whole region
    # row of a handoff on the demo region, the story the overview is there to tell; they
    # see the map's table (an area's clients by municipality and service, with the
    # overview's KTT and SOSKU) one sum at a time; and their bounds are weaker than an LP's
    cells = suppress(dict(counts), rels, k, unpublished=unpublished, exact=True)
    _tie_workshops(cells, map_cells)
    # every mapping in a fixed order (the queries' rows come in any order): the stored cube
    # is the same bytes at every build
    cube = Cube(k=k, as_of=as_of, cells=cells, areas=trend_areas,
                munis={a: sorted(ms, key=lambda m: (names.get(m, m), m))
                       for a, ms in sorted(munis.items())},
                names=dict(sorted(names.items())),
                gap_services={m: sorted(s, key=lambda x: (x not in SERVICES, SERVICES.index(x)
                                                          if x in SERVICES else 0, x))
                              for m, s in sorted(services.items())},
                trend_months=months, handoffs=parts, story_days=story_days)
    cube.map_rows = _map(cube, map_rows)
    return cube


def _map_listing(rows: list[Any], munis: dict[str, set[str]], names: dict[str, str],
                 counts: dict[Key, int]) -> tuple[list[dict[str, Any]],
                                                  list[tuple[str, str, str]]]:
    """The service map's rows and cells (area, municipality, service): each configured
    municipality with every service, and the unknown area OTHER as one place with every
    service, whatever the data (`rows`: the `service` query's). Their counts go to
    `counts`."""
    got: dict[tuple[str, str, str], tuple[int, int, set[str]]] = {}
    for a, m, name, s, kinds, clients, workshops in rows:
        if s is None:  # a configured municipality with nobody in service: listed below
            continue
        key = (OTHER, ALL, s) if a is None else (a, m, s)
        if a is not None:
            names.setdefault(m, name or m)
        c, w, ks = got.get(key, (0, 0, set()))
        got[key] = (c + clients, w + workshops, ks | set(kinds or []))
    places = [(a, m) for a in _area_order(munis) if a != OTHER for m in sorted(munis[a])]
    map_rows: list[dict[str, Any]] = []
    cells: list[tuple[str, str, str]] = []
    for a, m in (*places, (OTHER, ALL)):
        for s in config.SERVICES:
            clients, workshops, kinds = got.get((a, m, s), (0, 0, set()))
            counts[("clients", a, m, s)] = clients
            counts[("workshops", a, m, s)] = workshops
            cells.append((a, m, s))
            map_rows.append({"internal_area": None if a == OTHER else a, "area_key": a,
                             "municipality": m,
                             "municipality_name": "" if a == OTHER else names.get(m, m),
                             "service": s, "producer_kinds": sorted(kinds)})
    # in a fixed order (the query's is not): the cube is the same at every build
    map_rows.sort(key=lambda r: (r["area_key"], r["municipality"], r["service"]))
    return map_rows, cells


def _tie_workshops(cells: Suppressed, map_cells: list[tuple[str, str, str]]) -> None:
    """A place's workshops of a service are counted over its young people in it (a workshop
    with none there is not counted), so a reader knows 1 <= workshops <= clients where
    someone is there and 0 where no one is. Where the clients are withdrawn ('–', 0 to
    k-1), the workshops are too: a shown 0 or a '<k' beside them said which of an area's
    withdrawn cells were 0 and which at least 1, as the listing did. (Where the clients
    are '<k', the workshops are '<k' by themselves.) Where the clients are '..' (at least k),
    a workshop count shown there said more: the clients were at least that many, and a
    place's total less them pinned its '<k' (a hunt, 2026-12-06: Pyhäntä's 6 SOSKU workshops
    beside its '..' young people in SOSKU, 7 in service, and KTT '<5': KTT was 1). Such a
    count is '..' too: at least k, which the clients' '..' says already."""
    for a, m, s in map_cells:
        clients = cells.text.get(("clients", a, m, s))
        if clients == WITHDRAWN:
            cells.text[("workshops", a, m, s)] = WITHDRAWN
        elif clients == SECONDARY and cells.text.get(("workshops", a, m, s), "0").isdigit():
            cells.text[("workshops", a, m, s)] = SECONDARY


def area_services(counts: dict[Key, int], listed: list[tuple[str, str, str, str]],
                  as_of: date | None, sums: set[Key],
                  shown: set[Key]) -> tuple[list[Relation], list[Key]]:
    """Sums no page shows that published figures determine all the same (relations, and the
    unpublished cells they add; analytics/disclosure.py). Per area and service, the map's
    clients of the area's municipalities add up to ("clients", area, '*', service): for KTT
    and SOSKU on the as-of date that is the overview's young people in service there (the
    same people; a focused overview shows the map's cell under the overview's words), and
    over the services it is the area's clients the map shows. Unlinked, an attack derived
    hidden municipalities from the area's figures: the area's total less its shown
    municipalities, and NUPA as the area's clients less KTT and SOSKU (2026-12-03). The
    overview's figure is linked where the two agree, which they do by construction.
    `listed`: the map's cells ("clients", area, municipality, service); `sums`: the map's own
    sums (map_relations), of which an area's clients are linked here too; `shown`: the
    cells of the other relations, the overview's young people in service among them (a 0
    too: one left out as no count of the story's said that Lakeus had 0 in SOSKU, and the
    area's 7 less its KTT's 5 pinned Tyrnävä's NUPA, withdrawn, at 2: 2026-12-05). The unknown area
    OTHER is one place: its cell of a service is its total (linked where the overview's
    figure is the same), and no sum over its services is shown."""
    day = None if as_of is None else as_of.isoformat()
    parts: dict[tuple[str, str], list[Key]] = defaultdict(list)
    for key in listed:
        _, a, _, svc = key
        parts[(a, svc)].append(key)
    rels: list[Relation] = []
    unpublished: list[Key] = []
    by_area: dict[str, list[Key]] = defaultdict(list)
    for (a, svc), kids in sorted(parts.items()):
        total: Key = ("in_service", day, svc, a)  # the overview's, when it is the same sum
        same = total in shown and counts.get(total, 0) == sum(counts[c] for c in kids)
        if a == OTHER:  # one place: its cell is the area's own, the same as the overview's
            if same:
                rels.append(Relation(total, tuple(kids)))
            continue
        if not same:
            total = ("clients", a, ALL, svc)
            unpublished.append(total)
        by_area[a].append(total)
        rels.append(Relation(total, tuple(sorted(kids, key=repr))))
    for a, totals in sorted(by_area.items()):
        if ("clients", a, ALL, ALL) in sums:  # the map's area sum (not of '-')
            rels.append(Relation(("clients", a, ALL, ALL), tuple(totals)))
    return rels, unpublished


def map_relations(services: list[tuple[str, str, str]]) -> list[Relation]:
    """The choropleth's denominators (services/web/pages/service_map.py), summed from the
    cube's own cells: ("clients", area, municipality | '*', '*') = young people in service over
    services, and over the municipalities of a named internal area (not OTHER, the unknown
    area, one place the map does not draw: no sum over it is shown). Suppressed jointly with
    everything else.

    The numerators add no sum: a place's open gaps over all types are the sum of its five
    type cells, shown only where all five are (an extra total over types, published beside
    small type counts, let the LP audit pin them, and linked the five types' sums into one
    group that took five times as long to protect on a national file)."""
    rels: list[Relation] = []
    by_place: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a, m, s in sorted(set(services)):
        by_place[(a, m)].append(s)
    place_areas: dict[str, list[str]] = defaultdict(list)
    for (a, m), ss in sorted(by_place.items()):
        if a == OTHER:
            continue
        rels.append(Relation(("clients", a, m, ALL), tuple(("clients", a, m, s) for s in ss)))
        place_areas[a].append(m)
    for a, ms in sorted(place_areas.items()):
        rels.append(Relation(("clients", a, ALL, ALL),
                             tuple(("clients", a, m, ALL) for m in ms)))
    return rels


def _read(con: duckdb.DuckDBPyConnection, name: str, sql: str,
          handoffs: tuple[Handoff, ...]) -> list[Any]:
    """One query's rows. A file replayed before the story (its dash_* tables stored without
    the handoff column or dash_story_cells) still serves: with no story cells, and its one
    handoff's cells under the first configured name (such a file has only `2023`)."""
    try:
        return con.execute(sql).fetchall()
    except (duckdb.CatalogException, duckdb.BinderException):
        if name in ("story", "places"):
            return []
        if name == "handoff":
            first = handoffs[0].name if handoffs else "2023"
            rows = con.execute(sql.replace("SELECT handoff, ", "SELECT ")).fetchall()
            return [(first, *r) for r in rows]
        raise


def _places_of(rows: list[Any], names: dict[str, str]) -> dict[str, set[str]]:
    """The places listed whatever the data: each configured internal area with its
    municipalities (the `places` query; `names` gets their names), and the unknown area
    OTHER, which has none of its own (it is one place)."""
    munis: dict[str, set[str]] = defaultdict(set)
    for a, m, name in rows:
        munis[a].add(m)
        names.setdefault(m, name or m)
    munis[OTHER] = set()
    return munis


def _area_order(areas: Iterable[str]) -> list[str]:
    """The areas by name, the unknown area last (the rest of the country, after one's own)."""
    return sorted(set(areas), key=lambda a: (a == OTHER, a))


def _handoff_cells(rows: list[Any], handoffs: tuple[Handoff, ...], counts: dict[Key, int],
                   rels: list[Relation], names: dict[str, str],
                   places: dict[str, set[str]], as_of: date | None = None
                   ) -> dict[str, HandoffPart]:
    """Each handoff's sub-cube: place x status (with the cohort), and transfers by month and
    area. No relation joins two handoffs: nothing published sums over them. Each lists every
    place of `places` (the Gaps page's: every configured area's municipalities, and the
    unknown area as one place) whatever its cohort: a municipality listed only where a
    contract was to be handed over said that its cohort was at least 1, withdrawn or not.
    Likewise every month from the handoff's to the as-of date's is listed, transfers in it or
    not: a month listed only where some contract was transferred said its '–' cells held at
    least one (a hunt, 2026-12-06). (A transfer dated before the handoff's month lists its
    month: such a month is there only because of it.)"""
    parts = {h.name: HandoffPart(h.name, first_day=h.date, grace_days=h.grace_days,
                                 from_kind=h.from_kind, to_kind=h.to_kind,
                                 services=tuple(s for s in SERVICES if s in h.services))
             for h in handoffs}
    h_munis: dict[str, dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set, {a: set(ms) for a, ms in places.items()}))
    t_months: dict[str, set[str]] = defaultdict(set)
    for h, a, m, name, status, month, n in rows:
        parts.setdefault(h, HandoffPart(h))
        if a == OTHER:
            m = ALL
        else:
            h_munis[h][a].add(m)
            names.setdefault(m, name or m)
        counts[("handoff", h, a, m, status)] += n
        if status in TRANSFER_COLS:
            mk = month.isoformat()[:7] if month else "?"
            counts[("transfer", h, mk, a, status)] += n
            t_months[h].add(mk)
    for h, part in parts.items():
        munis = h_munis[h]
        part.areas = _area_order(munis)
        part.munis = {a: sorted(ms) for a, ms in sorted(munis.items())}
        part.months = sorted(t_months[h] | _months_between(part.first_day, as_of))
        for a in part.areas:
            for m in sorted(munis[a]):
                rels.append(Relation(("handoff", h, a, m, "cohort"),
                                     tuple(("handoff", h, a, m, s) for s in STATUSES)))
        for a in (*part.areas, ALL):
            rels.append(Relation(("handoff", h, a, ALL, "cohort"),
                                 tuple(("handoff", h, a, ALL, s) for s in STATUSES)))
        for c in (*STATUSES, "cohort"):
            for a in part.areas:
                if a != OTHER:  # one place: no municipality beneath it
                    rels.append(Relation(("handoff", h, a, ALL, c), tuple(
                        ("handoff", h, a, m, c) for m in sorted(munis[a]))))
            rels.append(Relation(("handoff", h, ALL, ALL, c),
                                 tuple(("handoff", h, a, ALL, c) for a in part.areas)))
        for c in TRANSFER_COLS:
            for mk in part.months:
                rels.append(Relation(("transfer", h, mk, ALL, c),
                                     tuple(("transfer", h, mk, a, c) for a in part.areas)))
            for a in (*part.areas, ALL):
                rels.append(Relation(("handoff", h, a, ALL, c),
                                     tuple(("transfer", h, mk, a, c) for mk in part.months)))
    return parts


def _story_cells(rows: list[Any], as_of: date | None, months: list[date],
                 parts: dict[str, HandoffPart], areas: list[str], counts: dict[Key, int],
                 rels: list[Relation]) -> list[date]:
    """Young people in KTT and SOSKU by day and area (with the region), and the gaps open now
    split at each configured handoff's date (adding up to the open-gap cells). Returns the
    story's days: the month ends and the as-of date."""
    # no rows at all: a file replayed before the story (not a region with no one in service)
    days = [*months, *([as_of] if as_of is not None else [])] if rows else []
    began: dict[tuple[str, str], list[tuple[date, int]]] = defaultdict(list)
    for kind, day, key, a, n in rows:
        if kind == "in_service":
            counts[("in_service", day.isoformat(), key, a)] += n
        elif kind == "open_started":
            began[(key, a)].append((day, n))
    for d in days:
        for svc in STORY_SERVICES:
            rels.append(Relation(("in_service", d.isoformat(), svc, ALL),
                                 tuple(("in_service", d.isoformat(), svc, a) for a in areas)))
    for h in parts.values():
        if h.first_day is None:
            continue
        # A gap begun in the handoff's month but before its day counts as 'since' when the
        # date is not a first of the month (the cells are by month); handoffs fall on a 1st.
        for (t, a), got in began.items():
            before = sum(n for m, n in got if _month_after(m) <= h.first_day)
            counts[("began", h.name, t, a, "before")] += before
            counts[("began", h.name, t, a, "since")] += sum(n for _, n in got) - before
        for t in GAP_TYPES:
            for a in areas:
                rels.append(Relation(("gap", t, a, ALL, ALL),
                                     (("began", h.name, t, a, "before"),
                                      ("began", h.name, t, a, "since"))))
            for side in ("before", "since"):
                rels.append(Relation(("began", h.name, t, ALL, side),
                                     tuple(("began", h.name, t, a, side) for a in areas)))
            # and the region's two parts add up to the region's open gaps, which is shown
            rels.append(Relation(("gap", t, ALL, ALL, ALL),
                                 (("began", h.name, t, ALL, "before"),
                                  ("began", h.name, t, ALL, "since"))))
    return days


def _began_within_trend(months: list[date], parts: dict[str, HandoffPart], areas: list[str],
                        counts: dict[Key, int], rels: list[Relation]) -> list[Key]:
    """What a reader knows of the 'began' cells without a published sum: a gap open now that
    began before a handoff's month was open at every month end from the one before that
    month on (an open gap has no end), so an area's 'before' count is at most its trend
    count at each such month end. Unstated, an attack pinned counts with it (2026-12-05: a
    '<5' as 4 from the trend's hidden areas, which add up to 6, and a '..' as 5 under a
    trend of 5). Stated as trend = before + an unpublished rest (>= 0), which the
    suppression and its exact check then take in; so is an earlier handoff's 'before' within a
    later one's. Returns the rests' keys."""
    rests: list[Key] = []
    for h in parts.values():
        if h.first_day is None:
            continue
        first = h.first_day.replace(day=1) - timedelta(days=1)  # cf. _story_cells' split
        for m_end in (m for m in months if m >= first):
            day = m_end.isoformat()
            for t in GAP_TYPES:
                for a in areas:
                    _within(("trend", day, t, a), ("began", h.name, t, a, "before"),
                            counts.get(("began", h.name, t, a, "before"), 0),
                            ("began_rest_trend", h.name, day, t, a), counts, rels, rests)
    # and what began before an earlier handoff's month began before a later one's
    # (two handoffs in one month split alike: the same cells, stated as equal; a rest >= 0
    # there published one table's '–' as the other's 0, a review found)
    dated = sorted((h.first_day.replace(day=1), h.name) for h in parts.values() if h.first_day)
    for (m1, h1), (m2, h2) in itertools.combinations(dated, 2):
        for t in GAP_TYPES:
            for a in areas:
                early: Key = ("began", h1, t, a, "before")
                late: Key = ("began", h2, t, a, "before")
                if m1 == m2 and counts.get(late, 0) == counts.get(early, 0):
                    rels.append(Relation(late, (early,)))
                elif m1 < m2:  # (a tag of its own: a handoff may be named like a date, and
                    # a review found such rests colliding with the trend's)
                    _within(late, early, counts.get(early, 0),
                            ("began_rest_pair", h1, h2, t, a), counts, rels, rests)
    return rests


def _open_within_trend(rows: list[Any], months: list[date], areas: list[str],
                       counts: dict[Key, int], rels: list[Relation]) -> list[Key]:
    """Another fact a reader knows: a gap open on the as-of date is longer than its type's
    threshold, so it began on or before that many days back; when that day is on or before
    a month end of the trend (an as-of date in the first weeks of a month, as in live mode),
    each area's gaps open now were open then too: open now <= trend there. Unstated, an
    attack pinned counts with it on 6 of 14 files replayed to mid-month dates (2026-12-05).
    Stated where the data has it (every open gap of the type began in a month up to that
    month end's), which holds wherever a reader can know it. Returns the rests' keys."""
    latest: dict[str, date] = {}  # the latest month an open gap of a type began in
    now: dict[tuple[str, str], int] = defaultdict(int)
    for kind, day, t, a, n in rows:
        if kind == "open_started" and n:
            latest[t] = max(latest.get(t, day), day)
            now[(t, a)] += n
    rests: list[Key] = []
    for m_end in months:
        for t in GAP_TYPES:
            if t not in latest or latest[t] > m_end:
                continue
            for a in areas:
                _within(("trend", m_end.isoformat(), t, a), ("gap", t, a, ALL, ALL),
                        now[(t, a)], ("open_rest", m_end.isoformat(), t, a), counts, rels,
                        rests)
    return rests


def _within(whole: Key, part: Key, part_count: int, rest: Key, counts: dict[Key, int],
            rels: list[Relation], rests: list[Key]) -> None:
    """State `part` within `whole` as whole = part + rest, the rest an unpublished cell (>= 0).
    `part_count` is given: a total is not summed up yet when this is stated. Where the counts
    say otherwise (they cannot: the same gaps by the same area), nothing is stated."""
    left = counts.get(whole, 0) - part_count
    if left >= 0:
        counts[rest] = left
        rests.append(rest)
        rels.append(Relation(whole, (part, rest)))


def _month_after(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def _sum_up(counts: dict[Key, int], rels: list[Relation]) -> None:
    """Fill every total from its parts (the cube's cells), bottom-up: a total is never read
    from anywhere else, so all published figures agree with the cells."""
    children = {r.parent: r.children for r in rels}
    done: dict[Key, int] = {}

    def total(key: Key) -> int:
        if key in done:
            return done[key]
        v = sum(total(c) for c in children[key]) if key in children else counts.get(key, 0)
        done[key] = v
        return v

    for r in rels:  # a total in two sums (by place, by month) is the same either way
        counts[r.parent] = total(r.parent)


def _months_between(first: date | None, last: date | None) -> set[str]:
    """'YYYY-MM' of every month from `first`'s to `last`'s (none if either is unknown)."""
    if first is None or last is None:
        return set()
    out, month = set(), first.replace(day=1)
    while month <= last:
        out.add(month.isoformat()[:7])
        month = (month + timedelta(days=32)).replace(day=1)
    return out


def _month_ends(as_of: date | None) -> list[date]:
    """The month ends before the as-of date's month, back to STORY_FROM's month or
    TREND_MONTHS back, whichever is earlier (as dash_gap_cells and dash_story_cells)."""
    if as_of is None:
        return []
    first = as_of.replace(day=1)
    out: list[date] = []
    while len(out) < TREND_MONTHS or first > STORY_FROM:
        end = first - timedelta(days=1)
        out.append(end)
        first = end.replace(day=1)
    return sorted(out)


def _map(cube: Cube, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Service map rows: suppressed clients and workshops; gaps per 100 active clients from
    shown counts only (every gap type's cell and the clients shown), else none."""
    # A local workshop: yes where a workshop cell of the place says at least 1 ('<k', '..',
    # a count), no where every one reads 0, else not published (None): beside withdrawn
    # clients the workshops are '–' too. Read from the published texts only.
    said: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        said[r["municipality"]].add(cube.text("workshops", r["area_key"], r["municipality"],
                                              r["service"]))
    local = {m: True if any(t not in ("0", WITHDRAWN) for t in texts)
             else False if texts == {"0"} else None for m, texts in said.items()}
    out = []
    for r in rows:
        a, m, s = r["area_key"], r["municipality"], r["service"]
        clients = cube.value("clients", a, m, s) if s is not None else 0
        gaps = [cube.value("gap", t, a, m, s) for t in GAP_TYPES] if s else []
        rate = None
        if s is not None and clients and all(g is not None for g in gaps):
            rate = round(100.0 * sum(g for g in gaps if g is not None) / clients, 1)
        out.append({**r, "has_local_workshop": True if a == OTHER else local[m],  # not a place
                    "producer_kinds": _kinds(cube, r),
                    "active_clients": cube.text("clients", a, m, s) if s else "0",
                    "workshops": cube.text("workshops", a, m, s) if s else "0",
                    "gaps_per_100": rate})
    return out


def _kinds(cube: Cube, row: dict[str, Any]) -> list[str]:
    """A row's producer kinds where they tell a reader nothing the counts do not hide: each
    kind listed is at least one workshop there, so at least one young person. Beside hidden
    clients ('<k', '–') they said a '–' was at least 1, or raised a '<k' to the number of
    kinds (three kinds: 3 to k-1). Beside a hidden workshop count ('<k') they are listed only
    while fewer than k-2: as many as k-1 pinned it, and so did a '–' for them where only
    k-1 would be hidden (there are four kinds: at k = 5, '–' said 4). Now a '–' there says
    at least k-2, which leaves two counts. Elsewhere the clients are shown or known to be at
    least k ('..'), and so is a workshop count that is not hidden."""
    key = (row["area_key"], row["municipality"], row["service"])
    kinds: list[str] = row["producer_kinds"]
    clients = cube.text("clients", *key)
    if clients.startswith("<") or clients == WITHDRAWN:
        return []
    if cube.text("workshops", *key).startswith("<") and len(kinds) >= cube.k - 2:
        return []
    return kinds


# --- the cube stored by the writer (analytics/cube_store.py) ---------------------------------
# The suppression's version, stored with a cube: one stored by an earlier version is built
# again, not served (a file replayed before the began/trend relations kept a pattern an
# attack had pinned counts in, 2026-12-05). Changed whenever a pattern may change.
SUPPRESSION_VERSION = 6


def handoffs_key(handoffs: tuple[Handoff, ...]) -> str:
    """The handoff configuration a cube was built with, as stored beside it: a cube built
    with other handoffs (their order, dates or grace), or by another version of the
    suppression, is not this configuration's."""
    return orjson.dumps([SUPPRESSION_VERSION, *([h.name, h.date.isoformat(), h.grace_days,
                                                sorted(h.services), h.from_kind, h.to_kind]
                                               for h in handoffs)]).decode()


def stored_form(cube: Cube) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    """The cube as the file keeps it: its layout (lists of places, months, handoffs, map
    rows) and the text of every cell. Only published texts: no hidden count is stored."""
    layout = {
        "k": cube.k, "as_of": cube.as_of.isoformat() if cube.as_of else None,
        "areas": cube.areas, "munis": cube.munis, "names": cube.names,
        "gap_services": cube.gap_services,
        "trend_months": [d.isoformat() for d in cube.trend_months],
        "handoffs": [{**dataclasses.asdict(h), "services": list(h.services),
                      "first_day": h.first_day.isoformat() if h.first_day else None}
                     for h in cube.handoffs.values()],
        "story_days": [d.isoformat() for d in cube.story_days], "map_rows": cube.map_rows}
    cells = {tuple(str(p) for p in key): text for key, text in cube.cells.text.items()
             if isinstance(key, tuple)}
    return layout, cells


def from_stored(layout: dict[str, Any], cells: dict[tuple[str, ...], str]) -> Cube:
    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    parts = {h["name"]: HandoffPart(**{**h, "services": tuple(h["services"]),
                                      "first_day": day(h["first_day"])})
             for h in layout["handoffs"]}
    k = int(layout["k"])
    text: dict[Key, str] = {key: shown for key, shown in cells.items()}
    return Cube(k=k, as_of=day(layout["as_of"]), cells=Suppressed(k, text),
                areas=layout["areas"], munis=layout["munis"], names=layout["names"],
                gap_services=layout["gap_services"],
                trend_months=[date.fromisoformat(d) for d in layout["trend_months"]],
                handoffs=parts, story_days=[date.fromisoformat(d) for d in layout["story_days"]],
                map_rows=layout["map_rows"])


def writer_k() -> int:
    """The threshold the dashboard will use (JATKUMO_SUPPRESS_BELOW), for a writer storing the
    cube; a bad value leaves 5 (serve refuses it, so no stored cube of it is ever read). Only
    this setting is read: a wrong web setting of another kind left 5 too (a review)."""
    try:
        return config.suppress_threshold(os.environ)
    except ConfigError:
        return WebSettings.suppress_below


def store(con: duckdb.DuckDBPyConnection, handoffs: tuple[Handoff, ...],
          k: int | None = None) -> Cube:
    """Build the cube from the relations on the writer's connection and store it there: the
    caller holds the transaction (or the lock) in which those relations were written."""
    k = writer_k() if k is None else k
    cube = build(con, handoffs, k)
    layout, cells = stored_form(cube)
    cube_store.write(con, k, handoffs_key(handoffs), layout, cells)
    return cube


def load(con: duckdb.DuckDBPyConnection, handoffs: tuple[Handoff, ...],
         k: int | None = None) -> Cube | None:
    """The cube the writer stored in the file, if it is for k (by default the connection's)
    and these handoffs and the file still holds what it was built from; else None."""
    if k is None:
        row = con.execute(QUERIES["k"]).fetchone()
        k = int(row[0]) if row else WebSettings.suppress_below
    got = cube_store.read(con, k, handoffs_key(handoffs))
    return None if got is None else from_stored(*got)


def ensure_stored(con: duckdb.DuckDBPyConnection,
                  handoffs: tuple[Handoff, ...] | None = None) -> bool:
    """For a writer between two of its transactions (the live snapshot, a closing sink):
    store the cube in a transaction of its own unless the stored one is current (the writers
    invalidate it whenever they change the relations). Returns whether it was built."""
    handoffs = configured_handoffs() if handoffs is None else handoffs
    k = writer_k()
    if load(con, handoffs, k) is not None:
        return False
    con.begin()
    try:
        store(con, handoffs, k)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return True


class Published:
    """The cube of one reader, built once per version of the data and threshold (building
    it takes a fraction of a second on a national file) and shared by every page and
    /metrics."""

    def __init__(self, reader: Reader, handoffs: tuple[Handoff, ...] | None = None) -> None:
        self.reader = reader
        self.handoffs = configured_handoffs() if handoffs is None else handoffs
        self._lock = threading.Lock()
        self._cache: tuple[object, Cube] | None = None
        self._scoped: dict[str, tuple[object, Cube]] = {}
        self.source = ""  # where the last cube came from: "stored" (the file) or "built"

    def cube_sync(self, scope: Scope | None = None) -> Cube:
        """The cube for `scope`, by default the current request's (services/scope.py):
        the one place where the scope filter applies to published figures."""
        scope = scope or current()
        whole = self._whole_sync()
        if scope.whole:
            return whole
        with self._lock:
            got = self._scoped.get(scope.key)
            if got is None or got[0] is not whole:
                got = self._scoped[scope.key] = (whole, whole.scoped(scope))
            return got[1]

    def _whole_sync(self) -> Cube:
        stamp = self.reader.stamp() if self.reader.stamp else None
        with self._lock:
            if stamp is not None and self._cache is not None and self._cache[0] == stamp:
                return self._cache[1]
            con = self.reader.connect()  # the main file: the cube is of the whole area
            try:
                # the writer's cube when the file has one for this k and these handoffs
                cube = load(con, self.handoffs)
                self.source = "stored" if cube is not None else "built"
                if cube is None:
                    cube = build(con, self.handoffs)
            finally:
                con.close()
            if stamp is not None:
                self._cache = (stamp, cube)
            return cube

    def clear(self) -> None:
        """Forget the cube (bench/pages.py times cold views)."""
        with self._lock:
            self._cache = None
            self._scoped.clear()

    async def cube(self, scope: Scope | None = None) -> Cube:
        return await asyncio.to_thread(self.cube_sync, scope or current())


def configured_handoffs() -> tuple[Handoff, ...]:
    """The handoffs of this process's configuration (JATKUMO_HANDOFFS, which `serve
    --handoffs` sets; JATKUMO_CUTOVER; else the 2023 one). A bad file leaves the labels to
    the data: serve has already refused it where it matters (replay, ingest)."""
    try:
        return config.load().rules.handoffs
    except ConfigError:
        return ()


_BY_READER: "weakref.WeakKeyDictionary[Reader, Published]" = weakref.WeakKeyDictionary()
_REG_LOCK = threading.Lock()


def of(reader: Reader) -> Published:
    """The one Published of a reader (the pages and /metrics share it)."""
    with _REG_LOCK:
        p = _BY_READER.get(reader)
        if p is None:
            p = _BY_READER[reader] = Published(reader)
        return p
