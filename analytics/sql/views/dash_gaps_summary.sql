-- dash_gaps_summary_counts: continuity gaps counted by type, place, service, producer kind,
-- open or closed and the month they started; not suppressed (dash_gaps_summary is what a
-- manager sees). A replayed file keeps it as a table (analytics.dashboard.materialise).
-- grain: one row per (gap_type, internal_area, municipality, service, producer_kind, is_open,
-- started_month).
CREATE VIEW dash_gaps_summary_counts AS
SELECT gap_type, internal_area, municipality, any_value(municipality_name) AS
       municipality_name, service, producer_kind, is_open,
       CAST(date_trunc('month', started_on) AS DATE) AS started_month,
       count(*) AS n
FROM gaps_by_place
GROUP BY gap_type, internal_area, municipality, service, producer_kind, is_open,
         started_month;

-- dash_gaps_summary: the manager's gap list: dash_gaps_summary_counts with counts from 1 to k-1
-- shown as '<k' (k = the connection variable jatkumo_suppress_below, default 5). The open
-- gaps of a type add up to the number the overview shows (dash_open_gaps), so where exactly
-- one open cell of a type is hidden, one more (the smallest other) is hidden as '..': no
-- hidden count is then a difference of shown ones. (Each cell is in one such sum only, so one
-- round suffices.) The Gaps page filters and sorts these rows and exports them; no client
-- appears.
-- grain: one row per (gap_type, internal_area, municipality, service, producer_kind, is_open,
-- started_month).
CREATE VIEW dash_gaps_summary AS
WITH lim AS (
    SELECT coalesce(TRY_CAST(getvariable('jatkumo_suppress_below') AS INTEGER), 5) AS k
), n AS (
    SELECT c.*, lim.k,
           hash(gap_type, internal_area, municipality, service, producer_kind,
                started_month) AS h
    FROM dash_gaps_summary_counts c CROSS JOIN lim
), per_type AS (  -- the open cells of a type: how many hidden, and the smallest shown one
    SELECT gap_type, count(*) FILTER (WHERE n < k) AS hidden, sum(n) AS total,
           arg_min(h, CAST(n AS HUGEINT) * 18446744073709551616 + h)
               FILTER (WHERE n >= k) AS second
    FROM n WHERE is_open GROUP BY gap_type
)
SELECT n.gap_type, internal_area, municipality, municipality_name, service, producer_kind,
       is_open, started_month,
       CASE WHEN n BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN is_open AND t.hidden = 1 AND t.total >= k AND h = t.second THEN '..'
            ELSE CAST(n AS VARCHAR) END AS gaps
FROM n LEFT JOIN per_type t ON t.gap_type = n.gap_type AND n.is_open;
