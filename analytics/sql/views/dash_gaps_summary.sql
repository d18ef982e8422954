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
-- one open cell of a type is hidden, one more (the smallest other nonzero) is hidden as '..',
-- and so on until no type has exactly one: no hidden count is a difference of shown ones.
-- The Gaps page filters and sorts these rows and exports them; no client appears.
-- grain: one row per (gap_type, internal_area, municipality, service, producer_kind, is_open,
-- started_month).
CREATE VIEW dash_gaps_summary AS
WITH RECURSIVE lim AS (
    SELECT coalesce(TRY_CAST(getvariable('jatkumo_suppress_below') AS INTEGER), 5) AS k
), n AS (
    SELECT *, row_number() OVER (ORDER BY gap_type, internal_area, municipality, service,
                                          producer_kind, is_open, started_month) AS cell
    FROM dash_gaps_summary_counts
), cells AS (  -- the open cells and, as cell -rank, each type's open total
    SELECT gap_type, cell, n AS v FROM n WHERE is_open
    UNION ALL
    SELECT gap_type, -dense_rank() OVER (ORDER BY gap_type), sum(n)
    FROM n WHERE is_open GROUP BY gap_type
), hide(round, hidden) AS (
    SELECT 0, coalesce(list(cell) FILTER (WHERE v < (SELECT k FROM lim)), [])
    FROM cells
    UNION ALL
    SELECT round + 1, list_distinct(hidden || more) FROM (
        SELECT h.round, h.hidden, (
            SELECT coalesce(list(pick), []) FROM (
                SELECT count(*) FILTER (WHERE list_contains(h.hidden, c.cell)) AS nh,
                       (list(c.cell ORDER BY c.v, c.cell)
                            FILTER (WHERE NOT list_contains(h.hidden, c.cell)))[1] AS pick
                FROM cells c GROUP BY c.gap_type)
            WHERE nh = 1 AND pick IS NOT NULL) AS more
        FROM hide h)
    WHERE len(more) > 0
), hidden AS (
    SELECT unnest(hidden) AS cell FROM (SELECT hidden FROM hide ORDER BY round DESC LIMIT 1)
)
SELECT gap_type, internal_area, municipality, municipality_name, service, producer_kind,
       is_open, started_month,
       CASE WHEN n BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN cell IN (SELECT cell FROM hidden) THEN '..'
            ELSE CAST(n AS VARCHAR) END AS gaps
FROM n CROSS JOIN lim;
