"""`jatkumo sql` as the SQL page runs a query (a hunt, 2026-12-06): a file opened read-only with
external access off, a memory limit and its configuration locked; one statement that reads, as
DuckDB's parser sees it; an answer streamed, not held; and every refusal an exit 2 that says
what to do (SPEC.md 6). Memory is proved with small queries and limits, never spent."""

import csv
import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests import helpers as h

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    env.update(extra)
    return env


def cli(*args: str | bytes, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=_env(**extra_env), timeout=120)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("sqlcli")
    src = h.write_jsonl(tmp / "events.jsonl", [
        h.signed("k1", "2022-09-01"), h.assigned("w1", h.OULU, "2022-09-01"),
        h.transferred("k1", "2023-01-20")])
    path = tmp / "gaps.duckdb"
    done = cli("replay", str(src), "--db", str(path), "--as-of", "2023-03-31", "--quiet")
    assert done.returncode == 0, done.stderr
    return path


def refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, nothing on stdout, no trace, and the message saying what to do."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr and "bug" not in done.stderr, done.stderr
    assert done.stderr.startswith("jatkumo sql: error: "), done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


# 1. read-only: what writes, reads files, reaches the network or runs twice is refused


def test_copy_to_a_file_is_refused_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    done = cli("sql", f"COPY (SELECT * FROM continuity_gaps) TO '{out}'", "--db", str(db))
    refused(done, "COPY", "--csv")
    assert not out.exists()


