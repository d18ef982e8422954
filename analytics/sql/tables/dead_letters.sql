-- dead_letters: input that could not be taken, with identity codes masked as ******-****.
-- grain: one row per rejected line or message; origin is file:line or topic/partition/offset.
CREATE TABLE dead_letters (
    raw    VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    origin VARCHAR NOT NULL
);
