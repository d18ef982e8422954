-- data_issues: valid events that refer to a contract or referral never seen for the client.
-- grain: one row per (event_id, issue).
CREATE TABLE data_issues (
    event_id  VARCHAR NOT NULL,
    client_id VARCHAR NOT NULL,
    issue     VARCHAR NOT NULL
);
