-- dash_handoff_by_place_counts: the handoff cohort (handoff_status) by internal area and
-- municipality of the signed organiser, with subtotals per area and a total for the whole
-- region (level 0 = a municipality, 1 = an area's subtotal, 3 = the region); not suppressed:
-- dash_handoff_by_place is what a manager sees.
-- grain: one row per (internal_area, municipality), plus one per internal_area, plus one total.
CREATE VIEW dash_handoff_by_place_counts AS
WITH h AS (
    SELECT coalesce(m.internal_area, '-') AS internal_area, h.municipality, m.name_fi,
           h.status
    FROM handoff_status h LEFT JOIN municipalities m ON m.code = h.municipality
)
SELECT internal_area, municipality,
       CASE WHEN grouping(internal_area, municipality) = 0 THEN any_value(name_fi) END
           AS municipality_name,
       CAST(grouping(internal_area, municipality) AS INTEGER) AS level,
       count(*) AS cohort,
       count(*) FILTER (WHERE status = 'transferred') AS transferred,
       count(*) FILTER (WHERE status = 'transferred_late') AS transferred_late,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'ended_untransferred') AS ended_untransferred
FROM h GROUP BY ROLLUP (internal_area, municipality);

-- dash_handoff_by_place: dash_handoff_by_place_counts as a manager sees it. Every count from
-- 1 to k-1 is shown as '<k' (k = the connection variable jatkumo_suppress_below, default 5),
-- and, because totals stand next to their parts (a row's cohort = its four statuses; an
-- area's subtotal = its municipalities; the region = its areas), one more cell of any such
-- sum with exactly one hidden cell is hidden as '..' (the smallest other nonzero one), until
-- no sum has exactly one hidden cell: nothing hidden can be got back by subtraction.
-- grain: one row per (internal_area, municipality), plus one per internal_area, plus one total.
CREATE VIEW dash_handoff_by_place AS
WITH RECURSIVE lim AS (
    SELECT coalesce(TRY_CAST(getvariable('jatkumo_suppress_below') AS INTEGER), 5) AS k
), n AS (
    SELECT *, row_number() OVER (ORDER BY level, internal_area, municipality) AS r
    FROM dash_handoff_by_place_counts
), cells AS (  -- cell = 8 * row + column (0 cohort, 1..4 the statuses), nonzero ones only
    SELECT r, level, internal_area, 8 * r + col AS cell, col, v
    FROM n, (SELECT unnest([0, 1, 2, 3, 4]) AS col) c,
         LATERAL (SELECT [cohort, transferred, transferred_late, pending,
                          ended_untransferred][col + 1] AS v)
    WHERE v > 0
), sums AS (  -- every sum shown beside its parts: (sum id, cell)
    SELECT 'row ' || r AS e, cell FROM cells
    UNION ALL  -- an area's subtotal and its municipalities, per column
    SELECT 'area ' || internal_area || ' ' || col, cell FROM cells WHERE level IN (0, 1)
    UNION ALL  -- the region and its areas, per column
    SELECT 'region ' || col, cell FROM cells WHERE level IN (1, 3)
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
), shown AS (
    SELECT n.*, lim.k, list(cells.col) FILTER (WHERE cells.cell IN (SELECT cell FROM hidden))
           AS cols
    FROM n CROSS JOIN lim LEFT JOIN cells USING (r)
    GROUP BY ALL
)
SELECT CASE WHEN level = 3 THEN NULL ELSE internal_area END AS internal_area,
       municipality, CASE WHEN level = 0 THEN municipality_name END AS municipality_name,
       level,
       CASE WHEN cohort BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN list_contains(cols, 0) THEN '..' ELSE CAST(cohort AS VARCHAR) END AS cohort,
       CASE WHEN transferred BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN list_contains(cols, 1) THEN '..' ELSE CAST(transferred AS VARCHAR) END
           AS transferred,
       CASE WHEN transferred_late BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN list_contains(cols, 2) THEN '..' ELSE CAST(transferred_late AS VARCHAR) END
           AS transferred_late,
       CASE WHEN pending BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN list_contains(cols, 3) THEN '..' ELSE CAST(pending AS VARCHAR) END
           AS pending,
       CASE WHEN ended_untransferred BETWEEN 1 AND k - 1 THEN '<' || k
            WHEN list_contains(cols, 4) THEN '..' ELSE CAST(ended_untransferred AS VARCHAR)
       END AS ended_untransferred
FROM shown;
