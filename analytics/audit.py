"""The audit of a DuckDB file against the relation declarations (analytics/relations.py), the
dbt/sqlmesh practice of testing the grain after the fact: each declared table is there with its
declared columns and types, its key is unique, its NOT NULL columns hold no NULL, and a
single-row relation has exactly one row. Every check is derived from the declarations.

Findings carry counts, never key values: a key holds client pseudonyms, and the audit's output
goes to CI logs."""

from dataclasses import dataclass
from itertools import zip_longest

import duckdb

from analytics import relations as rel


@dataclass(frozen=True)
class Finding:
    relation: str
    check: str  # "missing", "columns", "unique", "not_null", "single_row"
    detail: str

    def __str__(self) -> str:
        return f"{self.relation}: {self.check}: {self.detail}"


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str, str]]:
    return [(n, t, nullable) for n, t, nullable in con.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
        [name]).fetchall()]


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return 0 if row is None else int(row[0])


def audit_relation(con: duckdb.DuckDBPyConnection, relation: rel.Relation) -> list[Finding]:
    have = _columns(con, relation.name)
    if not have:
        return [Finding(relation.name, "missing", "the table is not in the file")]
    out = []
    want = [(c.name, c.info_type, "YES" if c.nullable else "NO") for c in relation.columns]
    if have != want:
        differ = [f"{h or '(none)'} instead of {w or '(none)'}"
                  for h, w in zip_longest(have, want) if h != w][:3]
        out.append(Finding(relation.name, "columns", "the table differs from its declaration "
                           "(name, type, nullable): " + "; ".join(differ)))
        names = {n for n, _, _ in have}
        if not set(relation.names) <= names:
            return out  # the value checks below would only fail on missing columns
    name = relation.name
    if relation.single_row:
        n = _count(con, f"SELECT count(*) FROM {name}")
        if n != 1:
            out.append(Finding(name, "single_row", f"has {n:,} rows; it must have exactly one"))
    elif not relation.repeats:
        keys = ", ".join(relation.key)
        dupes = _count(con, f"SELECT count(*) FROM (SELECT {keys} FROM {name} "
                            f"GROUP BY ALL HAVING count(*) > 1)")
        if dupes:
            out.append(Finding(name, "unique", f"{dupes:,} values of its key ({keys}) appear "
                               f"more than once; list them with: SELECT {keys}, count(*) FROM "
                               f"{name} GROUP BY ALL HAVING count(*) > 1"))
    for c in relation.columns:
        if c.nullable:
            continue
        nulls = _count(con, f"SELECT count(*) FROM {name} WHERE {c.name} IS NULL")
        if nulls:
            what = "a key column" if c.name in relation.key else "declared NOT NULL"
            out.append(Finding(name, "not_null", f"{c.name} ({what}) is NULL in {nulls:,} rows"))
    return out


def audit(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[Finding]]:
    """Audit every declared table (and kafka_offsets when the sink wrote the file). Returns the
    relations audited and the findings (none: the file holds its declared grain)."""
    relations = list(rel.DECLARED)
    if _columns(con, rel.KAFKA_OFFSETS.name):
        relations.append(rel.KAFKA_OFFSETS)
    findings = [f for r in relations for f in audit_relation(con, r)]
    return [r.name for r in relations], findings
