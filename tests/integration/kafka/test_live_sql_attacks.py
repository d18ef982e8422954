"""Live mode (`jatkumo sink --serve`), attacked through HTTP. The pages used to read through
the sink's own read-write connection, external access on: files on the host were readable
with no bypass at all, and with the nested-comment bypass COPY wrote files and DROP TABLE
dropped a table on disk. Now the dashboard reads the read-only snapshot the sink publishes,
and analysts' SQL runs in a process of its own on that snapshot."""

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from schemas.door import admitted
from tests.e2e.web.attack_server import LIMITS, PASSWORD, stopped, write_users
from tests.e2e.web.client import Client
from tests.integration.kafka.pipeline import (
    KEY,
    ROOT,
    env,
    publish_file,
    retry_until,
    start_worker,
)
from tests.ports import free_port

pytestmark = pytest.mark.kafka
AS_OF = "2023-03-31"
BYPASS = "SELECT 1 AS a /* /* */ \" */ ; {} -- \""


@pytest.fixture
def live(kafka: str, work: Path) -> Iterator[tuple[Client, Path, "subprocess.Popen[bytes]"]]:
    users = write_users(work / "users.toml")
    port = free_port()
    db = work / "live.duckdb"
    log = (work / "sink.log").open("ab")
    sink = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "sink", "--db", str(db), "--serve",
         "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env=env(kafka, AS_OF, JATKUMO_USERS=str(users), JATKUMO_WEB_SECRET="live-secret",
                JATKUMO_ALERT_SYNC_SECONDS="3600", JATKUMO_SNAPSHOT_SECONDS="1",
                JATKUMO_PUBLIC_URL=f"http://127.0.0.1:{port}", **LIMITS))
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return Client(url).get("/healthz").body == "ok"
        except OSError:
            return False

    # the sink writes the events the workers took (the id stage's choice, SPEC.md 1.4)
    worker = start_worker(kafka, AS_OF, work / "worker")
    try:
        retry_until("the dashboard in the sink to answer", up, 180)  # a loaded CI machine
        publish_file(kafka, AS_OF, ROOT / "examples/worked-example.jsonl")
        c = Client(url)
        c.sign_in("antti", PASSWORD)
        example = (ROOT / "examples/worked-example.jsonl").read_bytes().splitlines()
        want = sum(admitted(line, KEY.encode()) is not None for line in example if line.strip())
        retry_until("every event in the live snapshot", lambda: events(c) == want > 0, 120)
        yield c, db, sink
    finally:
        for proc in (sink, worker):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
        log.close()


def events(c: Client) -> int:
    got = c.sql("SELECT count(*) AS n FROM events")
    m = re.search(r"<tbody><tr><td>(\d+)</td>", got.body)
    return int(m.group(1)) if got.status == 200 and m else -1


def test_live_sql_reads_no_file_writes_nothing_and_changes_no_setting(
        live: tuple[Client, Path, "subprocess.Popen[bytes]"], tmp_path: Path) -> None:
    c, db, _ = live
    before = events(c)
    target = tmp_path / "copied.csv"
    host = tmp_path / "host-secret.csv"  # any file DuckDB can read by its name
    host.write_text("user,secret\nroot:x:0:0,/bin/sh\n", encoding="utf-8")
    attacks = [
        f'SELECT * FROM "{host}"',  # before: the file's rows, no bypass needed
        "SELECT * FROM \"/etc/passwd\"",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM read_text('/etc/passwd')",
        BYPASS.format("SELECT * FROM read_text('/etc/passwd')"),
        f"SELECT * FROM read_csv('{db}')", f"SELECT * FROM '{db}'",
        BYPASS.format(f"COPY (SELECT * FROM events) TO '{target}'"),
        f"COPY (SELECT * FROM events) TO '{target}'",
        BYPASS.format("DROP TABLE events"), "DROP TABLE events",
        "SELECT * FROM query('DROP TABLE events')", BYPASS.format("DELETE FROM events"),
        BYPASS.format("SET memory_limit='1MB'"), "SET enable_external_access = true",
        BYPASS.format(f"ATTACH '{tmp_path / 'x.duckdb'}' AS x"),
        "PRAGMA threads = 64", "CHECKPOINT", "INSTALL httpfs",
    ]
    for query in attacks:
        got = c.sql(query)
        assert got.status == 400, query
        assert "root:" not in got.body and "/bin/" not in got.body, query
    assert not target.exists() and not (tmp_path / "x.duckdb").exists()
    assert events(c) == before  # the snapshot the pages read still has it all
    bomb = c.sql("SELECT length(repeat('x', 2000000000))")
    assert bomb.status == 400 and stopped(bomb.body), bomb.seconds
    manager = Client(c.url)
    manager.sign_in("maija", PASSWORD)
    assert manager.get("/").status == 200 and manager.get("/gaps").status == 200


def test_the_live_file_keeps_its_tables(
        live: tuple[Client, Path, "subprocess.Popen[bytes]"]) -> None:
    c, db, sink = live
    before = events(c)
    for query in (BYPASS.format("DROP TABLE events"), "SELECT * FROM query('DROP TABLE events')",
                  BYPASS.format("DELETE FROM events")):
        assert c.sql(query).status == 400
    sink.terminate()
    assert sink.wait(30) == 0
    con = duckdb.connect(str(db), read_only=True)  # the sink's own file, once it has stopped
    try:
        row = con.execute("SELECT count(*) FROM events").fetchone()
    finally:
        con.close()
    assert row is not None and row[0] == before > 0
