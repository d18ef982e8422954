"""evaluate(state, as_of, rules): everything SPEC.md says about one client on one as-of date.

Pure: the same state and date always give the same rows, whatever order the facts arrived in."""

from datetime import date

from streams.core import gaps as g
from streams.core import intervals as iv
from streams.core.handoff import handoff_statuses, violations
from streams.core.results import ClientResult, ClientRow, ContractRow, IssueRow, ReferralRow
from streams.core.rules import Rules
from streams.core.state import ClientState, Mark, Registration
from streams.core.timeline import Contract, contract_as_of, visible, winner


def _d(day: int | None) -> date | None:
    return None if day is None else date.fromordinal(day)


def evaluate(state: ClientState, as_of_date: date, rules: Rules) -> ClientResult:
    a = as_of_date.toordinal()
    cid = state.client_id
    out = ClientResult(cid)
    reg: Registration | None = winner(state.registrations.values(), a)
    if reg is not None:
        out.client = ClientRow(cid, reg.birth_year, reg.home_municipality, reg.referred_by,
                               date.fromordinal(reg.day))

    contracts: list[Contract] = []
    for contract_id in sorted(state.signed):
        k = contract_as_of(state, contract_id, a)
        if k is not None:
            contracts.append(k)
    for k in contracts:
        out.contracts.append(_contract_row(cid, k, a))
        out.handoffs += handoff_statuses(state, cid, k, a, rules)
        out.violations += violations(cid, k, rules)

    t = rules.thresholds
    out.gaps += g.runs_to_gaps(cid, "HANDOFF_MISSING", None,
                               g.handoff_missing(contracts, a, rules), a, t["HANDOFF_MISSING"])
    out.gaps += g.runs_to_gaps(cid, "SERVICE_BREAK", None,
                               g.service_break(state, contracts, a, rules), a, t["SERVICE_BREAK"])
    out.gaps += g.runs_to_gaps(cid, "NO_RESPONSIBLE_WORKER", None,
                               g.no_responsible_worker(state, contracts, a, rules), a,
                               t["NO_RESPONSIBLE_WORKER"])
    for k in contracts:
        silent = g.attendance_silence(state, k, a)
        if silent is not None:
            out.gaps += g.runs_to_gaps(cid, "ATTENDANCE_SILENCE", k.contract_id, silent, a,
                                       t["ATTENDANCE_SILENCE"])
    for rid, target, stalled in g.referral_stalled(state, a):
        out.gaps += g.runs_to_gaps(cid, "REFERRAL_STALLED", rid, stalled, a,
                                   rules.referral_thresholds.get(target, 60))
    out.referrals = _referrals(state, a)
    out.issues = data_issues(state, a)
    return out


def _contract_row(cid: str, k: Contract, a: int) -> ContractRow:
    s = k.signed
    suspended = bool(iv.intersect(k.suspended, [(a, a + 1)]))
    planned = _d(k.last_day) if k.end_reason == "expired" else None
    return ContractRow(
        k.contract_id, cid, s.service, k.organizer_on(a), k.producer.id, k.producer.kind,
        k.producer.municipality, date.fromordinal(k.start), _d(k.last_day), k.end_reason,
        s.organizer, planned, suspended,
    )


def _referrals(state: ClientState, a: int) -> list[ReferralRow]:
    rows = []
    for rid in sorted(state.referrals_made):
        made: Mark | None = winner(state.referrals_made[rid].values(), a)
        if made is None:
            continue
        started: Mark | None = winner(state.referrals_started.get(rid, {}).values(), a)
        closed: Mark | None = winner(state.referrals_closed.get(rid, {}).values(), a)
        rows.append(ReferralRow(
            rid, state.client_id, made.detail, date.fromordinal(made.day),
            _d(started.day if started else None), _d(closed.day if closed else None),
            closed.detail if closed else None,
        ))
    return rows


_CONTRACT_FACTS = (
    ("amended", "contract.amended"), ("suspensions", "contract.suspended or resumed"),
    ("ended", "contract.ended"), ("transfers", "responsibility.transferred"),
)


def data_issues(state: ClientState, a: int) -> list[IssueRow]:
    """Events (effective by the as-of day) that refer to something never seen (SPEC.md 1.4):
    a contract never signed or a referral never made for the client, and an unassignment of
    a worker never assigned to the client by that organisation (on any day)."""
    cid = state.client_id
    rows: list[IssueRow] = []
    for attr, what in _CONTRACT_FACTS:
        for contract_id, versions in getattr(state, attr).items():
            if contract_id not in state.signed:
                rows += [IssueRow(v.rank[1], cid, f"unknown_contract: {what} refers to contract "
                                  f"{contract_id}, never signed for this client")
                         for v in visible(versions.values(), a)]
    for contract_id, days in state.attendance.items():
        if contract_id not in state.signed:
            # every record of a day, the ones a correction overruled too: each refers to the
            # unknown contract, as every version of an unknown contract's end does
            rows += [IssueRow(rank[1], cid, f"unknown_contract: attendance.recorded refers to "
                              f"contract {contract_id}, never signed for this client")
                     for day, won in days.items() if day <= a
                     for rank, _p in [won, *state.overruled.get((contract_id, day), ())]]
    for table, what in ((state.referrals_started, "referral.started"),
                        (state.referrals_closed, "referral.closed")):
        for rid, versions in table.items():
            if rid not in state.referrals_made:
                rows += [IssueRow(v.rank[1], cid, f"unknown_referral: {what} refers to referral "
                                  f"{rid}, never made for this client")
                         for v in visible(versions.values(), a)]
    for (worker, org), toggles in state.assignments.items():
        if not any(t.on for t in toggles.values()):
            rows += [IssueRow(t.rank[1], cid, f"unknown_assignment: worker.unassigned refers to "
                              f"worker {worker} of {org}, never assigned to this client")
                     for t in visible(toggles.values(), a)]
    return sorted(rows)
