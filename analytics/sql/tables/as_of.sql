-- as_of: the date every other relation is evaluated on (SPEC.md 5).
-- grain: exactly one row.
CREATE TABLE as_of (
    as_of_date DATE NOT NULL
);
