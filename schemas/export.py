"""JSON Schema per event type, for the teams whose systems will send events."""

from typing import Any

from schemas.events import EVENT_CLASSES, EVENT_TYPES

_CLIENT_RULE = {
    "oneOf": [{"required": ["client_id"]}, {"required": ["client_hetu"]}],
    "description": "Exactly one of client_id (a pseudonym) and client_hetu (a Finnish personal "
                   "identity code, pseudonymised on arrival) is required.",
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """event_type -> JSON Schema (draft 2020-12) of the whole event."""
    out = {}
    for event_type, cls in zip(EVENT_TYPES, EVENT_CLASSES, strict=True):
        schema = cls.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = event_type
        schema.update(_CLIENT_RULE)
        out[event_type] = schema
    return out
