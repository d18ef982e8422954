-- dash_gap_cells: the open-gap cells of the cube the dashboard publishes to managers, in one
-- pass over gaps_by_place: rows with month_end NULL are the gaps open on the as-of date by gap
-- type, internal area, municipality and service of where the young person is served; rows
-- with a month_end are the gaps open at the end of each month from January 2021 (or of the 24
-- months before the as-of date's month, whichever reaches further back) to the month before
-- the as-of date's, by gap type and internal area (municipality and service NULL). Unknown place
-- or service is '-'. Not suppressed: these are the finest cells, suppressed once in Python
-- with every other figure a manager can reach (analytics/disclosure.py,
-- services/web/published.py). A view in every file, replayed or written by the sink.
-- grain: one row per (gap_type, internal_area, municipality, service) with an open gap, plus
-- one per (month_end, gap_type, internal_area) with a gap open at month_end.
CREATE VIEW dash_gap_cells AS
WITH g AS MATERIALIZED (
    SELECT gap_type, coalesce(internal_area, '-') AS internal_area,
           coalesce(municipality, '-') AS municipality, municipality_name,
           coalesce(service, '-') AS service, started_on, ended_on, is_open
    FROM gaps_by_place
), a AS (
    SELECT CAST(date_trunc('month', max(as_of_date)) AS DATE) AS m FROM as_of
), ends AS (
    SELECT CAST(a.m - INTERVAL (i) MONTH - INTERVAL 1 DAY AS DATE) AS month_end
    FROM a, range(0, greatest(24, datediff('month', DATE '2021-01-01', a.m))) t(i)
)
SELECT CAST(NULL AS DATE) AS month_end, gap_type, internal_area, municipality,
       any_value(municipality_name) AS municipality_name, service, count(*) AS n
FROM g WHERE is_open
GROUP BY gap_type, internal_area, municipality, service
UNION ALL
SELECT e.month_end, g.gap_type, g.internal_area, NULL, NULL, NULL, count(*)
FROM ends e JOIN g ON g.started_on <= e.month_end
    AND (g.ended_on IS NULL OR g.ended_on > e.month_end)
GROUP BY e.month_end, g.gap_type, g.internal_area;
