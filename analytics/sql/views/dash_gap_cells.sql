-- dash_gap_cells: continuity gaps open on the as-of date by gap type, internal area,
-- municipality and service of where the young person is served (gaps_by_place); unknown
-- place or service is '-'. Not suppressed: it is the finest cell of the cube the dashboard
-- publishes to managers, suppressed once in Python with every other figure they can reach
-- (analytics/disclosure.py, services/web/published.py). A replayed file may keep it as a table
-- (analytics.dashboard.materialise).
-- grain: one row per (gap_type, internal_area, municipality, service) with an open gap.
CREATE VIEW dash_gap_cells AS
SELECT gap_type, coalesce(internal_area, '-') AS internal_area,
       coalesce(municipality, '-') AS municipality, any_value(municipality_name)
           AS municipality_name, coalesce(service, '-') AS service, count(*) AS n
FROM gaps_by_place WHERE is_open
GROUP BY gap_type, coalesce(internal_area, '-'), coalesce(municipality, '-'),
         coalesce(service, '-');
