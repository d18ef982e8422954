"""A handoff (SPEC.md 4.1): every contract of its services running on its day and organised by
the kind it moves from is transferred to the kind it moves to — mostly effective on the day
itself, some a few days later, a few on the last day of the grace (still on time: a 14-day run
of HANDOFF_MISSING is one day short of a gap, which keeps the threshold honest)."""

import random

from services.simulate.config import SimHandoff
from services.simulate.plan import ClientPlan, Transfer

ON_TIME = 0.85
LATE_WITHIN_GRACE = (1, 10)
AT_GRACE = 0.15  # of the late ones within the grace, the share effective on its last day


def organizer_of_kind(plan: ClientPlan, kind: str) -> str:
    return plan.area.organizer if kind == "wellbeing_area" else f"municipality:{plan.home.code}"


def plan_handoff(rng: random.Random, plan: ClientPlan, h: SimHandoff) -> None:
    for k in plan.contracts:
        if k.service not in h.services or not k.start < h.day <= k.last:
            continue
        before = k.organizer_on(h.day - 1)
        if before.split(":", 1)[0] != h.from_kind:
            continue
        if rng.random() < ON_TIME:
            on = h.day
            recorded = h.day - rng.randint(3, 30)  # decided the month before
        else:
            late = h.grace_days if rng.random() < AT_GRACE else rng.randint(*LATE_WITHIN_GRACE)
            on = min(k.last, h.day + late)
            recorded = on - rng.randint(0, 5)
        k.transfers.append(Transfer(h.name, on, before, organizer_of_kind(plan, h.to_kind),
                                    recorded))
