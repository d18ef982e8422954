-- municipalities: the reference list shipped with jatkumo (Statistics Finland, 2023), with
-- North Ostrobothnia's internal areas (configurable).
-- grain: one row per three-digit municipality code.
CREATE TABLE municipalities (
    code           VARCHAR NOT NULL,
    name_fi        VARCHAR NOT NULL,
    name_sv        VARCHAR NOT NULL,
    region_code    VARCHAR NOT NULL,
    region_name_fi VARCHAR NOT NULL,
    internal_area  VARCHAR,
    population     INTEGER
);
