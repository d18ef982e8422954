-- dash_service_cells: where young people are served on the as-of date: active clients and
-- workshops (producers) by municipality of the producer and service, with the producer kinds
-- present. Every North Ostrobothnia municipality appears (service NULL where no active
-- contract). Not suppressed: the service map's cells, suppressed jointly with every other
-- published figure (analytics/disclosure.py, services/web/published.py).
-- grain: one row per (municipality, service); a municipality with no active contract has one
-- row with service NULL.
CREATE VIEW dash_service_cells AS
WITH a AS (
    SELECT k.* FROM contracts k, as_of
    WHERE k.start_date <= as_of.as_of_date
      AND (k.last_day IS NULL OR k.last_day >= as_of.as_of_date)
), act AS (
    SELECT municipality, service, count(DISTINCT client_id) AS clients,
           count(DISTINCT producer_id) AS workshops,
           list(DISTINCT producer_kind ORDER BY producer_kind) AS producer_kinds
    FROM a GROUP BY ALL
), places AS (
    SELECT code AS municipality, name_fi, internal_area FROM municipalities
    WHERE internal_area IS NOT NULL OR code IN (SELECT municipality FROM act)
)
SELECT p.internal_area, p.municipality, p.name_fi AS municipality_name, act.service,
       act.producer_kinds, coalesce(act.clients, 0) AS clients,
       coalesce(act.workshops, 0) AS workshops
FROM places p LEFT JOIN act ON act.municipality = p.municipality;
