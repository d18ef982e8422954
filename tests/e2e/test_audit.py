"""`jatkumo audit --db FILE`: every declared relation's grain holds in a file replay wrote (exit
0), and a corrupted file fails it (exit 1) with a finding per broken rule that names the
relation, the check and how many rows, never a key value."""

import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from analytics import relations as rel
from services.config import Settings
from services.replay import replay
from tests.e2e.test_cli import cli
from tests.integration.kafka.generate import write


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mixed file (duplicates, corrections, identity codes, malformed lines), replayed by
    two workers: the shape CI replays."""
    tmp = tmp_path_factory.mktemp("audit")
    src = tmp / "events.jsonl"
    write(src, clients=300, malformed=5)
    db = tmp / "gaps.duckdb"
    replay(src, db, Settings(pseudonym_key=b"audit-key"), date(2024, 6, 30), workers=2)
    return db


def _audit(db: Path) -> subprocess.CompletedProcess[str]:
    return cli("audit", "--db", str(db))


def test_a_replayed_file_passes_the_audit(replayed: Path) -> None:
    done = _audit(replayed)
    assert done.returncode == 0, done.stderr
    assert f"{len(rel.DECLARED)} relations hold their declared grain" in done.stdout
    con = duckdb.connect(str(replayed), read_only=True)
    try:  # the audit looked at real rows: each result relation has some
        for relation in rel.RESULTS:
            assert con.execute(f"SELECT count(*) FROM {relation.name}").fetchall()[0][0] > 0
    finally:
        con.close()


def test_a_corrupted_file_fails_the_audit_with_each_finding(replayed: Path,
                                                             tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    shutil.copy(replayed, bad)
    con = duckdb.connect(str(bad))
    try:
        # a writer that inserted a client's gaps twice, one more with no client, a second as_of
        con.execute("INSERT INTO gap_rows SELECT * FROM gap_rows LIMIT 2")
        con.execute("ALTER TABLE gap_rows ALTER COLUMN client_id DROP NOT NULL")
        con.execute("INSERT INTO gap_rows SELECT NULL, gap_type, subject_id, started_on, "
                    "ended_on, length_days FROM gap_rows LIMIT 1")
        con.execute("INSERT INTO as_of VALUES (DATE '2024-07-01')")
        # and an older file's events without their payload column
        con.execute("ALTER TABLE events DROP COLUMN payload")
        pseudonym = con.execute("SELECT client_id FROM gap_rows WHERE client_id IS NOT NULL "
                                "LIMIT 1").fetchall()[0][0]
    finally:
        con.close()
    done = _audit(bad)
    assert done.returncode == 1, done.stdout
    err = done.stderr
    assert "breaks its declared relations (5 findings)" in err, err
    assert "gap_rows: unique: 2 values of its key (client_id, gap_type, subject_id, " \
           "started_on) appear more than once" in err
    assert "gap_rows: columns:" in err  # client_id lost its NOT NULL
    assert "gap_rows: not_null: client_id (a key column) is NULL in 1 rows" in err
    assert "as_of: single_row: has 2 rows" in err
    assert "events: columns:" in err and "payload" in err
    assert pseudonym not in err + done.stdout  # counts, never key values


def test_a_file_with_a_missing_relation_fails(replayed: Path, tmp_path: Path) -> None:
    bad = tmp_path / "old.duckdb"
    shutil.copy(replayed, bad)
    con = duckdb.connect(str(bad))
    try:
        for view in reversed(rel.VIEWS):
            con.execute(f"DROP VIEW {view}")
        con.execute("DROP TABLE referrals")
    finally:
        con.close()
    done = _audit(bad)
    assert done.returncode == 1
    assert "referrals: missing: the table is not in the file" in done.stderr


def test_audit_of_no_file_is_a_usage_error(tmp_path: Path) -> None:
    done = _audit(tmp_path / "none.duckdb")
    assert done.returncode == 2
    assert "create one with 'jatkumo replay" in done.stderr


def test_three_versions_of_one_event_id_pass_the_audit_with_two_issue_rows(
        tmp_path: Path) -> None:
    """Audit (2026-12-04): SPEC.md 1.4 lists each version not taken in data_issues, so three
    versions of one client's event give two equal rows; the audit called the fresh file
    broken."""
    import json

    def version(hour: int, target: str) -> str:
        return json.dumps({
            "event_id": "d2000000-0000-4000-8000-000000000001", "event_type": "referral.made",
            "schema_version": 1, "occurred_at": f"2023-03-01T{hour}:00:00+02:00",
            "source": "workshop:TEST-1", "client_id": "c1",
            "payload": {"referral_id": "r1", "target": target, "made_on": "2023-03-01"}})

    src = tmp_path / "e.jsonl"
    src.write_text("\n".join(version(h, t) for h, t in
                             ((10, "mental_health"), (11, "education"), (12, "health"))) + "\n")
    db = tmp_path / "x.duckdb"
    assert cli("replay", str(src), "--db", str(db), "--as-of", "2023-03-31",
               "--quiet").returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT issue, count(*) FROM data_issues GROUP BY ALL").fetchall() \
            == [("conflicting_event_id", 2)]
        assert con.execute("SELECT target FROM referrals").fetchall() == [("health",)]
    finally:
        con.close()
    done = _audit(db)
    assert done.returncode == 0, done.stderr
