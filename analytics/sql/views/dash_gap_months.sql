-- dash_gap_months: continuity gaps open at the end of each of the 24 months before the as-of
-- date's month, by gap type and internal area ('-' unknown): the manager's trend (its last
-- point, the as-of date, is dash_gap_cells). Not suppressed; see dash_gap_cells.
-- grain: one row per (month_end, gap_type, internal_area) with a gap open at month_end.
CREATE VIEW dash_gap_months AS
WITH a AS (
    SELECT CAST(date_trunc('month', max(as_of_date)) AS DATE) AS m FROM as_of
), ends AS (
    SELECT CAST(a.m - INTERVAL (i) MONTH - INTERVAL 1 DAY AS DATE) AS month_end
    FROM a, range(0, 24) t(i)
), g AS (
    SELECT gap_type, coalesce(internal_area, '-') AS internal_area, started_on, ended_on
    FROM gaps_by_place
)
SELECT e.month_end, g.gap_type, g.internal_area, count(*) AS n
FROM ends e JOIN g ON g.started_on <= e.month_end
    AND (g.ended_on IS NULL OR g.ended_on > e.month_end)
GROUP BY ALL;
