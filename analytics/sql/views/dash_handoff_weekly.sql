-- dash_handoff_weekly: how much of the handoff cohort was transferred to the wellbeing area
-- each week (on time or late, by handoff_status), by internal area and for the whole region
-- (internal_area NULL). transferred_pct is the cumulative share of the cohort transferred by
-- the week's end; it is left out (NULL) whenever it would reveal a count from 1 to k-1. Counts
-- from 1 to k-1 are shown as '<k' (k = the connection variable jatkumo_suppress_below,
-- default 5); as the region's count of a week is the sum of its areas', a week and column with
-- exactly one hidden cell gets one more hidden as '..' (the smallest other nonzero one), so
-- no hidden count is the difference of shown ones.
-- grain: one row per (week, internal_area) from the first to the last week with a transfer.
CREATE VIEW dash_handoff_weekly AS
WITH RECURSIVE lim AS (
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
               OVER (PARTITION BY a.internal_area ORDER BY w.week) AS done,
           row_number() OVER (ORDER BY w.week, a.internal_area NULLS FIRST) AS r
    FROM weeks w CROSS JOIN areas a
    LEFT JOIN per_week p ON p.week = w.week
        AND p.internal_area IS NOT DISTINCT FROM a.internal_area
), cells AS (  -- cell = 2 * row + column (0 on time, 1 late), nonzero ones only
    SELECT week, 2 * r + col AS cell, col, v
    FROM cum, (SELECT unnest([0, 1]) AS col) c,
         LATERAL (SELECT [on_time, late][col + 1] AS v)
    WHERE v > 0
), sums AS (  -- a week's region count and its areas' counts, per column
    SELECT week || ' ' || col AS e, cell FROM cells
), hide(round, hidden) AS (
    SELECT 0, coalesce(list(cell) FILTER (WHERE v < (SELECT k FROM lim)), [])
    FROM cells
    UNION ALL
    SELECT round + 1, list_distinct(hidden || more) FROM (
        SELECT h.round, h.hidden, (
            SELECT coalesce(list(pick), []) FROM (
                SELECT count(*) FILTER (WHERE list_contains(h.hidden, s.cell)) AS nh,
                       (list(s.cell ORDER BY c.v, s.cell)
                            FILTER (WHERE NOT list_contains(h.hidden, s.cell)))[1] AS pick
                FROM sums s JOIN cells c USING (cell) GROUP BY s.e)
            WHERE nh = 1 AND pick IS NOT NULL) AS more
        FROM hide h)
    WHERE len(more) > 0
), hidden AS (
    SELECT unnest(hidden) AS cell FROM (SELECT hidden FROM hide ORDER BY round DESC LIMIT 1)
)
SELECT week, internal_area,
       CASE WHEN on_time BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN 2 * r IN (SELECT cell FROM hidden) THEN '..'
            ELSE CAST(on_time AS VARCHAR) END AS transferred,
       CASE WHEN late BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN 2 * r + 1 IN (SELECT cell FROM hidden) THEN '..'
            ELSE CAST(late AS VARCHAR) END AS transferred_late,
       CASE WHEN cohort = 0 OR done BETWEEN 1 AND k - 1 OR cohort - done BETWEEN 1 AND k - 1
            THEN NULL ELSE round(100.0 * done / cohort, 1) END AS transferred_pct
FROM cum CROSS JOIN lim;
