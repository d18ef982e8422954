-- dash_story_cells: the cells of the overview's handoff story that no other dash_* view has.
-- kind 'in_service': young people in KTT or SOSKU on each month end from January 2021 (or 24
-- months back, whichever is earlier) and on the as-of date, by service and the internal area
-- of the municipality of their latest-started active contract of that service ('-' unknown);
-- a young person is counted once per service and day. kind 'open_started': gaps open on the
-- as-of date by gap type, internal area and the month they began (so the page can say how
-- many began before a handoff date). Not suppressed: the finest cells, suppressed jointly
-- with every other published figure (analytics/disclosure.py, services/web/published.py).
-- grain: one row per (kind, day, key, internal_area): for 'in_service' day = the month end
-- (or as-of date) and key = the service; for 'open_started' day = the first day of the month
-- the gap began and key = the gap type.
CREATE VIEW dash_story_cells AS
WITH a AS (
    SELECT max(as_of_date) AS d, CAST(date_trunc('month', max(as_of_date)) AS DATE) AS m
    FROM as_of
), ends AS (
    SELECT CAST(a.m - INTERVAL (i) MONTH - INTERVAL 1 DAY AS DATE) AS day
    FROM a, range(0, greatest(24, datediff('month', DATE '2021-01-01', a.m))) t(i)
    UNION
    SELECT d FROM a WHERE d IS NOT NULL
), k AS (
    SELECT k.client_id, k.contract_id, k.service, k.start_date, k.last_day,
           coalesce(m.internal_area, '-') AS internal_area
    FROM contracts k LEFT JOIN municipalities m ON m.code = k.municipality
    WHERE k.service IN ('KTT', 'SOSKU')
), on_day AS (
    SELECT e.day, k.service, k.internal_area
    FROM ends e JOIN k ON k.start_date <= e.day AND (k.last_day IS NULL OR k.last_day >= e.day)
    QUALIFY row_number() OVER (PARTITION BY e.day, k.service, k.client_id
                               ORDER BY k.start_date DESC, k.contract_id) = 1
)
SELECT 'in_service' AS kind, day, service AS key, internal_area, count(*) AS n
FROM on_day GROUP BY ALL
UNION ALL
SELECT 'open_started', CAST(date_trunc('month', started_on) AS DATE), gap_type,
       coalesce(internal_area, '-'), count(*)
FROM gaps_by_place WHERE is_open
GROUP BY ALL;
