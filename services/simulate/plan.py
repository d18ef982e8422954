"""One young person's planned history, before it becomes events. Plans are plain data so that
failure injection can bend them (a transfer made late, an end never recorded) before emitting.
Emitting fills in the facts it wrote (attendance, suspensions, workers), from which the truth
of every gap is derived (expect.py). All days are date ordinals."""

from dataclasses import dataclass, field

from services.simulate.geography import Area, Place
from services.simulate.workshops import Producer

# (gap_type or violation_type, subject: contract or referral id or None, a day inside it)
Mark = tuple[str, str | None, int]


@dataclass(slots=True)
class Transfer:
    """A responsibility.transferred of one contract in one handoff."""

    handoff: str
    on: int  # effective date: the new organiser's first day
    from_organizer: str
    to_organizer: str
    recorded: int  # the day it was recorded (occurred_at)
    worker_delay: int = 0  # days the new organiser's first worker comes after `on`


@dataclass(slots=True)
class ContractPlan:
    id: str
    service: str  # KTT, SOSKU, NUPA
    start: int
    last: int  # last day in service; after the window's end the contract is open as of it
    end_reason: str
    planned_end: int | None  # as signed
    organizer: str  # as signed
    producer: Producer
    days_per_week: int
    hours_per_day: int
    extended_to: int | None = None  # a contract.amended moves the planned end here
    record_end: bool = True  # False: no contract.ended (still open, or left to expire)
    transfers: list[Transfer] = field(default_factory=list)
    silent_after: int | None = None  # a silent drop-out: no attendance after this day
    # Filled in by emit: what was written.
    ended: tuple[int, str] | None = None  # (end_date, reason) of its contract.ended
    planned_final: int | None = None  # planned end after the amendment that was written
    records: list[tuple[int, bool]] = field(default_factory=list)
    suspensions: list[tuple[int, int, str]] = field(default_factory=list)

    def organizer_on(self, day: int) -> str:
        org = self.organizer
        for t in self.transfers:
            if t.on <= day:
                org = t.to_organizer
        return org


@dataclass(slots=True)
class ReferralPlan:
    id: str
    target: str
    made: int
    started: int | None = None
    closed: int | None = None
    outcome: str | None = None


@dataclass(slots=True)
class Injection:
    """One injected failure and the gaps or violations it must cause (by a day inside each)."""

    kind: str
    handoff: str | None
    marks: list[Mark]


@dataclass(slots=True)
class ClientPlan:
    index: int
    client_field: str  # "client_id", or "client_hetu" for the few sent with an identity code
    client_value: str
    birth_year: int
    home: Place
    area: Area
    referred_by: str
    registered_on: int
    contracts: list[ContractPlan] = field(default_factory=list)
    referrals: list[ReferralPlan] = field(default_factory=list)
    injections: list[Injection] = field(default_factory=list)
    workers: list[tuple[int, bool, str, str]] = field(default_factory=list)  # filled by emit

    def inject(self, kind: str, *marks: Mark, handoff: str | None = None) -> None:
        """Record an injected failure and where jatkumo must find it."""
        self.injections.append(Injection(kind, handoff, list(marks)))
