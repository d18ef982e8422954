"""Attacks on the SQL page through HTTP, in file mode (`jatkumo serve`). Each one worked before
analyst SQL moved into a process of its own (read-only file, external access off,
configuration locked, statements decided by DuckDB's parser, killed at the time limit)."""

import concurrent.futures as cf
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.web.attack_server import ANALYSTS, PASSWORD, serve, stopped, write_users
from tests.e2e.web.client import Client

BYPASS = "SELECT 1 AS a /* /* */ \" */ ; {} -- \""
HEAVY = "SELECT count(*) FROM range(100000000) a, range(100000000) b"
BOMB = "SELECT length(repeat('x', 2000000000))"


@pytest.fixture(scope="module")
def attacked(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    d = tmp_path_factory.mktemp("attacked")
    shutil.copy(web_db, d / "gaps.duckdb")  # attacks that work must not spoil other tests
    with serve(d / "gaps.duckdb", write_users(d / "users.toml")) as url:
        yield url


@pytest.fixture(scope="module")
def roomy(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose time limit no answer here comes near, even on a loaded machine: a test
    of the answer's size caps must see them, not the 3 s limit (the query's process runs at
    a lower priority, and on a busy CI machine a 20 MB answer took longer than 3 s)."""
    d = tmp_path_factory.mktemp("roomy")
    shutil.copy(web_db, d / "gaps.duckdb")
    with serve(d / "gaps.duckdb", write_users(d / "users.toml"),
               JATKUMO_SQL_TIMEOUT_SECONDS="120") as url:
        yield url


def analyst(url: str, user: str = "antti") -> Client:
    c = Client(url)
    c.sign_in(user, PASSWORD)
    return c


def events(c: Client) -> str:
    got = c.sql("SELECT count(*) AS n FROM events")
    assert got.status == 200, got.body[-600:]
    return got.body


def test_nested_comment_does_not_smuggle_a_second_statement(attacked: str) -> None:
    c = analyst(attacked)
    got = c.sql(BYPASS.format("SET memory_limit='1MB'"))
    assert got.status == 400 and "role=\"alert\"" in got.body
    # The analyst's own process keeps its own limit, and other users' pages answer.
    setting = c.sql("SELECT current_setting('memory_limit') AS m")
    assert setting.status == 200 and "1.0 MiB" not in setting.body and "MiB" in setting.body
    manager = Client(attacked)
    manager.sign_in("maija", PASSWORD)
    for path in ("/", "/gaps", "/map"):
        assert manager.get(path).status == 200, path


@pytest.mark.parametrize("query", [
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM \"/etc/passwd\"",
    "SELECT * FROM glob('/etc/*')",
    BYPASS.format("SELECT * FROM read_text('/etc/passwd')"),
    "SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')",
])
def test_files_on_the_host_cannot_be_read(attacked: str, query: str) -> None:
    got = analyst(attacked).sql(query)
    assert got.status == 400
    assert "root:" not in got.body and "/bin/" not in got.body


def test_copy_to_writes_no_file(attacked: str, tmp_path: Path) -> None:
    c = analyst(attacked)
    target = tmp_path / "out.csv"
    for query in (f"COPY (SELECT * FROM events) TO '{target}'",
                  BYPASS.format(f"COPY (SELECT * FROM events) TO '{target}'"),
                  f"EXPORT DATABASE '{tmp_path / 'export'}'"):
        assert c.sql(query).status == 400, query
    assert not target.exists() and not (tmp_path / "export").exists()


def test_drop_and_writes_change_nothing(attacked: str) -> None:
    c = analyst(attacked)
    before = events(c)
    for query in ("DROP TABLE events", BYPASS.format("DROP TABLE events"),
                  "SELECT * FROM query('DROP TABLE events')",
                  BYPASS.format("DELETE FROM events"),
                  "WITH x AS (SELECT 1) DELETE FROM events",
                  BYPASS.format("CREATE TABLE x AS SELECT 1")):
        assert c.sql(query).status == 400, query
    assert events(c) == before


@pytest.mark.parametrize("query", [
    "SET memory_limit = '1MB'", "SET threads = 64", "RESET memory_limit",
    "PRAGMA threads = 64", "SET enable_external_access = true",
    "SET VARIABLE jatkumo_suppress_below = 1",
    "SELECT * FROM query('SET lock_configuration = false')",
    "ATTACH '/tmp/jatkumo-attack.duckdb' AS x", BYPASS.format("ATTACH ':memory:' AS x"),
    "INSTALL httpfs", "LOAD httpfs", "CALL pragma_version()", "PIVOT events ON event_type",
    "BEGIN", "CHECKPOINT",
    # EXPLAIN ANALYZE runs what it explains (a hunt, 2026-12-06: each of these ran)
    "EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1", "EXPLAIN ANALYZE SET VARIABLE x = 1",
    "EXPLAIN ANALYZE INSTALL httpfs", "EXPLAIN ANALYZE CHECKPOINT", "EXPLAIN ANALYZE BEGIN",
    "EXPLAIN (ANALYZE) CREATE TEMP VIEW v AS SELECT 1", "EXPLAIN /* x */ ANALYZE VACUUM",
])
def test_settings_attach_and_extensions_are_out_of_reach(attacked: str, query: str) -> None:
    assert analyst(attacked).sql(query).status == 400


def test_string_bomb_is_stopped_at_the_limit(attacked: str) -> None:
    """It ran 53 s and took 4 GiB before; the limit in these tests is 3 s."""
    got = analyst(attacked).sql(BOMB)
    assert got.status == 400 and stopped(got.body), (got.status, got.seconds)


def test_running_out_of_memory_says_what_an_analyst_can_do(roomy: str) -> None:
    """DuckDB's own advice (SET threads, SET memory_limit) is refused on the page: the page
    says to narrow the query instead (an attack, 2026-12-07)."""
    got = analyst(roomy).sql("SELECT list(i) FROM range(300000000) t(i)")
    assert got.status == 400 and stopped(got.body), got.body[-600:]
    assert "tarvitsee enemmän muistia kuin analyytikon kysely" in got.body
    assert "SET threads" not in got.body and "memory_limit" not in got.body


def test_an_answer_too_big_for_a_page_is_refused_not_rendered(roomy: str) -> None:
    """An attack: one 100 MB string made a 400 MB page, the server's memory past 1.4 GB. A
    page's answer is capped at 8 MiB, a download's at 64 MiB; both say what to do."""
    got = analyst(roomy).sql("SELECT repeat('<', 20000000) AS x", timeout=150)
    assert got.status == 400 and "liian suuri" in got.body and len(got.body) < 2**20
    small = analyst(roomy).sql("SELECT repeat('<', 20000000) AS x", fmt="csv-plain",
                               timeout=150)
    assert small.status == 200 and len(small.body) > 20000000
    # NULLs take next to nothing in Arrow: 3.5 MB of answer made a 200 MB CSV and took the
    # server to 2 GB (a review found it). Cells are counted where the query runs.
    nulls = analyst(roomy).sql("SELECT NULL a, NULL b, NULL c, NULL d FROM range(6000000)",
                               fmt="csv-plain", timeout=150)
    assert nulls.status == 400 and "liian suuri" in nulls.body, nulls.status


def test_long_query_is_killed_at_the_time_limit(attacked: str) -> None:
    got = analyst(attacked).sql(HEAVY)
    # the time limit's own words (the CPU cap is the time limit's 3 s and 5 more)
    assert got.status == 400 and "pysäytettiin 3 sekunnin" in got.body, got.seconds


def test_a_function_duckdb_cannot_interrupt_is_killed_at_the_limit(attacked: str) -> None:
    """repeat() does not look at DuckDB's interrupt: before, it ran to its end (8 s or more
    for this one, under the data cap) whatever the time limit; now its process is killed."""
    got = analyst(attacked).sql("SELECT length(repeat('x', 300000000)) AS n")
    # stopped either way: killed at the time limit, or at the process's memory cap first
    # (which one comes first depends on how busy the machine is)
    shown = re.findall(r'class="error[^<]*', got.body)[:1]
    assert got.status == 400 and stopped(got.body), shown


def test_one_query_at_a_time_per_user(attacked: str) -> None:
    first, second = analyst(attacked, "a1"), analyst(attacked, "a1")
    for _ in range(3):  # a try the second query won (it ran first) is tried again
        with cf.ThreadPoolExecutor(1) as pool:
            running = pool.submit(first.sql, HEAVY)
            time.sleep(0.8)
            # asked again until the first is known to run: on a loaded machine 0.8 s was
            # not always enough for its request to reach the runner
            while True:
                waited = second.sql("SELECT 1 AS one")
                if waited.status != 200 or running.done():
                    break
                time.sleep(0.2)
            ran = running.result()
        if ran.status != 429:
            break
    assert ran.status == 400 and "pysäytettiin 3 sekunnin" in ran.body  # killed at its limit
    assert waited.status == 429 and "Retry-After" in waited.headers


def test_a_manager_page_answers_while_eight_analysts_run_heavy_queries_niced(
        attacked: str) -> None:
    """Before: 8 such queries slowed a manager's page to 9 s. Each page is one nothing has
    cached yet (a filter not asked before), so each one reads the file."""
    analysts = [analyst(attacked, u) for u in ANALYSTS]
    manager = Client(attacked)
    manager.sign_in("maija", PASSWORD)

    def pages(month: int) -> list[float]:
        times = []
        for day in range(1, 10):
            got = manager.get(f"/gaps?status=open&from=2022-{month:02d}-{day:02d}")
            assert got.status == 200
            times.append(got.seconds)
        return times

    quiet = pages(1)
    with cf.ThreadPoolExecutor(len(analysts)) as pool:
        heavy = [pool.submit(a.sql, HEAVY) for a in analysts]
        running: list[tuple[int, int]] = []
        while not running and not all(f.done() for f in heavy):
            running = _running_queries()
            time.sleep(0.05)
        loaded = pages(2)
        statuses = [f.result().status for f in heavy]
    # the times are said, not asserted (a loaded machine's are its own; bench/ times): what
    # keeps the pages first is that every query runs niced in its own process
    print(f"manager pages, quiet: max {max(quiet):.3f} s, median {sorted(quiet)[4]:.3f} s; "
          f"under load: max {max(loaded):.3f} s, median {sorted(loaded)[4]:.3f} s; "
          f"analysts' answers {sorted(statuses)}; queries running (pid, nice) {running}")
    assert running and all(nice >= 10 for _, nice in running), running
    assert all(s in (400, 429) for s in statuses)
    _settled(analysts[0])


def _settled(c: Client, timeout: float = 120) -> None:
    """Until a trivial query answers twice in a row: the heavy queries' processes are ended
    and the spares started again, which on a loaded CI machine took longer than the 3 s a
    query has here. The next test of this server timed `EXPLAIN SELECT 1` out (a 400 after
    4.1 s) while they were still starting."""
    deadline, good = time.monotonic() + timeout, 0
    while good < 2:
        assert time.monotonic() < deadline, "the server did not settle after the heavy queries"
        good = good + 1 if c.sql("SELECT 1 AS one").status == 200 else 0
        time.sleep(0.2)


def _running_queries() -> list[tuple[int, int]]:
    """(pid, nice) of each analyst query process of this machine that has taken a query: its
    CPU time is limited then (a spare waiting for one has no limit yet)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if b"services.web.sqlproc" not in (d / "cmdline").read_bytes():
                continue
            cpu = next(line for line in (d / "limits").read_text().splitlines()
                       if line.startswith("Max cpu time"))
            stat = (d / "stat").read_text()
        except (OSError, StopIteration):  # ended meanwhile
            continue
        if cpu.split()[3] != "unlimited":
            # the fields after the command's name: the 19th of stat is the nice value
            found.append((int(d.name), int(stat.rsplit(")", 1)[1].split()[16])))
    return found


