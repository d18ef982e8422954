"""The 1.1.2023 handoff: every KTT or SOSKU contract organised by a municipality and running on
the cutover day is transferred to the wellbeing area, mostly effective on the day itself,
some a few days later (still within SPEC.md's 14-day grace, so no gap and status transferred)."""

import random

from services.simulate.plan import ClientPlan

ON_TIME = 0.85
LATE_WITHIN_GRACE = (1, 10)


def plan_handoff(rng: random.Random, plan: ClientPlan, cutover: int) -> None:
    for k in plan.contracts:
        if not (k.handed_over and k.start < cutover <= k.last):
            continue
        k.transfer_to = plan.area.organizer
        if rng.random() < ON_TIME:
            k.transfer_on = cutover
            k.transfer_recorded = cutover - rng.randint(3, 30)  # decided in December
        else:
            k.transfer_on = min(k.last, cutover + rng.randint(*LATE_WITHIN_GRACE))
            k.transfer_recorded = k.transfer_on - rng.randint(0, 5)
