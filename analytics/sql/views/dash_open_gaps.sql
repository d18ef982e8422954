-- dash_open_gaps: continuity gaps open on the as-of date by gap type, as a manager sees them:
-- every count from 1 to k-1 is shown as '<k' (small-number suppression; k = the connection
-- variable jatkumo_suppress_below, default 5), so every page, chart and CSV built on it is
-- suppressed at once.
-- grain: one row per gap_type (all five, zeros included).
CREATE VIEW dash_open_gaps AS
WITH lim AS (
    SELECT coalesce(TRY_CAST(getvariable('jatkumo_suppress_below') AS INTEGER), 5) AS k
), types(gap_type, ord) AS (
    VALUES ('HANDOFF_MISSING', 1), ('SERVICE_BREAK', 2), ('NO_RESPONSIBLE_WORKER', 3),
           ('ATTENDANCE_SILENCE', 4), ('REFERRAL_STALLED', 5)
), n AS (
    SELECT gap_type, count(*) AS n FROM continuity_gaps WHERE is_open GROUP BY gap_type
)
SELECT t.gap_type,
       CASE WHEN coalesce(n.n, 0) BETWEEN 1 AND k - 1 THEN '<' || k
            ELSE CAST(coalesce(n.n, 0) AS VARCHAR) END AS open_gaps
FROM types t CROSS JOIN lim LEFT JOIN n USING (gap_type)
ORDER BY t.ord;
