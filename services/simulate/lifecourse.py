"""A young person's path through the services, without failures: who referred them, which
workshop periods (NUPA, KTT, SOSKU) follow one another, how each ends, and which referrals are
made on the way. Shares follow FACTS.md: most have one period, nearly a third several; about half
go on to education or work; KTT is 1-4 days a week of 4-8 hours."""

import random
from datetime import date

from services.simulate.ids import synthetic_hetu
from services.simulate.plan import ClientPlan, ContractPlan, ReferralPlan
from services.simulate.workshops import AreaSupply
from services.simulate.world import World

REFERRERS = (("te_office", 25), ("social_work", 24), ("outreach_youth_work", 22),
             ("ohjaamo", 15), ("self", 8), ("education", 4), ("other", 2))
FIRST_SERVICE = {
    "te_office": (("KTT", 60), ("NUPA", 40)),
    "social_work": (("KTT", 45), ("SOSKU", 45), ("NUPA", 10)),
    "outreach_youth_work": (("NUPA", 45), ("SOSKU", 40), ("KTT", 15)),
}
OTHER_FIRST = (("NUPA", 65), ("SOSKU", 20), ("KTT", 15))
NEXT_SERVICE = (("KTT", 50), ("SOSKU", 25), ("NUPA", 25))
# How a period ends: a settled exit, the next period, or nothing (a next step is needed).
OUTCOMES = (("education", 27), ("employment", 18), ("next", 30), ("completed", 12),
            ("interrupted", 9), ("moved_away", 4))
LENGTH = {"NUPA": (60, 200), "KTT": (90, 365), "SOSKU": (60, 300)}  # nominal days
DAYS = {"KTT": ((1, 10), (2, 30), (3, 35), (4, 25)), "SOSKU": ((1, 30), (2, 45), (3, 25)),
        "NUPA": ((3, 25), (4, 40), (5, 35))}
HOURS = {"KTT": (4, 6), "SOSKU": (3, 5), "NUPA": (5, 7)}
PRODUCERS_BEFORE = {"KTT": (("municipal", 72), ("third_sector", 28)),
                    "SOSKU": (("municipal", 65), ("third_sector", 30), ("company", 5)),
                    "NUPA": (("municipal", 80), ("third_sector", 20))}
PRODUCERS_AFTER = {"KTT": (("municipal", 55), ("third_sector", 35), ("wellbeing_area", 10)),
                   "SOSKU": (("municipal", 45), ("third_sector", 30), ("wellbeing_area", 20),
                             ("company", 5)),
                   "NUPA": (("municipal", 80), ("third_sector", 20))}
STOCK_SHARE = 0.2  # already in a workshop period when the window opens
HETU_SHARE = 0.03  # sent by a source that knows only the identity code
RETURN_SHARE = 0.4  # of those who left to nothing, the share who come back for a new period


