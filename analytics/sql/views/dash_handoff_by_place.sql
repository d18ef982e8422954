-- dash_handoff_by_place: the handoff cohort (handoff_status) by internal area and municipality
-- of the signed organiser, with subtotals per area and a total for the whole region
-- (municipality NULL = the area's subtotal; internal_area and municipality NULL = the region).
-- Every count from 1 to 4 is shown as '<5', and the cohort of a row with a hidden status as
-- '..' (secondary suppression, FACTS.md); subtotals across municipalities are not yet
-- protected against differencing.
-- grain: one row per (internal_area, municipality), plus one per internal_area, plus one total.
CREATE VIEW dash_handoff_by_place AS
WITH h AS (
    SELECT coalesce(m.internal_area, '-') AS internal_area, h.municipality, m.name_fi,
           h.status
    FROM handoff_status h LEFT JOIN municipalities m ON m.code = h.municipality
), n AS (
    SELECT internal_area, municipality, any_value(name_fi) AS municipality_name,
           count(*) AS cohort,
           count(*) FILTER (WHERE status = 'transferred') AS transferred,
           count(*) FILTER (WHERE status = 'transferred_late') AS transferred_late,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'ended_untransferred') AS ended_untransferred,
           grouping(internal_area, municipality) AS level
    FROM h GROUP BY ROLLUP (internal_area, municipality)
), k AS (
    SELECT n.*,
           (transferred BETWEEN 1 AND 4) OR (transferred_late BETWEEN 1 AND 4)
           OR (pending BETWEEN 1 AND 4) OR (ended_untransferred BETWEEN 1 AND 4) AS any_small
    FROM n
)
SELECT CASE WHEN level = 3 THEN NULL ELSE internal_area END AS internal_area,
       municipality, CASE WHEN level = 0 THEN municipality_name END AS municipality_name,
       level,
       -- Secondary suppression: a row's cohort minus its shown statuses would give the
       -- hidden ones away (two hidden cells summing to 2 are both 1), so the cohort of a row
       -- with any hidden status is hidden too, as '..'.
       CASE WHEN cohort BETWEEN 1 AND 4 THEN '<5' WHEN any_small THEN '..'
            ELSE CAST(cohort AS VARCHAR) END AS cohort,
       CASE WHEN transferred BETWEEN 1 AND 4 THEN '<5'
            ELSE CAST(transferred AS VARCHAR) END AS transferred,
       CASE WHEN transferred_late BETWEEN 1 AND 4 THEN '<5'
            ELSE CAST(transferred_late AS VARCHAR) END AS transferred_late,
       CASE WHEN pending BETWEEN 1 AND 4 THEN '<5' ELSE CAST(pending AS VARCHAR) END AS pending,
       CASE WHEN ended_untransferred BETWEEN 1 AND 4 THEN '<5'
            ELSE CAST(ended_untransferred AS VARCHAR) END AS ended_untransferred
FROM k;
