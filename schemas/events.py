"""The event envelope (SPEC.md 1.1) and one envelope class per event type, joined into a
discriminated union on `event_type` so one pydantic call validates a whole line."""

from datetime import UTC, date, datetime
from typing import Annotated, ClassVar, Literal, TypeAlias, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from schemas import payloads as p
from schemas.hetu import hetu_problem
from schemas.types import FIRST_DAY, LAST_DAY, ClientId, EventId, Source, Timestamp

# SPEC.md 1.4 "impossible date": every date of an event lies in 1900-2100 (schemas.types.Day),
# and so does occurred_at. A fixed horizon, not the wall clock: the same file must get the same
# verdict on any day (a replay next year, a test written for the 2027 handoff). It is what keeps
# the default as-of date (the latest effective date) sane: one `made_on: 9999-12-31` had moved
# it to 9999 and broken every timeline.
_EARLIEST = datetime(FIRST_DAY.year, 1, 1, tzinfo=UTC).timestamp()
_LATEST = datetime(LAST_DAY.year + 1, 1, 1, tzinfo=UTC).timestamp()


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    effective_field: ClassVar[str]

    event_id: EventId
    schema_version: Annotated[int, Field(strict=True, ge=1, le=1, json_schema_extra={"const": 1})]
    occurred_at: Timestamp
    source: Source
    client_id: ClientId | None = None
    client_hetu: str | None = None

    @model_validator(mode="after")
    def _one_client(self) -> "Envelope":
        if (self.client_id is None) == (self.client_hetu is None):
            raise ValueError("exactly one of client_id and client_hetu is required")
        if self.client_hetu is not None:
            problem = hetu_problem(self.client_hetu)
            if problem is not None:
                raise ValueError(f"client_hetu: invalid identity code: {problem}")
        if not _EARLIEST <= self.occurred_at.timestamp() < _LATEST:
            raise ValueError("occurred_at: impossible date: before 1900 or after 2100")
        return self

    @property
    def effective_date(self) -> date:
        value: date = getattr(self.payload, self.effective_field)  # type: ignore[attr-defined]
        return value

    @property
    def client(self) -> str:
        """The client pseudonym; only valid after the door has replaced any identity code."""
        assert self.client_id is not None, "identity code not pseudonymised at the door"
        return self.client_id


class ClientRegistered(Envelope):
    effective_field = "registered_on"
    event_type: Literal["client.registered"]
    payload: p.ClientRegistered


class ContractSigned(Envelope):
    effective_field = "start_date"
    event_type: Literal["contract.signed"]
    payload: p.ContractSigned


class ContractAmended(Envelope):
    effective_field = "amended_on"
    event_type: Literal["contract.amended"]
    payload: p.ContractAmended


class ContractSuspended(Envelope):
    effective_field = "from_date"
    event_type: Literal["contract.suspended"]
    payload: p.ContractSuspended


class ContractResumed(Envelope):
    effective_field = "on_date"
    event_type: Literal["contract.resumed"]
    payload: p.ContractResumed


class ContractEnded(Envelope):
    effective_field = "end_date"
    event_type: Literal["contract.ended"]
    payload: p.ContractEnded


class ResponsibilityTransferred(Envelope):
    effective_field = "effective_date"
    event_type: Literal["responsibility.transferred"]
    payload: p.ResponsibilityTransferred


class WorkerAssigned(Envelope):
    effective_field = "on_date"
    event_type: Literal["worker.assigned"]
    payload: p.WorkerAssigned


class WorkerUnassigned(Envelope):
    effective_field = "on_date"
    event_type: Literal["worker.unassigned"]
    payload: p.WorkerUnassigned


class AttendanceRecorded(Envelope):
    effective_field = "date"
    event_type: Literal["attendance.recorded"]
    payload: p.AttendanceRecorded


class ReferralMade(Envelope):
    effective_field = "made_on"
    event_type: Literal["referral.made"]
    payload: p.ReferralMade


class ReferralStarted(Envelope):
    effective_field = "started_on"
    event_type: Literal["referral.started"]
    payload: p.ReferralStarted


class ReferralClosed(Envelope):
    effective_field = "closed_on"
    event_type: Literal["referral.closed"]
    payload: p.ReferralClosed


EVENT_CLASSES: tuple[type[Envelope], ...] = (
    ClientRegistered, ContractSigned, ContractAmended, ContractSuspended, ContractResumed,
    ContractEnded, ResponsibilityTransferred, WorkerAssigned, WorkerUnassigned,
    AttendanceRecorded, ReferralMade, ReferralStarted, ReferralClosed,
)
EVENT_TYPES: tuple[str, ...] = tuple(
    c.model_fields["event_type"].annotation.__args__[0]  # type: ignore[union-attr]
    for c in EVENT_CLASSES
)

Event: TypeAlias = Annotated[
    Union[  # noqa: UP007 - a discriminated union needs the Union form here
        ClientRegistered, ContractSigned, ContractAmended, ContractSuspended, ContractResumed,
        ContractEnded, ResponsibilityTransferred, WorkerAssigned, WorkerUnassigned,
        AttendanceRecorded, ReferralMade, ReferralStarted, ReferralClosed,
    ],
    Field(discriminator="event_type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
