-- contracts: each contract as of the as-of date (SPEC.md 2).
-- grain: one row per (client_id, contract_id) signed with start_date on or before the as-of date.
CREATE TABLE contracts (
    contract_id      VARCHAR NOT NULL,
    client_id        VARCHAR NOT NULL,
    service          VARCHAR NOT NULL,   -- KTT, SOSKU, NUPA
    organizer        VARCHAR NOT NULL,   -- as of the as-of date
    producer_id      VARCHAR NOT NULL,
    producer_kind    VARCHAR NOT NULL,
    municipality     VARCHAR NOT NULL,   -- of the producer
    start_date       DATE NOT NULL,
    last_day         DATE,               -- NULL: open
    end_reason       VARCHAR,            -- an ended reason, or 'expired'
    signed_organizer VARCHAR NOT NULL,
    planned_end_date DATE,               -- set when last_day comes from the planned end
    suspended        BOOLEAN NOT NULL    -- suspended on the as-of date
);
