"""The truth of a simulated young person: every gap, violation and handoff status jatkumo must
find, derived from what the simulator wrote (the plan after emit) by SPEC.md's rules, and each
gap and violation labelled with its cause: the injected failure whose mark lies in it, or
`natural` with the reason (a period that ended with no next step, for example).

This is a second implementation of sections 2-4, on purpose: it works on the simulator's own
plan (whole intervals, no events, no versions, no arrival order), so that comparing it row by
row with jatkumo's relations checks the whole path from JSON to DuckDB. Every gap jatkumo finds
must be here, with the same start and end, or the comparison names the difference."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from services.simulate.clock import iso
from services.simulate.plan import ClientPlan, ContractPlan
from services.simulate.world import World
from streams.core.rules import (
    DEFAULT_REFERRAL_THRESHOLDS,
    DEFAULT_THRESHOLDS,
    SETTLED_END_REASONS,
    WORKER_SERVICES,
)

Interval = tuple[int, int]  # first and last day, both inclusive


@dataclass(frozen=True)
class Thresholds:
    """SPEC.md 3's T per rule; a test may shift one to show the comparison notices."""

    gaps: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    referrals: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_REFERRAL_THRESHOLDS))


def _kind(organizer: str) -> str:
    return organizer.split(":", 1)[0]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint, with touching intervals (b + 1 == next a) joined: maximal runs."""
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1] + 1:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def subtract(span: Interval, cover: list[Interval]) -> list[Interval]:
    """The days of `span` outside the sorted, disjoint `cover`."""
    a, b = span
    out: list[Interval] = []
    for x, y in cover:
        if y < a:
            continue
        if x > b:
            break
        if x > a:
            out.append((a, x - 1))
        a = max(a, y + 1)
        if a > b:
            return out
    if a <= b:
        out.append((a, b))
    return out


class ClientTruth:
    """Expected rows of one client as of A = the window's end."""

    def __init__(self, world: World, plan: ClientPlan, thresholds: Thresholds) -> None:
        self.world, self.plan, self.t = world, plan, thresholds
        self.a = world.end
        self.contracts = [k for k in plan.contracts if k.start <= self.a]

    # -- section 2 -------------------------------------------------------------------------
    def last_day(self, k: ContractPlan) -> tuple[int | None, str]:
        if k.ended is not None:
            return k.ended
        if k.planned_final is not None:
            return k.planned_final, "expired"
        return None, ""

    def active(self, k: ContractPlan) -> Interval | None:
        last, _ = self.last_day(k)
        b = self.a if last is None else min(last, self.a)
        return (k.start, b) if k.start <= b else None

    def organizer_segments(self, k: ContractPlan, span: Interval) -> list[tuple[int, int, str]]:
        """(first, last, organiser) pieces of `span`, split where a transfer or a handoff of
        the contract's service takes effect."""
        a, b = span
        cuts = {t.on for t in k.transfers} | {
            h.day for h in self.world.handoffs if k.service in h.services}
        points = [a, *sorted(d for d in cuts if a < d <= b)]
        ends = [*(p - 1 for p in points[1:]), b]
        return [(p, e, k.organizer_on(p)) for p, e in zip(points, ends, strict=True)]

    # -- section 3 -------------------------------------------------------------------------
    def _rows(self, gap_type: str, subject: str | None, runs: list[Interval],
              threshold: int) -> list[dict[str, Any]]:
        out = []
        for s, e in runs:
            if e - s + 1 > threshold:
                out.append({"expect": "gap", "gap_type": gap_type, "subject_id": subject,
                            "started_on": iso(s), "ended_on": iso(e + 1) if e < self.a else None,
                            "_span": (s, e)})
        return out

    def handoff_missing(self) -> list[dict[str, Any]]:
        days: list[Interval] = []
        for k in self.contracts:
            span = self.active(k)
            if span is None:
                continue
            for s, e, org in self.organizer_segments(k, span):
                kind = self.world.responsible(k.service, s)
                if kind is not None and _kind(org) != kind:
                    days.append((s, e))
        return self._rows("HANDOFF_MISSING", None, merge(days),
                          self.t.gaps["HANDOFF_MISSING"])

    def service_break(self) -> list[dict[str, Any]]:
        spans = [(sp, k) for k in self.contracts if (sp := self.active(k)) is not None]
        covered = merge(sp for sp, _ in spans)
        made = sorted(r.made for r in self.plan.referrals if r.made <= self.a)
        runs: list[Interval] = []
        self.break_reasons: dict[int, str] = {}
        for i, (_, last) in enumerate(covered):
            if last >= self.a:
                continue
            top = covered[i + 1][0] - 1 if i + 1 < len(covered) else self.a
            reasons = {self.last_day(k)[1] for _, k in spans if self.last_day(k)[0] == last}
            if not reasons - SETTLED_END_REASONS:
                continue
            nxt = next((m for m in made if m >= last), None)
            if nxt is not None:
                top = min(top, nxt - 1)
            if top >= last + 1:
                runs.append((last + 1, top))
                self.break_reasons[last + 1] = "/".join(sorted(reasons - SETTLED_END_REASONS))
        return self._rows("SERVICE_BREAK", None, runs, self.t.gaps["SERVICE_BREAK"])

    def worker_cover(self) -> dict[str, list[Interval]]:
        by_worker: dict[tuple[str, str], list[tuple[int, bool]]] = {}
        for on, assigned, worker, org in self.plan.workers:
            if on <= self.a:
                by_worker.setdefault((worker, org), []).append((on, assigned))
        cover: dict[str, list[Interval]] = {}
        for (_, org), evs in by_worker.items():
            evs.sort()
            days = [d for d, _ in evs]
            if len(set(days)) < len(days):
                raise ValueError(f"{self.plan.client_value}: a worker assigned and unassigned "
                                 "on one day; SPEC.md does not say which holds")
            for i, (d, assigned) in enumerate(evs):
                if assigned:
                    until = evs[i + 1][0] - 1 if i + 1 < len(evs) else self.a
                    cover.setdefault(org, []).append((d, until))
        return {org: merge(spans) for org, spans in cover.items()}

    def no_worker(self) -> list[dict[str, Any]]:
        cover = self.worker_cover()
        days: list[Interval] = []
        for k in self.contracts:
            span = self.active(k)
            if k.service not in WORKER_SERVICES or span is None:
                continue
            for s, e, org in self.organizer_segments(k, span):
                days += subtract((s, e), cover.get(org, []))
        return self._rows("NO_RESPONSIBLE_WORKER", None, merge(days),
                          self.t.gaps["NO_RESPONSIBLE_WORKER"])

    def silence(self) -> list[dict[str, Any]]:
        out = []
        for k in self.contracts:
            span = self.active(k)
            records = k.records  # written up to the window's end: all within A
            if span is None or not records:
                continue
            # Runs between present days first (a suspension only shortens a run, so runs
            # already within T are dropped early: this is the truth's hot loop).
            limit = self.t.gaps["ATTENDANCE_SILENCE"]
            a, b = span
            bounds = [a - 1, *sorted(d for d, present in records if present and a <= d <= b),
                      b + 1]
            suspended = merge((first, min(back - 1, self.a)) for first, back, _ in
                              k.suspensions if first <= self.a)
            runs = [piece for x, y in pairwise(bounds) if y - x - 1 > limit
                    for piece in subtract((x + 1, y - 1), suspended)]
            out += self._rows("ATTENDANCE_SILENCE", k.id, runs, limit)
        return out

    def stalled(self) -> list[dict[str, Any]]:
        out = []
        for r in self.plan.referrals:
            if r.made > self.a:
                continue
            stops = [d for d in (r.started, r.closed) if d is not None and d <= self.a]
            last = min(stops) - 1 if stops else self.a
            out += self._rows("REFERRAL_STALLED", r.id, [(r.made, last)] if last >= r.made
                              else [], self.t.referrals[r.target])
        return out

    # -- section 4 -------------------------------------------------------------------------
    def violations(self) -> list[dict[str, Any]]:
        out = []
        for k in self.contracts:
            found = []
            if k.service == "KTT" and k.producer.kind == "company":
                found.append("KTT_FROM_COMPANY")
            kind = self.world.responsible(k.service, k.start)
            if kind is not None and _kind(k.organizer) != kind:
                found.append("MUNICIPAL_ORGANIZER_AFTER_CUTOVER"
                             if _kind(k.organizer) == "municipality"
                             else "WELLBEING_AREA_ORGANIZER_AFTER_HANDOFF")
            if k.service == "KTT" and (k.days_per_week > 4 or k.hours_per_day < 4):
                found.append("KTT_SCHEDULE_OUT_OF_LIMITS")
            out += [{"expect": "violation", "violation_type": v, "contract_id": k.id,
                     "on_date": iso(k.start), "_span": (k.start, k.start)} for v in found]
        return out

    def handoff_status(self) -> list[dict[str, Any]]:
        out = []
        for h in self.world.handoffs:
            if h.day > self.a:
                continue
            for k in self.contracts:
                last, _ = self.last_day(k)
                if (k.service not in h.services or not k.start < h.day
                        or (last is not None and last < h.day)):
                    continue
                if h.from_kind not in (_kind(k.organizer), _kind(k.organizer_on(h.day - 1))):
                    continue
                moved = [t.on for t in k.transfers if t.on <= self.a
                         and _kind(t.from_organizer) == h.from_kind
                         and _kind(t.to_organizer) == h.to_kind]
                on = min(moved) if moved else None
                if on is not None:
                    status = "transferred" if on <= h.day + h.grace_days else "transferred_late"
                elif last is not None and last <= self.a:
                    status = "ended_untransferred"
                else:
                    status = "pending"
                out.append({"expect": "handoff_status", "handoff": h.name, "contract_id": k.id,
                            "status": status, "transferred_on": iso(on) if on else None})
        return out

    # -- causes ----------------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        """Every expected row, each gap and violation with its `kind` (the injected failure,
        or `natural`), plus an `expect: none` row for an injection that caused nothing."""
        found = (self.handoff_missing() + self.service_break() + self.no_worker()
                 + self.silence() + self.stalled() + self.violations())
        for inj in self.plan.injections:
            unmatched = []
            for what, subject, day in inj.marks:
                hit = [r for r in found if what == r.get("gap_type", r.get("violation_type"))
                       and subject == r.get("subject_id", r.get("contract_id"))
                       and r["_span"][0] <= day <= r["_span"][1]]
                for r in hit:
                    r.setdefault("causes", []).append([inj.kind, inj.handoff])
                if not hit:
                    unmatched.append([what, subject, iso(day)])
            if unmatched:
                found.append({"expect": "none", "kind": inj.kind, "handoff": inj.handoff,
                              "unmatched": unmatched, "_span": (0, 0)})
        client = {self.plan.client_field: self.plan.client_value}
        out = []
        for r in found:
            s = r.pop("_span")
            causes = r.pop("causes", [])
            if r["expect"] != "none":
                if causes:
                    r["kind"], r["handoff"] = causes[0]
                    if len(causes) > 1:
                        r["also"] = causes[1:]
                else:
                    r["kind"], r["handoff"] = "natural", None
                    r["why"] = self._why(r, s[0])
            out.append(client | r)
        return out + [client | r for r in self.handoff_status()]

    def _why(self, row: dict[str, Any], start: int) -> str:
        if row.get("gap_type") == "SERVICE_BREAK":
            return (f"a period ended ({self.break_reasons.get(start, '?')}) with no next "
                    "period and no referral within the threshold")
        return "not caused by an injected failure"


def expected_rows(world: World, plan: ClientPlan,
                  thresholds: Thresholds | None = None) -> list[dict[str, Any]]:
    return ClientTruth(world, plan, thresholds or Thresholds()).rows()
