-- dash_handoff_weekly: how much of the handoff cohort was transferred to the wellbeing area
-- each week (on time or late, by handoff_status), by internal area and for the whole region
-- (internal_area NULL). transferred_pct is the cumulative share of the cohort transferred by
-- the week's end; it is left out (NULL) whenever it would reveal a count from 1 to 4, and the
-- counts are shown as '<5'.
-- grain: one row per (week, internal_area) from the first to the last week with a transfer.
CREATE VIEW dash_handoff_weekly AS
WITH h AS (
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
)
SELECT week, internal_area,
       CASE WHEN on_time BETWEEN 1 AND 4 THEN '<5' ELSE CAST(on_time AS VARCHAR) END
           AS transferred,
       CASE WHEN late BETWEEN 1 AND 4 THEN '<5' ELSE CAST(late AS VARCHAR) END
           AS transferred_late,
       CASE WHEN cohort = 0 OR done BETWEEN 1 AND 4 OR cohort - done BETWEEN 1 AND 4 THEN NULL
            ELSE round(100.0 * done / cohort, 1) END AS transferred_pct
FROM cum;
