"""The OpenAPI 3.1 document of the ingest API; the event schemas are jatkumo's own JSON
Schemas (schemas.export, also written by `jatkumo schema`)."""

import json
from functools import cache
from typing import Any

from schemas.export import json_schemas

PROBLEM = {"description": "refused; the detail says why and what to do",
           "content": {"application/problem+json": {
               "schema": {"$ref": "#/components/schemas/Problem"}}}}


@cache
def document() -> dict[str, Any]:
    events, defs = _components(json_schemas())
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in events]
    event = {"oneOf": refs, "discriminator": {"propertyName": "event_type"}}
    result = {"type": "object", "required": ["index", "status"], "properties": {
        "index": {"type": "integer"},
        "status": {"enum": ["accepted", "duplicate", "dead_letter"]},
        "event_id": {"type": "string"},
        "reason": {"type": "string", "description": "why the door refused it (dead_letter)"},
        "issue": {"enum": ["conflicting_event_id"],
                  "description": "kept, but another version under its id is taken (SPEC 1.4)"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "jatkumo ingest", "version": "1",
                 "description": "Client-contract events of SPEC.md 1 from source systems. One "
                 "event, a JSON array, or NDJSON; at most 10 MB a request. Idempotent by "
                 "event_id: a retried request answers duplicate for what was taken."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {**defs, **events,
                        "Event": event, "Result": result,
                        "Problem": {"type": "object", "properties": {
                            "status": {"type": "integer"}, "detail": {"type": "string"}}}}},
        "security": [{"bearer": []}],
        "paths": {"/api/v1/events": {"post": {
            "summary": "send events",
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"oneOf": [
                    {"$ref": "#/components/schemas/Event"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}]}},
                "application/x-ndjson": {"schema": {"type": "string"}}}},
            "responses": {
                "200": {"description": "each event's fate, in the order sent",
                        "content": {"application/json": {"schema": {
                            "type": "object", "properties": {
                                "accepted": {"type": "integer"},
                                "duplicate": {"type": "integer"},
                                "dead_letter": {"type": "integer"},
                                "results": {"type": "array", "items": {
                                    "$ref": "#/components/schemas/Result"}}}}}}},
                **{str(s): PROBLEM for s in (400, 401, 408, 413, 415, 429, 503)}}}}},
    }


def _components(schemas: dict[str, dict[str, Any]]
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The event schemas as components, their `$defs` hoisted beside them (the same payload
    models under the same names) and every `$ref` pointed at the components."""
    events: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    for name, schema in schemas.items():
        text = json.dumps({k: v for k, v in schema.items() if k != "$schema"})
        doc = json.loads(text.replace('"#/$defs/', '"#/components/schemas/'))
        defs.update(doc.pop("$defs", {}))
        events[name] = doc
    return events, defs
