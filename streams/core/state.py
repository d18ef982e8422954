"""Per-client state: the facts every event contributed, kept so that a late or corrected event
only changes a fact and the next evaluation is right (order independence by construction).

Facts that can be corrected are kept as all their versions, keyed by event id, because which
version wins depends on the as-of date (events effective after it are left out, SPEC.md 2).
Keying by event id also makes applying the same event twice a no-op. Dates are ordinals and
ranks are (occurred_at in UTC microseconds, event_id): the larger rank is the later correction.
Everything is plain tuples, dicts and strings so the state serialises to JSON for a faust table.
"""

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from schemas import events as ev
from schemas.events import Event

Rank = tuple[int, str]


class Registration(NamedTuple):
    rank: Rank
    day: int
    birth_year: int
    home_municipality: str
    referred_by: str


class Producer(NamedTuple):
    id: str
    kind: str
    municipality: str


class Signed(NamedTuple):
    rank: Rank
    day: int  # start_date
    service: str
    organizer: str
    producer: Producer
    planned_end: int | None
    days_per_week: int | None
    hours_per_day: int | None


class Amended(NamedTuple):
    rank: Rank
    day: int  # amended_on
    planned_end: int | None
    days_per_week: int | None
    hours_per_day: int | None
    producer: Producer | None


class Toggle(NamedTuple):
    """A suspension/resumption or an assignment/unassignment: `on` from `day` onwards."""

    rank: Rank
    day: int
    on: bool


class Ended(NamedTuple):
    rank: Rank
    day: int  # end_date, the last day in service
    reason: str


class Transfer(NamedTuple):
    rank: Rank
    day: int  # effective_date, first day of the new organiser
    from_organizer: str
    to_organizer: str


class Mark(NamedTuple):
    """referral.made (target), referral.started (no detail) or referral.closed (outcome)."""

    rank: Rank
    day: int
    detail: str


def rank_of(event: Event) -> Rank:
    # A float timestamp of today's dates carries ~0.2 µs of error, so rounding is exact.
    return (round(event.occurred_at.timestamp() * 1_000_000), event.event_id)


def _producer(p: Any) -> Producer:
    return Producer(p.id, p.kind, p.municipality)


def _ord(d: Any) -> int | None:
    return None if d is None else int(d.toordinal())


Versions = dict[str, Any]  # event_id -> fact tuple


@dataclass(slots=True)
class ClientState:
    client_id: str
    registrations: Versions = field(default_factory=dict)
    signed: dict[str, Versions] = field(default_factory=dict)
    amended: dict[str, Versions] = field(default_factory=dict)
    suspensions: dict[str, Versions] = field(default_factory=dict)
    ended: dict[str, Versions] = field(default_factory=dict)
    transfers: dict[str, Versions] = field(default_factory=dict)
    assignments: dict[tuple[str, str], Versions] = field(default_factory=dict)  # (worker, org)
    attendance: dict[str, dict[int, tuple[Rank, bool]]] = field(default_factory=dict)
    referrals_made: dict[str, Versions] = field(default_factory=dict)
    referrals_started: dict[str, Versions] = field(default_factory=dict)
    referrals_closed: dict[str, Versions] = field(default_factory=dict)
    # Attendance keeps the winning record of a day; the records it overruled are kept here
    # (rare: only corrections) so that `retract` can bring the runner-up back.
    overruled: dict[tuple[str, int], list[tuple[Rank, bool]]] = field(default_factory=dict)


def holds_nothing(state: ClientState) -> bool:
    """Whether no fact of the client is held: every event of theirs was a version that lost,
    or has been retracted since (SPEC.md 1.4). Such a client has no row in `clients`."""
    return state == ClientState(state.client_id)


def _put(table: dict[Any, Versions], key: Any, rank: Rank, fact: Any) -> None:
    # setdefault: a second event with the same id is ignored (SPEC.md 1.1). No dict made for
    # the key unless it is new (setdefault's default would be made every time).
    versions = table.get(key)
    if versions is None:
        table[key] = {rank[1]: fact}
    else:
        versions.setdefault(rank[1], fact)


def apply(state: ClientState, event: Event, rank: Rank | None = None) -> ClientState:
    """Add one validated event's fact to the client's state (in place; returns the state).
    `rank` may be passed when the caller has computed it already."""
    add_fact(state, event, rank_of(event) if rank is None else rank)
    return state


