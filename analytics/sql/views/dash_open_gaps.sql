-- dash_open_gaps: continuity gaps open on the as-of date by gap type, as a manager sees them:
-- every count from 1 to 4 is shown as '<5' (small-number suppression, FACTS.md), so every
-- page, chart and CSV built on it is suppressed at once.
-- grain: one row per gap_type (all five, zeros included).
CREATE VIEW dash_open_gaps AS
WITH types(gap_type, ord) AS (
    VALUES ('HANDOFF_MISSING', 1), ('SERVICE_BREAK', 2), ('NO_RESPONSIBLE_WORKER', 3),
           ('ATTENDANCE_SILENCE', 4), ('REFERRAL_STALLED', 5)
), n AS (
    SELECT gap_type, count(*) AS n FROM continuity_gaps WHERE is_open GROUP BY gap_type
)
SELECT t.gap_type,
       CASE WHEN coalesce(n.n, 0) BETWEEN 1 AND 4 THEN '<5'
            ELSE CAST(coalesce(n.n, 0) AS VARCHAR) END AS open_gaps
FROM types t LEFT JOIN n USING (gap_type)
ORDER BY t.ord;
