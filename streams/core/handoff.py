"""Handoff status and compliance checks of SPEC.md 4, for one contract as of a date."""

from datetime import date

from streams.core.results import HandoffRow, ViolationRow
from streams.core.rules import Rules
from streams.core.state import ClientState, Transfer
from streams.core.timeline import Contract, by_day


def handoff_status(
    state: ClientState, client: str, k: Contract, as_of: int, rules: Rules
) -> HandoffRow | None:
    """The row of a contract that had to be handed over, or None if it did not have to be."""
    c = rules.cutover_day
    signed = k.signed
    if (signed.service not in rules.handoff_services
            or not signed.organizer.startswith(rules.handoff_from)
            or not k.start < c or not k.active_on(c)):
        return None
    transfers: list[Transfer] = by_day(state.transfers.get(k.contract_id, {}).values(), as_of)
    first = next((t for t in transfers if t.to_organizer.startswith(rules.handoff_to)), None)
    if first is not None:
        late = first.day > c + rules.handoff_grace_days
        status = "transferred_late" if late else "transferred"
    elif k.last_day is not None and k.last_day <= as_of:
        status = "ended_untransferred"
    else:
        status = "pending"
    return HandoffRow(
        k.contract_id, client, signed.service,
        signed.organizer.split(":", 1)[1],  # the three-digit code of municipality:NNN
        signed.producer.id, status,
        None if first is None else date.fromordinal(first.day),
    )


def violations(client: str, k: Contract, rules: Rules) -> list[ViolationRow]:
    out: list[ViolationRow] = []
    service, cid = k.signed.service, k.contract_id
    if service == "KTT":
        if any(p.kind == "company" for _day, p in k.producer_history):
            # SPEC.md 4: "`on_date` = `start_date`", also when an amendment set the company.
            out.append(ViolationRow(client, cid, "KTT_FROM_COMPANY", date.fromordinal(k.start)))
        bad = next((day for day, dpw, hpd in k.terms
                    if (dpw is not None and dpw > 4) or (hpd is not None and hpd < 4)), None)
        if bad is not None:
            out.append(ViolationRow(client, cid, "KTT_SCHEDULE_OUT_OF_LIMITS",
                                    date.fromordinal(bad)))
    if (service in rules.handoff_services and k.signed.organizer.startswith(rules.handoff_from)
            and k.start >= rules.cutover_day):
        out.append(ViolationRow(client, cid, "MUNICIPAL_ORGANIZER_AFTER_CUTOVER",
                                date.fromordinal(k.start)))
    return out

