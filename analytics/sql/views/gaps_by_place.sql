-- gaps_by_place: continuity gaps with where the young person is served: for a contract's gap
-- that contract, otherwise the client's latest contract (home municipality if none), with the
-- municipality's internal area, service and producer.
-- A view in every file (replayed or written by the sink): nothing stores it as a table.
-- grain: one row per (client_id, gap_type, subject_id, started_on).
CREATE VIEW gaps_by_place AS
WITH g AS (
    SELECT * FROM continuity_gaps
), k AS (  -- only the contracts of clients with a gap: a fraction of a national file's
    SELECT client_id, contract_id, municipality, service, producer_kind, producer_id,
           start_date
    FROM contracts WHERE client_id IN (SELECT client_id FROM g)
), latest AS (
    SELECT * FROM k
    QUALIFY row_number() OVER (PARTITION BY client_id ORDER BY start_date DESC, contract_id) = 1
), placed AS (
    SELECT g.*,
           coalesce(s.municipality, l.municipality, c.home_municipality) AS municipality,
           coalesce(s.service, l.service) AS service,
           coalesce(s.producer_kind, l.producer_kind) AS producer_kind,
           coalesce(s.producer_id, l.producer_id) AS producer_id
    FROM g
    LEFT JOIN k s ON s.client_id = g.client_id AND s.contract_id = g.subject_id
    LEFT JOIN latest l ON l.client_id = g.client_id
    LEFT JOIN (SELECT client_id, home_municipality FROM clients
               WHERE client_id IN (SELECT client_id FROM g)) c ON c.client_id = g.client_id
)
SELECT p.*, m.name_fi AS municipality_name, m.internal_area
FROM placed p
LEFT JOIN municipalities m ON m.code = p.municipality;
