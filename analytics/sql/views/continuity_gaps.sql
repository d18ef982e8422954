-- continuity_gaps: days on which a young person had no organiser, service, responsible worker,
-- attendance or started referral (SPEC.md 3). ended_on is the first day after the gap; NULL and
-- is_open while the gap is still open on the as-of date.
-- grain: one row per (client_id, gap_type, subject_id, started_on).
CREATE VIEW continuity_gaps AS
SELECT client_id, gap_type, subject_id, started_on, ended_on, length_days,
       ended_on IS NULL AS is_open
FROM gap_rows;
