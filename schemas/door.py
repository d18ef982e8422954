"""The door: every path into jatkumo (file, Kafka, HTTP) turns one raw JSON text into either a
validated, pseudonymised event or a dead letter. Identity codes do not get past this module."""

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from schemas.events import EVENT_ADAPTER, Event
from schemas.hetu import mask_codes, pseudonymise

NO_KEY_REASON = (
    "client_hetu: refused: JATKUMO_PSEUDONYM_KEY is not set, so identity codes cannot be "
    "pseudonymised; set it (the same key on every jatkumo process) and send the event again"
)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    raw: str  # the original text with identity codes masked
    reason: str  # names the field that failed
    origin: str  # file:line, or topic/partition/offset


def _reason(error: ValidationError) -> str:
    parts: list[str] = []
    for e in error.errors(include_url=False, include_input=False):
        loc = [str(x) for x in e["loc"]]
        if e["type"] in ("union_tag_not_found", "union_tag_invalid"):
            loc = ["event_type"]
            msg = "missing" if e["type"] == "union_tag_not_found" else "unknown event type"
        else:
            loc = loc[1:]  # the first element is the union tag (the event type)
            msg = e["msg"]
            if loc and loc[-1] in ("client_hetu",):
                msg = "invalid identity code"
        parts.append(f"{'.'.join(loc) or 'event'}: {msg}")
    return "; ".join(parts)


# The adapter's core validator, called directly by loops over millions of lines (the wrapper
# only passes its default options on). It raises ValidationError; see `refused` and `admit`.
validate_json: Callable[[str | bytes], Event] = EVENT_ADAPTER.validator.validate_json


def admit(raw: str | bytes, origin: str, key: bytes | None) -> Event | DeadLetter:
    """Validate one raw event text; pseudonymise its identity code if it carries one."""
    try:
        event = validate_json(raw)
    except ValidationError as error:
        return refused(raw, error, origin)
    if event.client_hetu is None:
        return event
    return pseudonymised(event, raw, origin, key)


def admitted(raw: str | bytes, key: bytes | None) -> Event | None:
    """`admit` for a reader that leaves dead letters to another (the sink: the worker writes
    them): the valid, pseudonymised event, or None where `admit` gives a dead letter. No
    origin is formatted and no reason is put together for what is thrown away anyway."""
    try:
        event = validate_json(raw)
    except ValidationError:
        return None
    if event.client_hetu is None:
        return event
    got = pseudonymised(event, raw, "", key)
    return None if isinstance(got, DeadLetter) else got


def refused(raw: str | bytes, error: ValidationError, origin: str) -> DeadLetter:
    return dead_letter(raw, _reason(error), origin)


def pseudonymised(event: Event, raw: str | bytes, origin: str,
                  key: bytes | None) -> Event | DeadLetter:
    """A valid event that carries an identity code, with the code replaced by its pseudonym."""
    assert event.client_hetu is not None
    if key is None:
        return dead_letter(raw, NO_KEY_REASON, origin)
    client = pseudonymise(event.client_hetu, key)
    return event.model_copy(update={"client_id": client, "client_hetu": None})


def dead_letter(raw: str | bytes, reason: str, origin: str) -> DeadLetter:
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return DeadLetter(raw=mask_codes(text.rstrip("\r\n")), reason=mask_codes(reason), origin=origin)
