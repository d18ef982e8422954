"""Handoff status and compliance checks of SPEC.md 4 and 4.1, for one contract as of a date."""

from datetime import date

from streams.core.results import HandoffRow, ViolationRow
from streams.core.rules import Handoff, Rules, kind_of
from streams.core.state import ClientState
from streams.core.timeline import Contract, held_transfers

# SPEC.md 4.1: the violation named by the kind of organiser signed against the responsible one.
WRONG_ORGANIZER = {"municipality": "MUNICIPAL_ORGANIZER_AFTER_CUTOVER",
                   "wellbeing_area": "WELLBEING_AREA_ORGANIZER_AFTER_HANDOFF"}


def handoff_statuses(
    state: ClientState, client: str, k: Contract, as_of: int, rules: Rules
) -> list[HandoffRow]:
    """One row per handoff the contract had to go through (SPEC.md 4.1)."""
    rows = []
    for h in rules.handoffs:
        row = handoff_status(state, client, k, as_of, h)
        if row is not None:
            rows.append(row)
    return rows


def handoff_status(
    state: ClientState, client: str, k: Contract, as_of: int, h: Handoff
) -> HandoffRow | None:
    """The row of a contract that had to be handed over in `h`, or None if it did not have to:
    a service of `h`, started before and active on its day, signed with an organiser of the
    from kind or organised by one the day before."""
    c = h.day
    signed = k.signed
    if signed.service not in h.services or not k.start < c or not k.active_on(c):
        return None
    if kind_of(signed.organizer) != h.from_kind and kind_of(k.organizer_on(c - 1)) != h.from_kind:
        return None
    first = next((t for t in held_transfers(state, k.contract_id, as_of)
                  if kind_of(t.from_organizer) == h.from_kind
                  and kind_of(t.to_organizer) == h.to_kind), None)
    if first is not None:
        late = first.day > c + h.grace_days
        status = "transferred_late" if late else "transferred"
    elif k.last_day is not None and k.last_day <= as_of:
        status = "ended_untransferred"
    else:
        status = "pending"
    # SPEC.md 4.1: "the producer's municipality" and producer_id are the contract's producer
    # as SPEC.md 2 has it on the as-of date, the one `contracts` shows for the same contract
    if kind_of(signed.organizer) == "municipality":  # the code of municipality:NNN
        municipality = signed.organizer.split(":", 1)[1]
    else:
        municipality = k.producer.municipality
    return HandoffRow(
        k.contract_id, client, signed.service, municipality, k.producer.id, status,
        None if first is None else date.fromordinal(first.day), h.name,
    )


def violations(client: str, k: Contract, rules: Rules) -> list[ViolationRow]:
    out: list[ViolationRow] = []
    service, cid = k.signed.service, k.contract_id
    if service == "KTT":
        if k.producer.kind == "company":
            # SPEC.md 4: "whose producer kind is company": the producer as SPEC.md 2 has it on
            # the as-of date (the latest amendment that sets one, else the signed one), the
            # one `contracts.producer_kind` shows. Unlike the schedule's terms ("ever") a
            # producer amended away from a company is no violation, and `on_date` is the
            # `start_date` also when an amendment set the company.
            out.append(ViolationRow(client, cid, "KTT_FROM_COMPANY", date.fromordinal(k.start)))
        bad = next((day for day, dpw, hpd in k.terms
                    if (dpw is not None and dpw > 4) or (hpd is not None and hpd < 4)), None)
        if bad is not None:
            out.append(ViolationRow(client, cid, "KTT_SCHEDULE_OUT_OF_LIMITS",
                                    date.fromordinal(bad)))
    signed_kind = kind_of(k.signed.organizer)
    responsible = rules.responsible_on(service, k.start)
    if responsible is not None and responsible != signed_kind and signed_kind in WRONG_ORGANIZER:
        out.append(ViolationRow(client, cid, WRONG_ORGANIZER[signed_kind],
                                date.fromordinal(k.start)))
    return out
