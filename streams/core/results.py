"""What evaluating one client yields: the rows of SPEC.md section 5, per client."""

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple


class GapRow(NamedTuple):
    client_id: str
    gap_type: str
    subject_id: str | None
    started_on: date
    ended_on: date | None  # the first day U no longer held; None while open as of A
    length_days: int


class ContractRow(NamedTuple):
    contract_id: str
    client_id: str
    service: str
    organizer: str  # as of A
    producer_id: str
    producer_kind: str
    municipality: str  # of the producer
    start_date: date
    last_day: date | None
    end_reason: str | None
    signed_organizer: str
    planned_end_date: date | None
    suspended: bool  # on A


class HandoffRow(NamedTuple):
    contract_id: str
    client_id: str
    service: str
    municipality: str  # of the signed organiser
    producer_id: str
    status: str
    transferred_on: date | None
    handoff: str  # the name of the handoff (SPEC.md 4.1), "2023" by default


class ViolationRow(NamedTuple):
    client_id: str
    contract_id: str
    violation_type: str
    on_date: date


class IssueRow(NamedTuple):
    event_id: str
    client_id: str
    issue: str


class ClientRow(NamedTuple):
    client_id: str
    birth_year: int | None
    home_municipality: str | None
    referred_by: str | None
    registered_on: date | None


class ReferralRow(NamedTuple):
    referral_id: str
    client_id: str
    target: str
    made_on: date
    started_on: date | None
    closed_on: date | None
    outcome: str | None


@dataclass(slots=True)
class ClientResult:
    client_id: str
    client: ClientRow | None = None
    contracts: list[ContractRow] = field(default_factory=list)
    gaps: list[GapRow] = field(default_factory=list)
    handoffs: list[HandoffRow] = field(default_factory=list)
    violations: list[ViolationRow] = field(default_factory=list)
    issues: list[IssueRow] = field(default_factory=list)
    referrals: list[ReferralRow] = field(default_factory=list)
    # Whether the client has its row in `clients` (registered or not). False for a client
    # known only by versions of shared event ids that lost (SPEC.md 1.4): replay lists those
    # in data_issues and nowhere else, as no event of the client was taken.
    listed: bool = True

    def client_rows(self) -> list[ClientRow]:
        """The client's rows of `clients`: one, registered or not, unless not `listed`."""
        if not self.listed:
            return []
        return [self.client or ClientRow(self.client_id, None, None, None, None)]