def add_fact(state: ClientState, event: Event, rank: Rank) -> int:
    """`apply`, returning the event's effective day (ordinal), which every fact records anyway:
    a replay needs it per event, and the property on the event costs more than the fact."""
    pl: Any = event.payload
    if isinstance(event, ev.AttendanceRecorded):  # most events: first, and no setdefault
        day: int = pl.date.toordinal()
        days = state.attendance.get(pl.contract_id)
        if days is None:
            days = state.attendance[pl.contract_id] = {}
        current = days.get(day)
        if current is None:
            days[day] = (rank, pl.present)
        elif rank != current[0]:  # a correction: the later rank wins, the other is kept aside
            won = rank > current[0]
            if won:
                days[day] = (rank, pl.present)
            lost = current if won else (rank, pl.present)
            aside = state.overruled.setdefault((pl.contract_id, day), [])
            if lost not in aside:
                aside.append(lost)
        return day
    fact: Any
    if isinstance(event, ev.ContractSigned):
        fact = Signed(
            rank, pl.start_date.toordinal(), pl.service, pl.organizer, _producer(pl.producer),
            _ord(pl.planned_end_date), pl.days_per_week, pl.hours_per_day)
        _put(state.signed, pl.contract_id, rank, fact)
    elif isinstance(event, ev.ContractAmended):
        fact = Amended(
            rank, pl.amended_on.toordinal(), _ord(pl.planned_end_date), pl.days_per_week,
            pl.hours_per_day, None if pl.producer is None else _producer(pl.producer))
        _put(state.amended, pl.contract_id, rank, fact)
    elif isinstance(event, ev.ContractSuspended):
        fact = Toggle(rank, pl.from_date.toordinal(), True)
        _put(state.suspensions, pl.contract_id, rank, fact)
    elif isinstance(event, ev.ContractResumed):
        fact = Toggle(rank, pl.on_date.toordinal(), False)
        _put(state.suspensions, pl.contract_id, rank, fact)
    elif isinstance(event, ev.ContractEnded):
        fact = Ended(rank, pl.end_date.toordinal(), pl.reason)
        _put(state.ended, pl.contract_id, rank, fact)
    elif isinstance(event, ev.ResponsibilityTransferred):
        fact = Transfer(rank, pl.effective_date.toordinal(), pl.from_organizer, pl.to_organizer)
        _put(state.transfers, pl.contract_id, rank, fact)
    elif isinstance(event, ev.WorkerAssigned | ev.WorkerUnassigned):
        on = isinstance(event, ev.WorkerAssigned)
        fact = Toggle(rank, pl.on_date.toordinal(), on)
        _put(state.assignments, (pl.worker_id, pl.organization), rank, fact)
    elif isinstance(event, ev.ReferralMade):
        fact = Mark(rank, pl.made_on.toordinal(), pl.target)
        _put(state.referrals_made, pl.referral_id, rank, fact)
    elif isinstance(event, ev.ReferralStarted):
        fact = Mark(rank, pl.started_on.toordinal(), "")
        _put(state.referrals_started, pl.referral_id, rank, fact)
    elif isinstance(event, ev.ReferralClosed):
        fact = Mark(rank, pl.closed_on.toordinal(), pl.outcome)
        _put(state.referrals_closed, pl.referral_id, rank, fact)
    elif isinstance(event, ev.ClientRegistered):
        fact = Registration(rank, pl.registered_on.toordinal(), pl.birth_year,
                            pl.home_municipality, pl.referred_by)
        state.registrations.setdefault(rank[1], fact)
    else:
        raise TypeError(f"not an event: {type(event).__name__}")
    effective: int = fact.day
    return effective



def _plain_producer(p: dict[str, str]) -> Producer:
    return Producer(p["id"], p["kind"], p["municipality"])


