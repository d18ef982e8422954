"""`jatkumo serve --ingest` is the one writer of its file, inside the web server. Its pages read
through cursors of the writer's connection (external access on) until the dashboard moved to
the read-only snapshot: an analyst's SQL must reach neither the host's files nor the writer."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.e2e.web.attack_server import LIMITS, PASSWORD, write_users
from tests.e2e.web.client import Client
from tests.integration.ingest.server import Server, add_token, start
from tests.integration.kafka.generate import lines
from tests.integration.kafka.pipeline import retry_until

SOURCE = "workshop:PAJA-1"
BYPASS = "SELECT 1 AS a /* /* */ \" */ ; {} -- \""


@pytest.fixture
def ingesting(tmp_path: Path) -> Iterator[tuple[Server, Client]]:
    db = tmp_path / "live.duckdb"
    token = add_token(db, SOURCE)
    users = write_users(tmp_path / "users.toml")
    s = start(db, JATKUMO_USERS=str(users), JATKUMO_SNAPSHOT_SECONDS="1", **LIMITS)
    try:
        events = [json.loads(x) for x in list(lines(20, seed=3))[:60]]
        for e in events:
            e["source"] = SOURCE
        status, _, _ = s.post(json.dumps(events).encode(), token)
        assert status == 200
        c = Client(s.url)
        c.sign_in("antti", PASSWORD)
        retry_until("the events in the dashboard's snapshot", lambda: count(c) > 0, 30)
        yield s, c
    finally:
        s.stop()


def count(c: Client) -> int:
    got = c.sql("SELECT count(*) AS n FROM events")
    m = re.search(r"<tbody><tr><td>(\d+)</td>", got.body)
    return int(m.group(1)) if got.status == 200 and m else -1


def test_ingest_mode_sql_reaches_no_file_and_not_the_writer(
        ingesting: tuple[Server, Client], tmp_path: Path) -> None:
    s, c = ingesting
    before = count(c)
    host = tmp_path / "host-secret.csv"
    host.write_text("user,secret\nroot:x:0:0,/bin/sh\n", encoding="utf-8")
    target = tmp_path / "copied.csv"
    for query in (f'SELECT * FROM "{host}"', "SELECT * FROM read_text('/etc/passwd')",
                  BYPASS.format("SELECT * FROM read_text('/etc/passwd')"),
                  BYPASS.format(f"COPY (SELECT * FROM events) TO '{target}'"),
                  BYPASS.format("DROP TABLE events"), BYPASS.format("DELETE FROM event_log"),
                  "SELECT * FROM query('DROP TABLE events')",
                  BYPASS.format("SET memory_limit='1MB'")):
        got = c.sql(query)
        assert got.status == 400, query
        assert "root:" not in got.body and "/bin/" not in got.body, query
    assert not target.exists()
    assert count(c) == before
    s.stop()
    con = duckdb.connect(str(s.db), read_only=True)  # the writer's own file, once stopped
    try:
        row = con.execute("SELECT count(*) FROM events").fetchone()
    finally:
        con.close()
    assert row is not None and row[0] == before
