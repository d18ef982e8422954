-- gap_rows: the gaps the core found; continuity_gaps is the view to read.
-- grain: one row per (client_id, gap_type, subject_id, started_on).
CREATE TABLE gap_rows (
    client_id   VARCHAR NOT NULL,
    gap_type    VARCHAR NOT NULL,
    subject_id  VARCHAR,
    started_on  DATE NOT NULL,
    ended_on    DATE,
    length_days INTEGER NOT NULL
);
