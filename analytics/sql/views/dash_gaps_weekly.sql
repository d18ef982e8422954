-- dash_gaps_weekly_counts: continuity gaps open at the end of each ISO week (its Sunday, or the
-- as-of date in the last week), by gap type, for the manager's weekly series. Computed from
-- +1/-1 deltas at started_on/ended_on and a running sum, so a decade of gaps costs no range join.
-- Not suppressed (dash_gaps_weekly is what a manager sees); a replayed file keeps it as a
-- table (analytics.dashboard.materialise).
-- grain: one row per (week, gap_type), week = the Monday, from the first gap's week to the
-- as-of date's week.
CREATE VIEW dash_gaps_weekly_counts AS
WITH deltas AS (
    SELECT gap_type, started_on AS d, 1 AS x FROM continuity_gaps
    UNION ALL
    SELECT gap_type, ended_on, -1 FROM continuity_gaps WHERE ended_on IS NOT NULL
), per_week AS (
    -- a change on day d is in effect at the end of its own week
    SELECT gap_type, CAST(date_trunc('week', d) AS DATE) AS week, sum(x) AS x
    FROM deltas GROUP BY ALL
), weeks AS (
    SELECT CAST(unnest(generate_series(
        CAST(date_trunc('week', (SELECT min(started_on) FROM continuity_gaps)) AS DATE),
        CAST(date_trunc('week', (SELECT max(as_of_date) FROM as_of)) AS DATE),
        INTERVAL 7 DAY)) AS DATE) AS week
), types(gap_type) AS (
    VALUES ('HANDOFF_MISSING'), ('SERVICE_BREAK'), ('NO_RESPONSIBLE_WORKER'),
           ('ATTENDANCE_SILENCE'), ('REFERRAL_STALLED')
), running AS (
    SELECT w.week, t.gap_type,
           sum(coalesce(p.x, 0)) OVER (PARTITION BY t.gap_type ORDER BY w.week) AS n
    FROM weeks w CROSS JOIN types t
    LEFT JOIN per_week p ON p.week = w.week AND p.gap_type = t.gap_type
)
SELECT week, gap_type, n FROM running;

-- dash_gaps_weekly: dash_gaps_weekly_counts as a manager sees it: open_gaps is suppressed
-- ('<k' for 1 to k-1, k = the connection variable jatkumo_suppress_below, default 5); the
-- chart leaves such weeks out. No total is shown beside these counts.
-- grain: one row per (week, gap_type), week = the Monday, from the first gap's week to the
-- as-of date's week.
CREATE VIEW dash_gaps_weekly AS
WITH lim AS (
    SELECT coalesce(TRY_CAST(getvariable('jatkumo_suppress_below') AS INTEGER), 5) AS k
)
SELECT week, gap_type,
       CASE WHEN n BETWEEN 1 AND k - 1 THEN '<' || k ELSE CAST(n AS VARCHAR) END AS open_gaps
FROM dash_gaps_weekly_counts CROSS JOIN lim;
