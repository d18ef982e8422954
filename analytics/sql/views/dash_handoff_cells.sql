-- dash_handoff_cells: each handoff's cohort (handoff_status, SPEC.md 4.1) by internal area
-- ('-' unknown) and municipality of the signed organiser, status and the month of the transfer
-- (NULL when not transferred). Not suppressed: the finest cell of the handoff cube a manager
-- sees (by handoff, place and status, and transfers by month and area), suppressed jointly
-- with every other published figure (analytics/disclosure.py, services/web/published.py).
-- grain: one row per (handoff, internal_area, municipality, status, transferred_month).
CREATE VIEW dash_handoff_cells AS
SELECT h.handoff, coalesce(m.internal_area, '-') AS internal_area, h.municipality,
       any_value(m.name_fi) AS municipality_name, h.status,
       CAST(date_trunc('month', h.transferred_on) AS DATE) AS transferred_month,
       count(*) AS n
FROM handoff_status h LEFT JOIN municipalities m ON m.code = h.municipality
GROUP BY h.handoff, coalesce(m.internal_area, '-'), h.municipality, h.status, transferred_month;
