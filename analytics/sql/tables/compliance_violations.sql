-- compliance_violations: contracts that break the law on KTT or the handoff (SPEC.md 4).
-- grain: one row per (contract_id, violation_type).
CREATE TABLE compliance_violations (
    client_id      VARCHAR NOT NULL,
    contract_id    VARCHAR NOT NULL,
    violation_type VARCHAR NOT NULL,
    on_date        DATE NOT NULL
);
