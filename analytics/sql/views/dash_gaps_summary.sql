-- dash_gaps_summary: the manager's gap list: continuity gaps counted by type, place, service,
-- producer kind, open or closed and the month they started; no client appears. Counts from
-- 1 to 4 are shown as '<5'. The Gaps page filters and sorts these rows and exports them.
-- grain: one row per (gap_type, internal_area, municipality, service, producer_kind, is_open,
-- started_month).
CREATE VIEW dash_gaps_summary AS
WITH n AS (
    SELECT gap_type, internal_area, municipality, any_value(municipality_name) AS
           municipality_name, service, producer_kind, is_open,
           CAST(date_trunc('month', started_on) AS DATE) AS started_month,
           count(*) AS n
    FROM gaps_by_place
    GROUP BY gap_type, internal_area, municipality, service, producer_kind, is_open,
             started_month
)
SELECT gap_type, internal_area, municipality, municipality_name, service, producer_kind,
       is_open, started_month,
       CASE WHEN n BETWEEN 1 AND 4 THEN '<5' ELSE CAST(n AS VARCHAR) END AS gaps
FROM n;
