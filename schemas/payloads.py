"""Payload models of the thirteen event types (SPEC.md 1.3): frozen, strict, unknown fields
forbidden. Dates are ISO `YYYY-MM-DD`; strict mode keeps `"1"` from passing as 1."""

from pydantic import BaseModel, ConfigDict, model_validator

from schemas.types import (
    BirthYear,
    Day,
    DaysPerWeek,
    EndReason,
    HoursPerDay,
    Ident,
    MunicipalityCode,
    OrganizerId,
    ProducerKind,
    ReferralOutcome,
    ReferralTarget,
    ReferredBy,
    Service,
    SuspensionReason,
)


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Producer(Payload):
    id: Ident
    kind: ProducerKind
    municipality: MunicipalityCode


class ClientRegistered(Payload):
    birth_year: BirthYear
    home_municipality: MunicipalityCode
    referred_by: ReferredBy
    registered_on: Day


class ContractSigned(Payload):
    contract_id: Ident
    service: Service
    organizer: OrganizerId
    producer: Producer
    start_date: Day
    planned_end_date: Day | None = None
    days_per_week: DaysPerWeek | None = None
    hours_per_day: HoursPerDay | None = None


class ContractAmended(Payload):
    contract_id: Ident
    amended_on: Day
    planned_end_date: Day | None = None
    days_per_week: DaysPerWeek | None = None
    hours_per_day: HoursPerDay | None = None
    producer: Producer | None = None

    @model_validator(mode="after")
    def _sets_something(self) -> "ContractAmended":
        if (self.planned_end_date, self.days_per_week, self.hours_per_day, self.producer) == (
            None, None, None, None,
        ):
            raise ValueError(
                "an amendment must set at least one of planned_end_date, days_per_week, "
                "hours_per_day, producer"
            )
        return self


class ContractSuspended(Payload):
    contract_id: Ident
    from_date: Day
    reason: SuspensionReason


class ContractResumed(Payload):
    contract_id: Ident
    on_date: Day


class ContractEnded(Payload):
    contract_id: Ident
    end_date: Day
    reason: EndReason


class ResponsibilityTransferred(Payload):
    contract_id: Ident
    from_organizer: OrganizerId
    to_organizer: OrganizerId
    effective_date: Day


class WorkerAssigned(Payload):
    worker_id: Ident
    organization: OrganizerId
    on_date: Day


class WorkerUnassigned(Payload):
    worker_id: Ident
    organization: OrganizerId
    on_date: Day


class AttendanceRecorded(Payload):
    contract_id: Ident
    date: Day
    present: bool


class ReferralMade(Payload):
    referral_id: Ident
    target: ReferralTarget
    made_on: Day


class ReferralStarted(Payload):
    referral_id: Ident
    started_on: Day


class ReferralClosed(Payload):
    referral_id: Ident
    closed_on: Day
    outcome: ReferralOutcome