def add_plain(state: ClientState, event_type: str, pl: dict[str, Any], rank: Rank) -> int:
    """`add_fact` for an event that came through the door's fast path (schemas/fastdoor.py):
    its type, and its payload as a dict whose dates are ordinals already (every field present,
    absent optional ones as None). The same facts as `add_fact` of the same event (a test
    holds the two together). Returns the effective day."""
    if event_type == "attendance.recorded":
        contract_id: str = pl["contract_id"]
        day: int = pl["date"]
        present: bool = pl["present"]
        days = state.attendance.get(contract_id)
        if days is None:
            days = state.attendance[contract_id] = {}
        current = days.get(day)
        if current is None:
            days[day] = (rank, present)
        elif rank != current[0]:  # a correction: the later rank wins, the other is kept aside
            won = rank > current[0]
            if won:
                days[day] = (rank, present)
            lost = current if won else (rank, present)
            aside = state.overruled.setdefault((contract_id, day), [])
            if lost not in aside:
                aside.append(lost)
        return day
    fact: Any
    if event_type == "contract.signed":
        fact = Signed(rank, pl["start_date"], pl["service"], pl["organizer"],
                      _plain_producer(pl["producer"]), pl["planned_end_date"],
                      pl["days_per_week"], pl["hours_per_day"])
        _put(state.signed, pl["contract_id"], rank, fact)
    elif event_type == "contract.amended":
        producer = pl["producer"]
        fact = Amended(rank, pl["amended_on"], pl["planned_end_date"], pl["days_per_week"],
                       pl["hours_per_day"], None if producer is None else _plain_producer(producer))
        _put(state.amended, pl["contract_id"], rank, fact)
    elif event_type == "contract.suspended":
        fact = Toggle(rank, pl["from_date"], True)
        _put(state.suspensions, pl["contract_id"], rank, fact)
    elif event_type == "contract.resumed":
        fact = Toggle(rank, pl["on_date"], False)
        _put(state.suspensions, pl["contract_id"], rank, fact)
    elif event_type == "contract.ended":
        fact = Ended(rank, pl["end_date"], pl["reason"])
        _put(state.ended, pl["contract_id"], rank, fact)
    elif event_type == "responsibility.transferred":
        fact = Transfer(rank, pl["effective_date"], pl["from_organizer"], pl["to_organizer"])
        _put(state.transfers, pl["contract_id"], rank, fact)
    elif event_type == "worker.assigned" or event_type == "worker.unassigned":
        fact = Toggle(rank, pl["on_date"], event_type == "worker.assigned")
        _put(state.assignments, (pl["worker_id"], pl["organization"]), rank, fact)
    elif event_type == "referral.made":
        fact = Mark(rank, pl["made_on"], pl["target"])
        _put(state.referrals_made, pl["referral_id"], rank, fact)
    elif event_type == "referral.started":
        fact = Mark(rank, pl["started_on"], "")
        _put(state.referrals_started, pl["referral_id"], rank, fact)
    elif event_type == "referral.closed":
        fact = Mark(rank, pl["closed_on"], pl["outcome"])
        _put(state.referrals_closed, pl["referral_id"], rank, fact)
    elif event_type == "client.registered":
        fact = Registration(rank, pl["registered_on"], pl["birth_year"], pl["home_municipality"],
                            pl["referred_by"])
        state.registrations.setdefault(rank[1], fact)
    else:
        raise TypeError(f"not an event type: {event_type}")
    effective: int = fact.day
    return effective

_VERSIONED = ("signed", "amended", "suspensions", "ended", "transfers", "assignments",
              "referrals_made", "referrals_started", "referrals_closed")


def retract(state: ClientState, event_id: str) -> bool:
    """Take back the fact of one event (SPEC.md 1.4: another content under its id won), as if
    it had never been applied. Returns whether the state held it. Rare, so a scan is fine."""
    found = state.registrations.pop(event_id, None) is not None
    for name in _VERSIONED:
        table: dict[Any, Versions] = getattr(state, name)
        for key in [k for k, vs in table.items() if event_id in vs]:
            del table[key][event_id]
            found = True
            if not table[key]:
                del table[key]
    for (contract_id, day), aside in list(state.overruled.items()):
        kept = [r for r in aside if r[0][1] != event_id]
        found = found or len(kept) < len(aside)
        if kept:
            state.overruled[(contract_id, day)] = kept
        else:
            del state.overruled[(contract_id, day)]
    for contract_id, days in list(state.attendance.items()):
        for day in [d for d, (rank, _p) in days.items() if rank[1] == event_id]:
            found = True
            del days[day]
            aside = state.overruled.pop((contract_id, day), [])
            if aside:  # the best overruled record is the day's winner again
                best = max(aside)
                days[day] = best
                if len(aside) > 1:
                    state.overruled[(contract_id, day)] = [r for r in aside if r != best]
        if not days:
            del state.attendance[contract_id]
    return found
