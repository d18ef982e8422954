"""One declaration per relation (analytics/relations.py): the DDL in a replayed DuckDB file and in
a file the sink creates, the Arrow tables the writers insert, the client-results codec and the
core's row types all agree with it, column for column, type for type."""

import random
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pytest

from analytics import columns
from analytics import relations as rel
from schemas.door import DeadLetter, admit
from services.sink_batch import Writer
from streams import topics
from streams.core import ClientState, Rules, apply, evaluate
from streams.core.results import (
    ClientResult,
    ClientRow,
    ContractRow,
    GapRow,
    HandoffRow,
    IssueRow,
    ReferralRow,
    ViolationRow,
)
from tests.helpers import write_jsonl
from tests.integration.kafka.generate import client_events

KEY = b"test-key"
ROW_TYPES = {"contracts": ContractRow, "gap_rows": GapRow, "handoff_status": HandoffRow,
             "compliance_violations": ViolationRow, "data_issues": IssueRow,
             "clients": ClientRow, "referrals": ReferralRow}


def _results(clients: int = 60) -> tuple[list[ClientResult], list[dict[str, Any]]]:
    """Evaluated clients of the Kafka tests' generator (every event type, corrections)."""
    rng = random.Random(3)
    states: dict[str, ClientState] = {}
    events: list[dict[str, Any]] = []
    for n in range(clients):
        for e in client_events(rng, n):
            events.append(e)
            event = admit(orjson.dumps(e), "t", KEY)
            if isinstance(event, DeadLetter):
                continue
            apply(states.setdefault(event.client, ClientState(event.client)), event)
    day = date(2024, 6, 30)
    return [evaluate(s, day, Rules()) for s in states.values()], events


def _declared_in_file(con: duckdb.DuckDBPyConnection, relation: rel.Relation) -> None:
    got = con.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position", [relation.name]).fetchall()
    want = [(c.name, c.info_type, "YES" if c.nullable else "NO") for c in relation.columns]
    assert got == want, f"{relation.name} in the file differs from its declaration"


def test_each_result_row_type_has_the_declared_columns_in_order() -> None:
    assert {r.name for r in rel.RESULTS} == set(ROW_TYPES)
    for relation in rel.RESULTS:
        assert ROW_TYPES[relation.name]._fields == relation.names, relation.name


def test_a_replayed_file_has_exactly_the_declared_tables(tmp_path: Path) -> None:
    from services.config import Settings
    from services.replay import replay

    _, events = _results(20)
    db = tmp_path / "r.duckdb"
    replay(write_jsonl(tmp_path / "e.jsonl", events), db, Settings(pseudonym_key=KEY),
           date(2024, 6, 30), workers=2)
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()}
        assert tables == set(rel.TABLES)
        for relation in rel.DECLARED:
            _declared_in_file(con, relation)
        # the descriptions and column notes are in the file, for analysts
        comments = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()"
                                    ).fetchall())
        assert comments["gap_rows"] == (f"{rel.GAP_ROWS.description} Grain: one row per "
                                        "(client_id, gap_type, subject_id, started_on).")
        notes = dict(con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE "
                                 "table_name = 'contracts'").fetchall())
        assert notes["end_reason"] == "an ended reason, or 'expired'"
        for name in rel.RESULTS:  # rows went in by name, into the right columns
            assert con.execute(f"SELECT count(*) FROM {name.name}").fetchall()[0][0] > 0
        # a column declared with a compression is stored with it (the events' id and payload:
        # DuckDB's own choice cost a rebuild's writer half its insert time)
        compressed = [(r.name, c.name, c.compression) for r in rel.DECLARED
                      for c in r.columns if c.compression]
        assert ("events", "payload", "zstd") in compressed
        for table, column, method in compressed:
            stored = {r[0] for r in con.execute(
                "SELECT DISTINCT compression FROM pragma_storage_info(?) WHERE column_name = ? "
                "AND segment_type <> 'VALIDITY'", [table, column]).fetchall()}
            assert stored == {method.upper()}, (table, column, stored)
    finally:
        con.close()


def test_a_file_the_sink_creates_has_the_declared_tables_and_offsets_key(tmp_path: Path
                                                                         ) -> None:
    writer = Writer(tmp_path / "sink.duckdb")
    try:
        for relation in (*rel.DECLARED, rel.KAFKA_OFFSETS):
            _declared_in_file(writer.con, relation)
        key = writer.con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() "
            "WHERE table_name = 'kafka_offsets' AND constraint_type = 'PRIMARY KEY'").fetchall()
        assert key == [(list(rel.KAFKA_OFFSETS.key),)]
    finally:
        writer.close()


def test_arrow_tables_and_the_topic_codec_agree_with_the_declaration() -> None:
    results, _ = _results()
    tables = columns.result_tables(results)
    for relation in rel.RESULTS:
        tbl = tables[relation.name]
        assert tbl.num_rows > 0, f"no {relation.name} rows: the test would prove nothing"
        assert tbl.schema.names == list(relation.names)
        assert tbl.schema.types == relation.schema().types
    # the codec: a message per client, decoded as the sink decodes it, gives the same tables
    decoded: dict[str, list[Any]] = {r.name: [] for r in rel.RESULTS}
    for result in results:
        doc = orjson.loads(topics.result_message(result, date(2024, 6, 30), 0))
        assert set(doc["rows"]) == set(topics.RESULT_RELATIONS)
        for name, rows in doc["rows"].items():
            decoded[name] += rows
    for relation in rel.RESULTS:
        back = relation.table(decoded[relation.name])
        assert back.equals(tables[relation.name]), relation.name


def test_a_declaration_refuses_a_key_that_is_not_a_column() -> None:
    with pytest.raises(ValueError, match="not columns"):
        rel.Relation("x", "d", (rel.Column("a", "VARCHAR"),), key=("b",))
    with pytest.raises(ValueError, match="unknown type"):
        rel.Column("a", "TEXT")


def test_the_ddl_is_derived_from_the_declaration() -> None:
    con = duckdb.connect()
    try:
        con.execute(rel.GAP_ROWS.ddl())
        _declared_in_file(con, rel.GAP_ROWS)
        tbl = pa.table({"length_days": pa.array([3], pa.int32()),
                        "client_id": ["c"], "gap_type": ["NO_SERVICE"],
                        "subject_id": pa.array([None], pa.string()),
                        "started_on": [date(2024, 1, 1)], "ended_on": [date(2024, 1, 4)]})
        con.register("b", tbl)  # columns out of declared order: inserted by name
        con.execute("INSERT INTO gap_rows BY NAME SELECT * FROM b")
        assert con.execute("SELECT client_id, length_days FROM gap_rows").fetchall() == [
            ("c", 3)]
    finally:
        con.close()


def test_the_sql_page_documents_each_relation_from_its_declaration() -> None:
    from services.web.pages.sql import relation_docs

    docs = dict(relation_docs())
    assert set(docs) == ({*rel.TABLES, *rel.VIEWS, "access_log"} - {"gap_rows"})
    for relation in rel.DECLARED:
        if relation.name != "gap_rows":
            assert docs[relation.name] == (f"{relation.name}: {relation.description} "
                                           f"grain: {relation.grain}.")
    assert all("grain:" in docs[v] for v in rel.VIEWS)
