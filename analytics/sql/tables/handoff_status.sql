-- handoff_status: contracts that had to move in a handoff (SPEC.md 4.1; by default the 2023
-- one: KTT and SOSKU signed with a municipal organiser, started before and active on 1.1.2023).
-- grain: one row per (handoff, contract).
CREATE TABLE handoff_status (
    contract_id    VARCHAR NOT NULL,
    client_id      VARCHAR NOT NULL,
    service        VARCHAR NOT NULL,
    municipality   VARCHAR NOT NULL,  -- three-digit code of the signed organiser
    producer_id    VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,  -- transferred, transferred_late, ended_untransferred, pending
    transferred_on DATE,              -- the first transfer from the from kind to the to kind
    handoff        VARCHAR NOT NULL   -- the handoff's name, "2023" by default
);