def pick(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    x = rng.random() * sum(w for _, w in options)
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def plan_client(world: World, index: int, rng: random.Random) -> ClientPlan:
    supply, home = world.home(rng)
    if rng.random() < STOCK_SHARE:
        entry = world.start - rng.randint(1, 270)
    else:
        entry = rng.randint(world.start, world.end - 20)
    age = min(rng.randint(16, 24), rng.randint(16, 27))  # skewed young, 16-27 at entry
    birth_year = _year(entry) - age
    client_field, client_value = "client_id", f"sim-{index:06d}"
    if rng.random() < HETU_SHARE:
        code = synthetic_hetu(rng, birth_year)
        if code not in world.hetus:  # two people never share a code
            world.hetus.add(code)
            client_field, client_value = "client_hetu", code
    referred_by = pick(rng, REFERRERS)
    plan = ClientPlan(index, client_field, client_value, birth_year, home, supply.area,
                      referred_by, entry)
    _contracts(world, supply, plan, rng, entry + rng.randint(0, 21))
    return plan


def _year(day: int) -> int:
    return date.fromordinal(day).year


def _contracts(world: World, supply: AreaSupply, plan: ClientPlan, rng: random.Random,
               start: int) -> None:
    service = pick(rng, FIRST_SERVICE.get(plan.referred_by, OTHER_FIRST))
    for n in range(1, 5):
        lo, hi = LENGTH[service]
        nominal = rng.randint(lo, hi)
        outcome = pick(rng, OUTCOMES) if n < 4 else pick(rng, OUTCOMES[:2] + OUTCOMES[3:])
        if outcome in ("next", "completed"):
            last = start + nominal - 1
        else:
            last = start + int(nominal * rng.uniform(0.4, 1.0)) - 1
        if start < world.start and last < world.start:
            # the stock: whoever began before the window is still in service when it opens
            last = world.start + rng.randint(14, 120)
            nominal = max(nominal, last - start + 1)
        extended = None
        if service != "NUPA" and outcome in ("next", "completed") and rng.random() < 0.25:
            extended = last + rng.randint(60, 180)  # a KTT or SOSKU period is extended
            last = extended
        k = _contract(world, supply, plan, rng, n, service, start, last, nominal)
        k.end_reason = "completed" if outcome == "next" else outcome
        k.extended_to = extended
        plan.contracts.append(k)
        _referrals_during(plan, rng, k, world.end)
        if last >= world.end:
            k.record_end = False  # still open when the window closes
            return
        if outcome in ("completed", "interrupted") and rng.random() < 0.35:
            target = pick(rng, (("employment", 40), ("education", 40), ("other", 20)))
            _referral(plan, rng, target, last, world.end)  # a next step on the last day
            return
        if outcome in ("completed", "interrupted") and rng.random() < RETURN_SHARE:
            start = last + rng.randint(45, 400)  # back after months with nothing
        elif outcome != "next":
            return
        else:
            start = last + 1 + rng.randint(0, 10)
        if start > world.end:
            return  # the next period would begin after the window
        service = pick(rng, NEXT_SERVICE)


def _contract(world: World, supply: AreaSupply, plan: ClientPlan, rng: random.Random, n: int,
              service: str, start: int, last: int, nominal: int) -> ContractPlan:
    before = start < world.cutover
    organizer = world.organizer(service, start, plan.home, supply.area)
    kind = pick(rng, (PRODUCERS_BEFORE if before else PRODUCERS_AFTER)[service])
    producer = supply.producer(rng, kind, plan.home)
    days = int(pick(rng, tuple((str(d), w) for d, w in DAYS[service])))
    hours = rng.randint(*HOURS[service])
    planned = None if service == "SOSKU" and rng.random() < 0.3 else start + nominal - 1
    return ContractPlan(f"K{plan.index:06d}-{n}", service, start, last,
                        "completed", planned, organizer, producer, days, hours)


def _referrals_during(plan: ClientPlan, rng: random.Random, k: ContractPlan, end: int) -> None:
    first, final = k.start + 7, min(k.last, end) - 1
    if final <= first:
        return
    if rng.random() < 0.15:
        _referral(plan, rng, "mental_health", rng.randint(first, final), end)
    if rng.random() < 0.05:
        _referral(plan, rng, "substance_abuse", rng.randint(first, final), end)


# Realistic waits, kept under SPEC.md's thresholds (28 days, 60 for other targets) so that
# only injected referrals stall; a mental-health wait of exactly 28 days is one day short of a
# gap, which keeps the threshold honest.
WAIT = {"mental_health": (5, 28), "substance_abuse": (2, 20)}


def _referral(plan: ClientPlan, rng: random.Random, target: str, made: int, end: int) -> None:
    r = ReferralPlan(f"R{plan.index:06d}-{len(plan.referrals) + 1}", target, made)
    if rng.random() < 0.08:
        r.closed, r.outcome = made + rng.randint(3, 20), pick(
            rng, (("declined", 60), ("cancelled", 25), ("not_needed", 15)))
    else:
        r.started = made + rng.randint(*WAIT.get(target, (14, 55)))
    plan.referrals.append(r)
