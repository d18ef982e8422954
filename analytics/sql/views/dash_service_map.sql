-- dash_service_map_counts: where young people are served on the as-of date: active contracts by
-- internal area, municipality of the producer, service and producer kind; the workshops
-- (producers) present there; and the open gaps placed there. Every North Ostrobothnia
-- municipality appears, with has_local_workshop false where no producer serves anyone. Not
-- suppressed (dash_service_map is what a manager sees); a replayed file keeps it as a table
-- (analytics.dashboard.materialise).
-- grain: one row per (municipality, service, producer_kind); a municipality with no active
-- contract has one row with service and producer_kind NULL.
CREATE VIEW dash_service_map_counts AS
WITH a AS (
    SELECT k.* FROM contracts k, as_of
    WHERE k.start_date <= as_of.as_of_date
      AND (k.last_day IS NULL OR k.last_day >= as_of.as_of_date)
), act AS (
    SELECT municipality, service, producer_kind, count(DISTINCT client_id) AS clients,
           count(DISTINCT producer_id) AS workshops
    FROM a GROUP BY ALL
), g AS (
    SELECT municipality, service, producer_kind, count(*) AS open_gaps
    FROM gaps_by_place WHERE is_open GROUP BY ALL
), places AS (
    SELECT code AS municipality, name_fi, internal_area FROM municipalities
    WHERE internal_area IS NOT NULL OR code IN (SELECT municipality FROM act)
)
SELECT p.internal_area, p.municipality, p.name_fi AS municipality_name, act.service,
       act.producer_kind, coalesce(act.clients, 0) AS clients,
       coalesce(act.workshops, 0) AS workshops, coalesce(g.open_gaps, 0) AS open_gaps,
       coalesce(sum(act.workshops) OVER (PARTITION BY p.municipality), 0) > 0
           AS has_local_workshop
FROM places p
LEFT JOIN act ON act.municipality = p.municipality
LEFT JOIN g ON g.municipality = act.municipality AND g.service = act.service
    AND g.producer_kind = act.producer_kind;

-- dash_service_map: dash_service_map_counts as a manager sees it, so places without a local
-- service stand out. Counts from 1 to k-1 are '<k' (k = the connection variable
-- jatkumo_suppress_below, default 5); gaps per 100 active clients is left out (NULL) unless
-- both its counts are 0 or at least k. No totals are shown beside these cells.
-- grain: one row per (municipality, service, producer_kind); a municipality with no active
-- contract has one row with service and producer_kind NULL.
CREATE VIEW dash_service_map AS
WITH lim AS (
    SELECT coalesce(TRY_CAST(getvariable('jatkumo_suppress_below') AS INTEGER), 5) AS k
)
SELECT internal_area, municipality, municipality_name, service, producer_kind,
       has_local_workshop,
       CASE WHEN clients BETWEEN 1 AND k - 1 THEN '<' || k ELSE CAST(clients AS VARCHAR) END
           AS active_clients,
       CASE WHEN workshops BETWEEN 1 AND k - 1 THEN '<' || k ELSE CAST(workshops AS VARCHAR)
       END AS workshops,
       CASE WHEN clients >= k AND (open_gaps = 0 OR open_gaps >= k)
            THEN round(100.0 * open_gaps / clients, 1) END AS gaps_per_100
FROM dash_service_map_counts CROSS JOIN lim;
