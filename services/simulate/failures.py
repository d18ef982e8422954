"""Failure injection: bend a plan so that one thing goes wrong, and mark where jatkumo must find
it (a gap or violation type, its subject, and one day inside it). The exact gaps are derived
afterwards from what was written (expect.py); the marks only say which gap is whose doing.

Each injection is sized past SPEC.md's thresholds (a late transfer is 20+ days late, a silent
drop-out is silent for 40+ days…), and a share sits exactly one day past one (a transfer 15 days
late, a worker 15 days late, a referral started on day 29), so that a threshold off by one shows.

Order matters: contract-level failures (organiser, producer, drop-out, expiry) come before the
handoffs are planned, each handoff's failures after it, referrals last."""

import random

from services.simulate.config import SimHandoff
from services.simulate.plan import ClientPlan, ContractPlan
from services.simulate.world import World
from streams.core.rules import DEFAULT_REFERRAL_THRESHOLDS, DEFAULT_THRESHOLDS

STUBBORN_DAYS = 90  # after cutover, a stubborn municipality still signs some KTT itself
STUBBORN_SHARE = 0.5
AFTER_HANDOFF_DAYS = 90  # after a handoff to municipalities, the area still signs some KTT
BOUNDARY = 0.25  # share of late transfers, late workers and stalled referrals one day past T


def before_handoff(world: World, plan: ClientPlan, rng: random.Random) -> None:
    cfg, c, end = world.config, world.cutover, world.end
    supply = world.supply_of(plan.area)
    backs = [h for h in world.handoffs[1:] if h.to_kind == "municipality"]
    for k in plan.contracts:
        if (k.service == "KTT" and plan.home.code in world.stubborn
                and c <= k.start < c + STUBBORN_DAYS and rng.random() < STUBBORN_SHARE):
            k.organizer = f"municipality:{plan.home.code}"
            plan.inject("municipal_ktt_after_cutover",
                        ("MUNICIPAL_ORGANIZER_AFTER_CUTOVER", k.id, k.start),
                        ("HANDOFF_MISSING", None, k.start))
        for h in backs:
            if (k.service in h.services and h.day <= k.start < h.day + AFTER_HANDOFF_DAYS
                    and rng.random() < cfg.rate("wellbeing_ktt_after_handoff")):
                k.organizer = plan.area.organizer
                plan.inject("wellbeing_ktt_after_handoff",
                            ("WELLBEING_AREA_ORGANIZER_AFTER_HANDOFF", k.id, k.start),
                            ("HANDOFF_MISSING", None, k.start), handoff=h.name)
        if k.service == "KTT" and rng.random() < cfg.rate("ktt_from_company"):
            k.producer = supply.producer(rng, "company", plan.home)
            plan.inject("ktt_from_company", ("KTT_FROM_COMPANY", k.id, k.start))
    last = plan.contracts[-1]
    u = rng.random()
    if u < cfg.rate("silent_dropout"):
        _silent_dropout(plan, last, rng, world.start, end)
    elif u < cfg.rate("silent_dropout") + cfg.rate("expired_no_next_step"):
        _expire(plan, last, end)


def _silent_dropout(plan: ClientPlan, k: ContractPlan, rng: random.Random, start: int,
                    end: int) -> None:
    top = min(k.last, end)
    first = max(k.start + 21, start)  # inside the observed window
    if top - first < 80:
        return
    quiet = rng.randint(first, top - 60)
    noticed = quiet + rng.randint(40, 100)  # the workshop ends it as interrupted, if ever
    if noticed < k.last:
        k.last, k.end_reason = noticed, "interrupted"
        k.record_end = noticed <= end
    k.silent_after = quiet
    plan.inject("silent_dropout", ("ATTENDANCE_SILENCE", k.id, quiet + 1))


def _expire(plan: ClientPlan, k: ContractPlan, end: int) -> None:
    if not (k.record_end and k.last <= end - 45 and k.planned_end is not None):
        return
    k.record_end, k.planned_end, k.extended_to = False, k.last, None
    # No next step: no referral made on or after the last day (SPEC.md 3, SERVICE_BREAK).
    plan.referrals = [r for r in plan.referrals if r.made < k.last]
    plan.inject("expired_no_next_step", ("SERVICE_BREAK", None, k.last + 1))


def after_handoff(world: World, plan: ClientPlan, rng: random.Random, h: SimHandoff) -> None:
    cfg, c, end = world.config, h.day, world.end
    late, missing = cfg.rate("late_transfer"), cfg.rate("missing_transfer")
    no_worker = cfg.rate("no_worker_after_handoff")
    past_grace = h.grace_days + 1  # the first day late, and one more than T (both 14)
    past_worker = DEFAULT_THRESHOLDS["NO_RESPONSIBLE_WORKER"] + 1
    for k in plan.contracts:
        for t in [t for t in k.transfers if t.handoff == h.name]:
            top = min(k.last, end)
            u = rng.random()
            if u < late and top - c >= 45:
                days = (past_grace if rng.random() < BOUNDARY
                        else rng.randint(20, min(120, top - c - 10)))
                t.on = t.recorded = c + days
                plan.inject("late_transfer", ("HANDOFF_MISSING", None, c), handoff=h.name)
            elif late <= u < late + missing and top - c >= 30:
                k.transfers.remove(t)
                plan.inject("missing_transfer", ("HANDOFF_MISSING", None, c), handoff=h.name)
            elif late + missing <= u < late + missing + no_worker and top - t.on >= 40:
                t.worker_delay = (past_worker if rng.random() < BOUNDARY
                                  else rng.randint(21, min(70, top - t.on - 5)))
                plan.inject("no_worker_after_handoff", ("NO_RESPONSIBLE_WORKER", None, t.on),
                            handoff=h.name)


def referrals(world: World, plan: ClientPlan, rng: random.Random) -> None:
    cfg, end = world.config, world.end
    for r in plan.referrals:
        if (r.target in ("mental_health", "substance_abuse") and r.made <= end - 40
                and rng.random() < cfg.rate("stalled_referral")):
            days = (DEFAULT_REFERRAL_THRESHOLDS[r.target] + 1 if rng.random() < BOUNDARY
                    else rng.randint(40, 150))
            started = r.made + days
            r.started = started if started <= end else None
            r.closed = r.outcome = None
            plan.inject("stalled_referral", ("REFERRAL_STALLED", r.id, r.made))