def test_reading_another_file_is_refused(db: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("word\nsesame-open-42\n", encoding="utf-8")
    for query in (f"SELECT * FROM read_text('{secret}')", f"SELECT * FROM read_csv('{secret}')",
                  f"SELECT * FROM glob('{tmp_path}/*')"):
        done = cli("sql", query, "--db", str(db), "--csv")
        refused(done, "SHOW TABLES")
        assert "sesame" not in done.stdout + done.stderr and "secret.csv\n" not in done.stdout


@pytest.mark.parametrize("query", [
    "SELECT 1 AS a; SELECT 2 AS b",
    "SELECT 1; CREATE TEMP TABLE x AS SELECT 1",
    "SET memory_limit = '100GB'",
    "SET VARIABLE x = 1",
    "RESET lock_configuration",
    "LOAD httpfs",
    "INSTALL httpfs FROM 'http://127.0.0.1:9'",
    "CREATE TEMP TABLE x AS SELECT 1",
    "CHECKPOINT",
], ids=["two-selects", "select-then-create", "set", "set-variable", "reset", "load", "install",
        "create-temp", "checkpoint"])
def test_statements_that_do_not_only_read_are_refused_with_exit_2(db: Path, query: str) -> None:
    refused(cli("sql", query, "--db", str(db)), "jatkumo sql runs one query that reads")


def test_attach_is_refused_and_creates_no_file(db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    refused(cli("sql", f"ATTACH '{other}' AS o", "--db", str(db)))
    assert not other.exists()


def test_the_file_is_opened_read_only_with_external_access_off_and_settings_locked(
        db: Path) -> None:
    done = cli("sql", "SELECT current_setting('access_mode') AS mode, "
               "current_setting('enable_external_access') AS ext, "
               "current_setting('lock_configuration') AS locked, "
               "current_setting('memory_limit') AS mem", "--db", str(db), "--csv",
               JATKUMO_SQL_MEMORY_LIMIT="64MB")
    assert done.returncode == 0, done.stderr
    assert list(csv.reader(io.StringIO(done.stdout))) == [
        ["mode", "ext", "locked", "mem"], ["read_only", "False", "True", "61.0 MiB"]]


def test_a_bad_memory_limit_is_a_usage_error_naming_the_variable(db: Path) -> None:
    done = cli("sql", "SELECT 1", "--db", str(db), JATKUMO_SQL_MEMORY_LIMIT="lots")
    assert done.returncode == 2, done.stderr
    assert "JATKUMO_SQL_MEMORY_LIMIT" in done.stderr and "512MB" in done.stderr


# 2. memory: an answer is streamed, and DuckDB has a limit


def _peak_mb(args: list[str], *, lines: int | None = None, **extra_env: str
             ) -> tuple[int, str, int]:
    """Exit status, stderr and peak resident size (MB) of `jatkumo` run with `args` and its
    CSV sent to a reader that reads `lines` lines and goes (None: reads all). The kernel caps
    its data at 2 GiB, so a command that held the answer fails fast instead of taking the
    machine (a hunt's `range(100000000)` grew to 23 GB)."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (2**31, 2**31))

    proc = subprocess.Popen([sys.executable, "-m", "services.cli", *args], cwd=ROOT,
                            env=_env(**extra_env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=cap)
    assert proc.stdout is not None and proc.stderr is not None
    if lines is None:
        while proc.stdout.read(1 << 20):
            pass
    else:
        for _ in range(lines):
            proc.stdout.readline()
    proc.stdout.close()
    said = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, said, usage.ru_maxrss // 1024


def test_a_huge_answer_is_streamed_to_a_reader_that_stops(db: Path) -> None:
    """`jatkumo sql "SELECT * FROM range(100000000)" --csv | head`: before, the whole answer
    was read into Python first; now the first rows come at once and the reader's going ends
    the command (exit 1, one line), its memory that of a small query."""
    status, said, peak = _peak_mb(["sql", "SELECT * FROM range(100000000)", "--db", str(db),
                                   "--csv"], lines=5)
    assert status == 1, said
    assert said.strip() == "jatkumo sql: stopped: the reader of standard output closed it", said
    _, _, small = _peak_mb(["sql", "SELECT 1", "--db", str(db), "--csv"])
    assert peak < small + 100, (peak, small)


def test_a_large_csv_is_written_whole_in_the_memory_of_a_small_one(db: Path) -> None:
    """Every row of a 1.5 million row answer, written as it is read: the process stays within
    a few MB of `SELECT 1` (holding the rows as Python tuples took over 200 MB more)."""
    status, said, peak = _peak_mb(["sql", "SELECT range AS n FROM range(1500000)", "--db",
                                   str(db), "--csv"])
    assert status == 0, said
    _, _, small = _peak_mb(["sql", "SELECT 1", "--db", str(db), "--csv"])
    assert peak < small + 60, (peak, small)


def test_duckdb_stops_at_its_memory_limit_and_says_what_to_do(db: Path) -> None:
    """A 78 MB string under a 64MB limit: DuckDB's out-of-memory, an exit 1 naming the
    setting to raise (before, no limit held it)."""
    done = cli("sql", "SELECT length(string_agg(range::VARCHAR, ',')) AS n FROM range(10000000)",
               "--db", str(db), "--csv", JATKUMO_SQL_MEMORY_LIMIT="64MB")
    assert done.returncode == 1, done.stdout
    assert "JATKUMO_SQL_MEMORY_LIMIT" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_the_table_shows_at_most_its_rows_and_says_how_to_get_all(db: Path) -> None:
    done = cli("sql", "SELECT range AS n FROM range(10005)", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "│ 9999 " in done.stdout and "│ 10000 " not in done.stdout
    assert "the first 10,000 rows" in done.stderr and "--csv" in done.stderr
    full = cli("sql", "SELECT range AS n FROM range(10005)", "--db", str(db), "--csv")
    assert full.stdout.splitlines()[-1] == "10004"
    assert len(full.stdout.splitlines()) == 10006


# 3. an empty query


@pytest.mark.parametrize("query", ["", "   ", "  ;  ", "-- comment", "/* a */ ; ; -- b"])
def test_an_empty_query_is_a_usage_error(db: Path, query: str) -> None:
    refused(cli("sql", query, "--db", str(db)), "the query is empty", "SELECT")


# 4. a query that is no text, a --db that is no DuckDB file


def test_a_query_that_is_not_utf8_is_a_usage_error(db: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "services.cli", "sql", b"SELECT '\xff\xfe'",
                           "--db", str(db)], capture_output=True, text=True, cwd=ROOT,
                          env=_env(), timeout=120)
    refused(done, "UTF-8")


@pytest.mark.parametrize("content", [b'{"event_type": "x"}\n', b"", b"not\x00duckdb" * 100])
def test_a_db_that_is_not_a_duckdb_file_is_a_usage_error(tmp_path: Path, content: bytes
                                                        ) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(content)
    refused(cli("sql", "SELECT 1", "--db", str(events)), "not a DuckDB file", "jatkumo replay")


def test_a_duckdb_file_cut_short_is_a_failure_that_says_to_replay(db: Path, tmp_path: Path
                                                                  ) -> None:
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(db.read_bytes()[:5000])
    done = cli("sql", "SELECT 1", "--db", str(cut))
    assert done.returncode == 1 and done.stdout == ""
    assert "Traceback" not in done.stderr and "jatkumo replay" in done.stderr, done.stderr


# 5. dates Python has no date for


def test_infinite_and_far_dates_print_as_duckdb_writes_them(db: Path) -> None:
    query = ("SELECT 'infinity'::DATE AS d, '-infinity'::TIMESTAMP AS t, "
             "['infinity'::DATE] AS l, {'x': 'infinity'::TIMESTAMPTZ} AS s, "
             "'294000-01-01'::TIMESTAMP AS far, 'infinity'::TIMESTAMP_NS AS ns, "
             "DATE '2023-01-20' AS plain, 7 AS n, TIME '24:00:00' AS midnight, "
             "{'date': 5} AS named")
    done = cli("sql", query, "--db", str(db), "--csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["d", "t", "l", "s", "far", "ns", "plain", "n", "midnight", "named"]
    # ('-infinity' gets the CSV's quote: a leading '-' is a formula's; a field named 'date'
    # is no date, its struct stays a struct)
    assert rows[1] == ["infinity", "'-infinity", "[infinity]", "{'x': infinity}",
                       "294000-01-01 00:00:00", "infinity", "2023-01-20", "7", "24:00:00",
                       "{'date': 5}"]
    assert "9999" not in done.stdout
    table = cli("sql", "SELECT 'infinity'::DATE AS d, 7 AS n", "--db", str(db))
    assert table.returncode == 0, table.stderr
    assert "infinity" in table.stdout and "9999" not in table.stdout


def test_dates_as_text_keep_the_order_names_and_masking(db: Path) -> None:
    """A column with a date is cast in a query around the user's one: its rows keep their
    order, equal names stay equal, a code typed into the query is masked, a formula gets its
    quote, and a semicolon and comment after the query do not break it."""
    query = ("SELECT started_on AS x, gap_type AS x, '=1+1' AS f, '131052-308T' AS c "
             "FROM continuity_gaps ORDER BY started_on DESC; -- newest first")
    done = cli("sql", query, "--db", str(db), "--csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["x", "x", "f", "c"]
    days = [r[0] for r in rows[1:]]
    assert days and days == sorted(days, reverse=True), rows
    assert all(r[2] == "'=1+1" and "308T" not in r[3] for r in rows[1:]), rows


def test_a_duckdb_file_made_elsewhere_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "plain.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1, 'infinity'::DATE), "
                "(2, DATE '2024-02-29')) v(i, d)")
    con.close()
    done = cli("sql", "FROM t ORDER BY i", "--db", str(path), "--csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["i,d", "1,infinity", "2,2024-02-29"]


# 6. EXPLAIN ANALYZE runs what it explains: only of a SELECT


@pytest.mark.parametrize("query", [
    "EXPLAIN ANALYZE CREATE TEMP TABLE x AS SELECT 1",
    "EXPLAIN ANALYZE SET VARIABLE x = 1",
    "EXPLAIN ANALYZE CHECKPOINT",
    "EXPLAIN ANALYZE LOAD httpfs",
    "EXPLAIN (ANALYZE) CREATE TEMP TABLE x AS SELECT 1",
    "EXPLAIN ANALYZE /* a */ CREATE TEMP TABLE x AS SELECT 1",
    "EXPLAIN /* a */ ANALYZE CREATE TEMP TABLE x AS SELECT 1",
    "explain analyse\tcreate temp table x as select 1",
])
def test_explain_analyze_of_anything_but_a_select_is_refused(db: Path, query: str) -> None:
    refused(cli("sql", query, "--db", str(db)))


def test_explain_of_a_select_still_runs(db: Path) -> None:
    for query in ("EXPLAIN SELECT count(*) FROM continuity_gaps",
                  "EXPLAIN ANALYZE SELECT count(*) FROM continuity_gaps"):
        done = cli("sql", query, "--db", str(db), "--csv")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("explain_key,explain_value")
