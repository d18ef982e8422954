-- dash_handoff_weekly: how much of the handoff cohort was transferred to the wellbeing area
-- each week (on time or late, by handoff_status), by internal area and for the whole region
-- (internal_area NULL). transferred_pct is the cumulative share of the cohort transferred by
-- the week's end; it is left out (NULL) whenever it would reveal a count from 1 to k-1. Counts
-- from 1 to k-1 are shown as '<k' (k = the connection variable jatkumo_suppress_below,
-- default 5); as the region's count of a week is the sum of its areas', a week and column with
-- exactly one hidden cell gets one more hidden as '..' (the smallest other nonzero one), so
-- no hidden count is the difference of shown ones (each cell is in one such sum only, so one
-- round suffices).
-- grain: one row per (week, internal_area) from the first to the last week with a transfer.
CREATE VIEW dash_handoff_weekly AS
WITH lim AS (
    SELECT coalesce(TRY_CAST(getvariable('jatkumo_suppress_below') AS INTEGER), 5) AS k
), h AS (
    SELECT coalesce(m.internal_area, '-') AS internal_area, h.status,
           CAST(date_trunc('week', h.transferred_on) AS DATE) AS week
    FROM handoff_status h LEFT JOIN municipalities m ON m.code = h.municipality
), areas AS (
    SELECT internal_area, count(*) AS cohort FROM h GROUP BY internal_area
    UNION ALL SELECT NULL, count(*) FROM h
), weeks AS (
    SELECT CAST(unnest(generate_series(min(week), max(week), INTERVAL 7 DAY)) AS DATE) AS week
    FROM h WHERE week IS NOT NULL
), per_week AS (
    SELECT week, internal_area,
           count(*) FILTER (WHERE status = 'transferred') AS on_time,
           count(*) FILTER (WHERE status = 'transferred_late') AS late
    FROM h WHERE week IS NOT NULL GROUP BY GROUPING SETS ((week, internal_area), (week))
), cum AS (
    SELECT w.week, a.internal_area, a.cohort,
           coalesce(p.on_time, 0) AS on_time, coalesce(p.late, 0) AS late,
           sum(coalesce(p.on_time, 0) + coalesce(p.late, 0))
               OVER (PARTITION BY a.internal_area ORDER BY w.week) AS done
    FROM weeks w CROSS JOIN areas a
    LEFT JOIN per_week p ON p.week = w.week
        AND p.internal_area IS NOT DISTINCT FROM a.internal_area
), marked AS (  -- per week and column: hidden cells, and which shown nonzero one is smallest
    SELECT cum.*, lim.k,
           count(*) FILTER (WHERE on_time BETWEEN 1 AND k - 1) OVER w AS hidden_on_time,
           row_number() OVER (w ORDER BY on_time = 0 OR on_time < k, on_time,
                              internal_area NULLS LAST) AS rank_on_time,
           count(*) FILTER (WHERE late BETWEEN 1 AND k - 1) OVER w AS hidden_late,
           row_number() OVER (w ORDER BY late = 0 OR late < k, late,
                              internal_area NULLS LAST) AS rank_late
    FROM cum CROSS JOIN lim
    WINDOW w AS (PARTITION BY week)
)
SELECT week, internal_area,
       CASE WHEN on_time BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN hidden_on_time = 1 AND rank_on_time = 1 AND on_time >= k THEN '..'
            ELSE CAST(on_time AS VARCHAR) END AS transferred,
       CASE WHEN late BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN hidden_late = 1 AND rank_late = 1 AND late >= k THEN '..'
            ELSE CAST(late AS VARCHAR) END AS transferred_late,
       CASE WHEN cohort = 0 OR done BETWEEN 1 AND k - 1 OR cohort - done BETWEEN 1 AND k - 1
            THEN NULL ELSE round(100.0 * done / cohort, 1) END AS transferred_pct
FROM marked;
