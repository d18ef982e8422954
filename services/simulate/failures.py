"""Failure injection: bend a plan so that one thing goes wrong, and record what jatkumo must
find. Each injection is sized well past SPEC.md's thresholds (a late transfer is 20+ days late,
a silent drop-out is silent for 40+ days…) so that finding it is unambiguous.

Order matters: contract-level failures (organiser, producer, drop-out, expiry) come before the
handoff is planned, the handoff's failures after it, referrals last."""

import random

from services.simulate.clock import iso
from services.simulate.plan import ClientPlan, ContractPlan
from services.simulate.world import World

STUBBORN_DAYS = 90  # after cutover, a stubborn municipality still signs some KTT itself
STUBBORN_SHARE = 0.5


def _until(day: int, end: int) -> str | None:
    """The `ended_on` of a gap whose last day is `day - 1`: None when still open at the end."""
    return iso(day) if day <= end else None


def before_handoff(world: World, plan: ClientPlan, rng: random.Random) -> None:
    cfg, c, end = world.config, world.cutover, world.end
    supply = world.supply_of(plan.area)
    for k in plan.contracts:
        if (k.service == "KTT" and plan.home.code in world.stubborn
                and c <= k.start < c + STUBBORN_DAYS and rng.random() < STUBBORN_SHARE):
            k.organizer = f"municipality:{plan.home.code}"
            plan.expect("municipal_ktt_after_cutover",
                        violation_type="MUNICIPAL_ORGANIZER_AFTER_CUTOVER", contract_id=k.id,
                        start=iso(k.start), end=None)
        if k.service == "KTT" and rng.random() < cfg.rate("ktt_from_company"):
            k.producer = supply.producer(rng, "company", plan.home)
            plan.expect("ktt_from_company", violation_type="KTT_FROM_COMPANY",
                        contract_id=k.id, start=iso(k.start), end=None)
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
    plan.expect("silent_dropout", gap_type="ATTENDANCE_SILENCE", subject_id=k.id,
                contract_id=k.id, start=iso(quiet + 1), end=_until(k.last + 1, end))


def _expire(plan: ClientPlan, k: ContractPlan, end: int) -> None:
    if not (k.record_end and k.last <= end - 45 and k.planned_end is not None):
        return
    k.record_end, k.planned_end, k.extended_to = False, k.last, None
    # No next step: no referral made on or after the last day (SPEC.md 3, SERVICE_BREAK).
    plan.referrals = [r for r in plan.referrals if r.made < k.last]
    plan.expect("expired_no_next_step", gap_type="SERVICE_BREAK", contract_id=k.id,
                start=iso(k.last + 1), end=None)


def after_handoff(world: World, plan: ClientPlan, rng: random.Random) -> None:
    cfg, c, end = world.config, world.cutover, world.end
    late, missing = cfg.rate("late_transfer"), cfg.rate("missing_transfer")
    no_worker = cfg.rate("no_worker_after_handoff")
    for k in plan.contracts:
        if k.transfer_on is None:
            continue
        top = min(k.last, end)
        u = rng.random()
        if u < late and top - c >= 45:
            k.transfer_on = k.transfer_recorded = c + rng.randint(20, min(120, top - c - 10))
            plan.expect("late_transfer", gap_type="HANDOFF_MISSING", contract_id=k.id,
                        start=iso(c), end=iso(k.transfer_on))
        elif late <= u < late + missing and top - c >= 30:
            k.transfer_on = k.transfer_to = k.transfer_recorded = None
            plan.expect("missing_transfer", gap_type="HANDOFF_MISSING", contract_id=k.id,
                        start=iso(c), end=_until(k.last + 1, end))
        elif late + missing <= u < late + missing + no_worker and top - k.transfer_on >= 40:
            k.worker_delay = rng.randint(21, min(70, top - k.transfer_on - 5))
            plan.expect("no_worker_after_handoff", gap_type="NO_RESPONSIBLE_WORKER",
                        contract_id=k.id, start=iso(k.transfer_on),
                        end=iso(k.transfer_on + k.worker_delay))
    for r in plan.referrals:
        if (r.target in ("mental_health", "substance_abuse") and r.made <= end - 40
                and rng.random() < cfg.rate("stalled_referral")):
            started = r.made + rng.randint(40, 150)
            r.started = started if started <= end else None
            r.closed = r.outcome = None
            plan.expect("stalled_referral", gap_type="REFERRAL_STALLED", subject_id=r.id,
                        start=iso(r.made), end=_until(started, end))
