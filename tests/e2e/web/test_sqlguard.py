"""The SQL page's first lock, without a browser: what it lets through and what it refuses."""

import pytest

from services.web.sqlguard import Refused, check

ALLOWED = [
    "SELECT 1",
    "select * from continuity_gaps;",
    "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
    "FROM contracts LIMIT 3",
    "DESCRIBE contracts",
    "SHOW TABLES",
    "SUMMARIZE handoff_status",
    "SELECT 'it''s', \"created\" FROM contracts -- a comment; DROP",
    "SELECT * REPLACE (upper(service) AS service) FROM contracts",
]
REFUSED = [
    "", ";", "DROP TABLE contracts", "delete from contracts", "INSERT INTO x VALUES (1)",
    "UPDATE contracts SET service = 'x'", "CREATE VIEW v AS SELECT 1", "ALTER TABLE x ADD y INT",
    "COPY contracts TO 'x.csv'", "EXPORT DATABASE 'd'", "ATTACH 'x.duckdb'", "DETACH x",
    "INSTALL httpfs", "LOAD httpfs", "PRAGMA database_list", "SET threads = 1", "CALL f()",
    "SELECT 1; SELECT 2", "SELECT * FROM read_csv('x')", "SELECT * FROM read_parquet('x')",
    "SELECT * FROM read_json_auto('x')", "SELECT * FROM glob('*')", "SELECT * FROM 'x.csv'",
    "SELECT * FROM \"read_csv\"('x')", "SELECT * FROM query('DROP TABLE x')",
    "SELECT * FROM sqlite_scan('x', 't')", "SELECT * FROM parquet_metadata('x')",
    "SELECT 'http://example.org/'", "SELECT $$x$$", "SELECT 1 /* unclosed",
    "SELECT * FROM t WHERE a = 'unclosed", "WITH x AS (DELETE FROM t) SELECT 1",
    "SELECT getenv('HOME')", "BEGIN", "CHECKPOINT", "USE other",
]


@pytest.mark.parametrize("sql", ALLOWED)
def test_read_only_queries_pass(sql: str) -> None:
    assert check(sql)


@pytest.mark.parametrize("sql", REFUSED)
def test_writes_files_extensions_and_several_statements_are_refused(sql: str) -> None:
    with pytest.raises(Refused):
        check(sql)
