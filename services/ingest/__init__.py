"""Events over HTTP, and a live embedded mode with no broker.

    body.py      a request body (one event, a JSON array, or NDJSON) -> the raw event texts
    tokens.py    the source systems' bearer tokens, stored hashed (`jatkumo token …`)
    limits.py    events per second per token
    ledger.py    SPEC.md 1.4 over a growing set of events: taken, duplicate or conflicting
    embedded.py  the one writer of a DuckDB file: an event log, and the relations of the
                 clients each batch touched, updated with the same pure core as replay
    routes.py    POST /api/v1/events and /api/v1/openapi.json, with group commit
    openapi.py   the OpenAPI 3.1 document, built from the event schemas
    live.py      `serve --ingest`: the embedded writer behind the dashboard, midnight moves
    kafka.py     `jatkumo ingest`: the same API in front of Kafka
"""
