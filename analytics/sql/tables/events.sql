-- events: every valid event taken, pseudonymised, after de-duplication by event_id.
-- grain: one row per event_id. Events effective after the as-of date are kept here too.
CREATE TABLE events (
    event_id       VARCHAR NOT NULL,
    event_type     VARCHAR NOT NULL,
    occurred_at    TIMESTAMPTZ NOT NULL,
    effective_date DATE NOT NULL,
    source         VARCHAR NOT NULL,
    client_id      VARCHAR NOT NULL,
    payload        JSON NOT NULL
);
