-- handoff_status: KTT and SOSKU contracts that had to move from a municipality to the
-- wellbeing area (signed with a municipal organiser, started before and active on the cutover).
-- grain: one row per contract.
CREATE TABLE handoff_status (
    contract_id    VARCHAR NOT NULL,
    client_id      VARCHAR NOT NULL,
    service        VARCHAR NOT NULL,
    municipality   VARCHAR NOT NULL,  -- three-digit code of the signed organiser
    producer_id    VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,  -- transferred, transferred_late, ended_untransferred, pending
    transferred_on DATE               -- effective date of the first transfer to a wellbeing area
);
