-- clients: every client with any event, with the winning registration as of the as-of date.
-- grain: one row per client_id (a pseudonym).
CREATE TABLE clients (
    client_id         VARCHAR NOT NULL,
    birth_year        INTEGER,
    home_municipality VARCHAR,
    referred_by       VARCHAR,
    registered_on     DATE
);