def test_explain_of_a_query_that_reads_still_runs(roomy: str) -> None:
    """On the roomy server: what is asked here is that the guard lets EXPLAIN through, not
    how soon (a loaded CI machine timed `EXPLAIN SELECT 1` out on the 3 s server)."""
    c = analyst(roomy)
    for query in ("EXPLAIN SELECT 1", "EXPLAIN ANALYZE SELECT count(*) FROM events",
                  "explain analyse with a as (select 1 as x) select * from a",
                  "/* c */ EXPLAIN ANALYZE SELECT 1", "EXPLAIN /* c */ ANALYZE SELECT 1",
                  "-- a note\nEXPLAIN SELECT 1"):
        assert c.sql(query).status == 200, query


def test_days_python_has_no_date_for_are_shown_as_text(attacked: str) -> None:
    """DuckDB's infinity, a year 0 or a year 294247 made the page and every download a 500
    (an OverflowError turning the answer into Python values: a hunt, 2026-12-06)."""
    c = analyst(attacked)
    query = ("SELECT 'infinity'::DATE AS a, '-infinity'::TIMESTAMP AS b, "
             "'infinity'::TIMESTAMPTZ AS c, DATE '0001-01-01' - 1 AS d, "
             "TIMESTAMP '294247-01-01 00:00:00' AS e, DATE '2024-05-06' AS f, "
             "['infinity'::DATE] AS g, {'x': '-infinity'::DATE} AS h, "
             "'2023-01-01 12:00:00.123456789'::TIMESTAMP_NS AS i")
    page = c.sql(query)
    assert page.status == 200 and ">infinity<" in page.body and ">-infinity<" in page.body
    for fmt in ("csv", "csv-plain", "xlsx"):
        got = c.sql(query, fmt=fmt)
        assert got.status == 200, (fmt, got.status)
    plain = c.sql(query, fmt="csv-plain").body
    assert "infinity,'-infinity,infinity" in plain and "2024-05-06" in plain, plain
    assert "[infinity]" in plain and "123456789" in plain, plain


def test_a_long_value_is_shown_cut_and_masked_off_the_event_loop(attacked: str) -> None:
    """One analyst's 320 KB blob was masked on the server's event loop for 25 s, every
    user's pages waiting (a review, 2026-12-07). A page shows a value's first 4,000
    characters and its length; a code in them, or cut by the cut, is masked. (The masking
    runs in a thread within the query's time limit: services/web/pages/sql.py.)"""
    c = analyst(attacked)
    got = c.sql("SELECT repeat('z', 100) || ' 131052-308T ' || repeat('z', 5000) AS a, "
                "repeat('y', 3990) || '131052-308T' || repeat('y', 10) AS b, "
                "unhex(string_agg(md5(range::VARCHAR), '')) AS blob FROM range(20000)")
    assert got.status == 200, got.body[-600:]
    assert "… [5113]" in got.body and "… [4011]" in got.body, got.body[-2000:]
    at = got.body.find("131052")
    assert at < 0 and "308T" not in got.body, got.body[max(at - 300, 0):at + 100]
    assert got.body.count("******-****") >= 2
    assert re.search(r"… \[\d{6,}\]", got.body), "the blob's text is cut too"
    # the server answers the next page as before
    assert c.get("/healthz").status == 200
