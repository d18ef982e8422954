-- referrals: referrals made by the as-of date, with their start and closing.
-- grain: one row per (client_id, referral_id).
CREATE TABLE referrals (
    referral_id VARCHAR NOT NULL,
    client_id   VARCHAR NOT NULL,
    target      VARCHAR NOT NULL,
    made_on     DATE NOT NULL,
    started_on  DATE,
    closed_on   DATE,
    outcome     VARCHAR
);
