"""One young person's planned history, before it becomes events. Plans are plain data so that
failure injection can bend them (a transfer made late, an end never recorded) before emitting.
All days are date ordinals."""

from dataclasses import dataclass, field
from typing import Any

from services.simulate.geography import Area, Place
from services.simulate.workshops import Producer


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
    transfer_on: int | None = None  # effective date of the transfer to the wellbeing area
    transfer_to: str | None = None
    transfer_recorded: int | None = None  # the day the transfer was recorded (occurred_at)
    worker_delay: int = 0  # days the wellbeing area's first worker comes after the transfer
    silent_after: int | None = None  # a silent drop-out: no attendance after this day

    @property
    def handed_over(self) -> bool:
        return self.service != "NUPA" and self.organizer.startswith("municipality:")


@dataclass(slots=True)
class ReferralPlan:
    id: str
    target: str
    made: int
    started: int | None = None
    closed: int | None = None
    outcome: str | None = None


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
    truth: list[dict[str, Any]] = field(default_factory=list)

    def expect(self, kind: str, *, gap_type: str | None = None,
               violation_type: str | None = None, subject_id: str | None = None,
               contract_id: str | None = None, start: str, end: str | None) -> None:
        """Record an injected failure and what jatkumo must find for it."""
        row: dict[str, Any] = {self.client_field: self.client_value, "kind": kind}
        if gap_type is not None:
            row["gap_type"] = gap_type
        if violation_type is not None:
            row["violation_type"] = violation_type
        row["subject_id"] = subject_id
        row["contract_id"] = contract_id
        row["from"] = start
        row["to"] = end
        self.truth.append(row)
