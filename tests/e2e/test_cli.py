"""The `jatkumo` CLI through a subprocess (SPEC.md 6): exit 0 when the run finished, 2 for a
usage error, 1 for a failure; every error message says what to do."""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from schemas.events import EVENT_TYPES
from tests import helpers as h

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, key: str | None = "cli-key", **extra_env: str
        ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    env.update(extra_env)
    if key is not None:
        env["JATKUMO_PSEUDONYM_KEY"] = key
    return subprocess.run([sys.executable, "-m", "services.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("cli")
    src = h.write_jsonl(tmp / "events.jsonl", [
        h.signed("k1", "2022-09-01"), h.assigned("w1", h.OULU, "2022-09-01"),
        h.transferred("k1", "2023-01-20"), h.assigned("w9", h.WBA, "2023-02-10"),
        "not json at all", h.signed("k1", "2022-09-01", client="c2"),
    ])
    db = tmp / "gaps.duckdb"
    return db, cli("replay", str(src), "--db", str(db), "--as-of", "2023-03-31")


def test_replay_exits_0_with_dead_letters_and_writes_the_relations(
        replayed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    db, done = replayed
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT as_of_date::VARCHAR FROM as_of").fetchall() == [
            ("2023-03-31",)]
        assert con.execute("SELECT count(*) FROM dead_letters").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM events").fetchone() == (5,)
        assert con.execute("SELECT DISTINCT client_id FROM continuity_gaps ORDER BY 1"
                           ).fetchall() == [("c1",), ("c2",)]
    finally:
        con.close()


def test_replay_prints_a_closing_summary(
        replayed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out = replayed[1].stdout
    for words in ("dead letters", "HANDOFF_MISSING", "transferred_late", "2023-03-31"):
        assert words in out


def test_the_summary_counts_each_handoff_apart(tmp_path: Path) -> None:
    """SPEC.md 4.1: under two handoffs the summary's statuses are per handoff (one sum under
    "Handoff to the wellbeing area" mixed KTT's move back to the municipalities into it)."""
    conf = tmp_path / "h.toml"
    conf.write_text('[[handoff]]\nname = "2023"\nservices = ["KTT", "SOSKU"]\n'
                    'from = "municipality"\nto = "wellbeing_area"\ndate = 2023-01-01\n\n'
                    '[[handoff]]\nname = "ktt-back"\nservices = ["KTT"]\n'
                    'from = "wellbeing_area"\nto = "municipality"\ndate = 2025-01-01\n')
    src = h.write_jsonl(tmp_path / "e.jsonl", [  # late in 2023, then pending in ktt-back
        h.signed("k1", "2022-09-01"), h.transferred("k1", "2023-01-20")])
    done = cli("replay", str(src), "--db", str(tmp_path / "x.duckdb"), "--as-of",
               "2025-03-31", "--handoffs", str(conf), COLUMNS="200")
    assert done.returncode == 0, done.stderr
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in done.stdout.splitlines()
            if line.startswith("│") and line.split("│")[1].strip() in (
                "transferred", "transferred_late", "ended_untransferred", "pending")}
    header = next(line for line in done.stdout.splitlines() if "ktt-back" in line)
    assert header.index("2023") < header.index("ktt-back")
    assert rows == {"transferred": ["0", "0"], "transferred_late": ["1", "0"],
                    "ended_untransferred": ["0", "0"], "pending": ["0", "1"]}


def test_sql_prints_a_table_with_the_answer(
        replayed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    done = cli("sql", "SELECT gap_type, length_days FROM continuity_gaps WHERE client_id = 'c1' "
               "ORDER BY 1", "--db", str(replayed[0]))
    assert done.returncode == 0, done.stderr
    assert "gap_type" in done.stdout and "HANDOFF_MISSING" in done.stdout
    assert "19" in done.stdout and "21" in done.stdout


def test_sql_with_csv_prints_a_header_and_rows(
        replayed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    done = cli("sql", "SELECT gap_type, started_on, ended_on, length_days, is_open "
               "FROM continuity_gaps WHERE client_id = 'c1' ORDER BY 1", "--db",
               str(replayed[0]), "--csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows == [
        ["gap_type", "started_on", "ended_on", "length_days", "is_open"],
        ["HANDOFF_MISSING", "2023-01-01", "2023-01-20", "19", "False"],
        ["NO_RESPONSIBLE_WORKER", "2023-01-20", "2023-02-10", "21", "False"],
    ]


def test_sql_prints_null_as_an_empty_csv_field(
        replayed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    done = cli("sql", "SELECT contract_id, last_day FROM contracts WHERE client_id = 'c2'",
               "--db", str(replayed[0]), "--csv")
    assert list(csv.reader(io.StringIO(done.stdout))) == [["contract_id", "last_day"],
                                                          ["k1", ""]]


def test_bad_sql_exits_1_and_says_what_to_do(
        replayed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    done = cli("sql", "SELEKT * FROM nowhere", "--db", str(replayed[0]))
    assert done.returncode == 1
    assert "error" in done.stderr.lower() or "failed" in done.stderr.lower()
    assert "query" in done.stderr.lower()


def test_sql_on_an_unknown_relation_exits_1(
        replayed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    done = cli("sql", "SELECT * FROM no_such_table", "--db", str(replayed[0]))
    assert done.returncode == 1
    assert "no_such_table" in done.stderr


def test_sql_prints_values_and_names_as_text_not_markup_or_terminal_control(
        replayed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """Attack (2026-12-04): a dead letter's reason quoting a key "[/x]" crashed `jatkumo sql`
    (rich read it as a closing tag), "[link=...]" became a link, and an escape sequence in a
    value reached the terminal."""
    done = cli("sql", "SELECT '[/x] [link=http://evil]a[/link]' || chr(27) || '[31m' AS "
               '"[/y]"', "--db", str(replayed[0]))
    assert done.returncode == 0, done.stderr
    assert "[/x] [link=http://evil]a[/link]\\x1b[31m" in done.stdout and "[/y]" in done.stdout
    assert "\x1b" not in done.stdout


def test_sql_answers_with_identity_codes_masked_that_the_query_typed(
        replayed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """An answer echoes its query: a literal code, an alias, a list or struct holding one, a
    string built from its parts. The relations hold none (SPEC.md 1.2); the SQL page masked
    them, `jatkumo sql` printed them (2026-12-05). A UUID and other values stay as they are."""
    query = ("SELECT '010203A912E' AS \"131052-308T\", ['x 010203A912E'] AS l, "
             "{'a': '0102' || '03A912E'} AS s, 'd6f1d1c6-2f3a-4b55-9c1e-0b1f6f0f9a11' AS u, "
             "'Oulu' AS place, 42 AS n")
    for extra in ((), ("--csv",)):
        done = cli("sql", query, "--db", str(replayed[0]), *extra)
        assert done.returncode == 0, done.stderr
        assert "912E" not in done.stdout and "308T" not in done.stdout, done.stdout
        assert done.stdout.count("******-****") >= 4, done.stdout
        # (the table cuts a long value to the terminal's width)
        uuid = "d6f1d1c6-2f3a-4b55-9c1e-0b1f6f0f9a11" if extra else "d6f1d1c6-2f3a"
        for kept in (uuid, "Oulu", "42"):
            assert kept in done.stdout, done.stdout


def test_sql_csv_on_a_terminal_shows_controls_as_escapes_and_to_a_pipe_keeps_them(
        replayed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """`--csv` read on a terminal ran a value's escape sequence (a window title here); a file
    or a pipe gets the value exactly (a spreadsheet's data)."""
    query = "SELECT 'a' || chr(27) || ']0;TITLE' || chr(7) || 'b' AS \"n\x1bx\""
    piped = cli("sql", query, "--db", str(replayed[0]), "--csv")
    assert piped.returncode == 0, piped.stderr
    assert "a\x1b]0;TITLE\x07b" in piped.stdout
    import pty

    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", "sql", query, "--db",
                                 str(replayed[0]), "--csv"], cwd=ROOT, env=env,
                                stdout=follower, stderr=subprocess.PIPE)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process's end
                break
            if not chunk:
                break
            shown += chunk
        assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        os.close(leader)
    text = shown.decode()
    assert "a\\x1b]0;TITLE\\x07b" in text and "n\\x1bx" in text, text
    assert "\x1b" not in text and "\x07" not in text


def _read_by_no_one(*args: str) -> tuple[int, str]:
    """The command run with a standard output whose reader has gone (`| head` that has read
    its lines) before the command writes: its status and what it said on stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "services.cli", *args], stdout=write,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
                              timeout=120)
    finally:
        os.close(write)
    return done.returncode, done.stderr


@pytest.mark.parametrize("form", [(), ("--csv",)], ids=["table", "csv"])
def test_sql_to_a_reader_that_has_gone_says_so_in_one_line(
        replayed: tuple[Path, subprocess.CompletedProcess[str]], form: tuple[str, ...]) -> None:
    """`jatkumo sql ... --csv | head -1`: before, a BrokenPipeError traceback called it a bug
    in jatkumo (the CSV), or rich's silent exit 1 said nothing (the table)."""
    status, said = _read_by_no_one("sql", "SELECT * FROM range(50000)",
                                   "--db", str(replayed[0]), *form)
    assert status == 1, said
    assert said.strip() == "jatkumo sql: stopped: the reader of standard output closed it", said


def test_replay_to_a_reader_that_has_gone_keeps_its_relations(tmp_path: Path) -> None:
    """`jatkumo replay ... | head`: the relations are whole; the summary alone is lost, and
    said to be."""
    src = h.write_jsonl(tmp_path / "e.jsonl", [h.signed("k1", "2022-09-01")])
    db = tmp_path / "gaps.duckdb"
    status, said = _read_by_no_one("replay", str(src), "--db", str(db), "--as-of", "2023-03-31")
    assert status == 1, said
    assert "Traceback" not in said and "relations were written" in said, said
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM contracts").fetchone() == (1,)
    finally:
        con.close()


def test_schema_writes_13_valid_json_schemas(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    done = cli("schema", "--out", str(out))
    assert done.returncode == 0, done.stderr
    files = sorted(out.iterdir())
    assert len(files) == 13
    names = set()
    for f in files:
        schema = json.loads(f.read_text(encoding="utf-8"))
        assert schema["type"] == "object"
        assert "payload" in schema["properties"]
        names.add(schema["title"])
    assert names == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == 13


def test_schema_to_a_file_instead_of_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    done = cli("schema", "--out", str(f))
    assert done.returncode == 2
    assert "folder" in done.stderr


def test_help_lists_the_commands_and_examples() -> None:
    done = cli("--help")
    assert done.returncode == 0
    for word in ("replay", "sql", "schema", "JATKUMO_PSEUDONYM_KEY", "--db"):
        assert word in done.stdout


def test_replay_help_explains_the_options() -> None:
    done = cli("replay", "--help")
    assert done.returncode == 0
    for word in ("--db", "--as-of", "YYYY-MM-DD"):
        assert word in done.stdout


def test_a_missing_event_file_is_a_usage_error_that_says_what_to_do(tmp_path: Path) -> None:
    done = cli("replay", str(tmp_path / "missing.jsonl"), "--db", str(tmp_path / "x.duckdb"))
    assert done.returncode == 2
    assert "missing.jsonl" in done.stderr and "--help" in done.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_a_bad_as_of_date_is_a_usage_error_that_shows_the_format(tmp_path: Path) -> None:
    src = h.write_jsonl(tmp_path / "e.jsonl", [h.signed("k1", "2023-01-01")])
    done = cli("replay", str(src), "--db", str(tmp_path / "x.duckdb"), "--as-of", "31.3.2023")
    assert done.returncode == 2
    assert "YYYY-MM-DD" in done.stderr


@pytest.mark.parametrize("as_of,words", [
    ("0001-01-01", "1900-2100"), ("1899-12-31", "1900-2100"), ("2101-01-01", "1900-2100"),
    ("20230331", "YYYY-MM-DD"), ("2023-W13-5", "YYYY-MM-DD")])
def test_an_as_of_date_out_of_the_events_years_or_not_written_yyyy_mm_dd_is_a_usage_error(
        tmp_path: Path, as_of: str, words: str) -> None:
    src = h.write_jsonl(tmp_path / "e.jsonl", [h.signed("k1", "2023-01-01")])
    done = cli("replay", str(src), "--db", str(tmp_path / "x.duckdb"), "--as-of", as_of)
    assert done.returncode == 2, done.stderr  # year 1 crashed the pages' month ends (exit 1)
    assert words in done.stderr and "Traceback" not in done.stderr


def test_a_folder_or_a_device_as_the_event_file_is_named_as_such(tmp_path: Path) -> None:
    folder = cli("replay", str(tmp_path), "--db", str(tmp_path / "x.duckdb"))
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    device = cli("replay", "/dev/null", "--db", str(tmp_path / "x.duckdb"))
    assert device.returncode == 2 and "not a regular file" in device.stderr


def test_a_name_too_long_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    """Attack (2026-12-04): any name over 255 bytes crashed replay, sql and the others in
    Path.is_dir() (ENAMETOOLONG), exit 1 with "this is a bug"."""
    long = str(tmp_path / ("e" * 300))
    for args in (("replay", long, "--db", str(tmp_path / "x.duckdb")),
                 ("sql", "--db", long, "SELECT 1"),
                 ("simulate", "--out", long)):
        done = cli(*args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, (args, done.stderr)


def test_the_files_jatkumo_writes_are_its_users_alone(tmp_path: Path) -> None:
    """Attack (2026-12-04): the relations (pseudonymised client data) and the web file (its
    access log and reference key) were readable by every user of the machine (0644)."""
    import stat

    out = tmp_path / "s.jsonl"
    assert cli("simulate", "--clients", "20", "--out", str(out), "--quiet").returncode == 0
    db = tmp_path / "g.duckdb"
    assert cli("replay", str(out), "--db", str(db), "--quiet").returncode == 0
    for made in (out, db):
        assert stat.S_IMODE(made.stat().st_mode) & 0o077 == 0, (made, oct(made.stat().st_mode))
    # Attack (2026-12-05): files written over kept their mode, readable by all
    old = [tmp_path / n for n in ("o.jsonl", "t.jsonl", "h.toml")]
    for f in old:
        f.write_text("old\n")
        f.chmod(0o644)
    assert cli("simulate", "--clients", "20", "--out", str(old[0]), "--truth", str(old[1]),
               "--second-handoff", "2025-01-01", "--handoffs-out", str(old[2]),
               "--quiet").returncode == 0
    for made in old:
        assert made.read_text() != "old\n"
        assert stat.S_IMODE(made.stat().st_mode) == 0o600, (made, oct(made.stat().st_mode))
    folder = tmp_path / "schemas"
    folder.mkdir()
    (folder / "client.registered.schema.json").write_text("{}")
    (folder / "client.registered.schema.json").chmod(0o644)
    assert cli("schema", "--out", str(folder)).returncode == 0
    assert all(stat.S_IMODE(f.stat().st_mode) & 0o077 == 0 for f in folder.iterdir())


@pytest.mark.parametrize("option", ["--out", "--truth"])
def test_simulate_does_not_write_over_a_duckdb_file(tmp_path: Path, option: str) -> None:
    """Attack (2026-12-05): simulate --out a.duckdb replaced the relations with JSONL, where
    replay --db refuses to write over what is not a DuckDB file."""
    db = tmp_path / "a.duckdb"
    duckdb.connect(str(db)).execute("CREATE TABLE t AS SELECT 1 AS x").close()
    before = db.read_bytes()
    args = ["--out", str(tmp_path / "e.jsonl"), option, str(db)] if option == "--truth" else \
        ["--out", str(db)]
    done = cli("simulate", "--clients", "5", *args, "--quiet")
    assert done.returncode == 2, done.stderr
    assert f"{option} {db} is a DuckDB database" in done.stderr and "another file" in done.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize("port", ["99999", "-1", "0", "http"])
def test_a_port_out_of_range_is_a_usage_error(tmp_path: Path, port: str) -> None:
    """Attack (2026-12-04): serve --port 99999 or -1 got as far as the bind: a traceback."""
    for args in (("serve", "--db", str(tmp_path / "x.duckdb"), "--port", port),
                 ("kafka", "status", "--port", port)):
        done = cli(*args)
        assert done.returncode == 2 and "is not a TCP port" in done.stderr, (args, done.stderr)


def test_an_address_not_of_this_machine_is_a_usage_error(tmp_path: Path) -> None:
    from services.web.auth import hash_password

    users = tmp_path / "users.toml"
    users.write_text(f'[users.a]\nrole = "analyst"\npassword = "{hash_password("pw")}"\n')
    src = h.write_jsonl(tmp_path / "e.jsonl", [h.signed("k1", "2023-01-01")])
    db = tmp_path / "x.duckdb"
    assert cli("replay", str(src), "--db", str(db), "--quiet").returncode == 0
    done = cli("serve", "--db", str(db), "--host", "999.1.1.1", "--port", "18777",
               JATKUMO_USERS=str(users))
    assert done.returncode == 2 and "cannot listen on 999.1.1.1" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    # a file that is not the relations (the users file by mistake) is refused at once: it
    # started a server whose every alert round logged a traceback
    # (and the events file: DuckDB's error for it read as a writer's lock, and the server
    # started: a hunt, 2026-12-06)
    for wrong in (users, tmp_path / "empty.duckdb", src):
        if wrong.suffix == ".duckdb":
            duckdb.connect(str(wrong)).close()
        done = cli("serve", "--db", str(wrong), "--port", "18777", JATKUMO_USERS=str(users))
        assert done.returncode == 2 and "is not a file of jatkumo's relations" in done.stderr


def test_a_public_url_that_is_no_web_address_stops_serve_and_the_sink(tmp_path: Path) -> None:
    """Review (2026-12-04): any JATKUMO_PUBLIC_URL went into every alert sent to
    Alertmanager, a `javascript:` link or a password included."""
    for args in (("serve", "--db", str(tmp_path / "x.duckdb")),
                 ("sink", "--db", str(tmp_path / "x.duckdb"), "--serve")):
        done = cli(*args, JATKUMO_PUBLIC_URL="javascript:alert(1)")
        assert done.returncode == 2 and "JATKUMO_PUBLIC_URL must be" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_a_threshold_that_hides_nothing_it_claims_to_stops_serve_and_the_sink(
        tmp_path: Path) -> None:
    """With k = 2 each hidden count (`<2`) could only be 1; at 3 and 4 the map's listed cells
    pinned counts (an attack, 2026-12-04)."""
    for args, k in ((("serve", "--db", str(tmp_path / "x.duckdb")), "2"),
                    (("sink", "--db", str(tmp_path / "x.duckdb"), "--serve"), "4")):
        done = cli(*args, JATKUMO_SUPPRESS_BELOW=k)
        assert done.returncode == 2 and "use 5 or more" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_a_full_disk_and_a_handoff_past_the_event_years_are_said_as_such(
        tmp_path: Path) -> None:
    """Attack (2026-12-04): both ended in a traceback and "this is a bug"."""
    full = cli("simulate", "--clients", "5", "--out", "/dev/full", "--quiet")
    assert full.returncode == 1 and "No space left on device" in full.stderr, full.stderr
    assert "Traceback" not in full.stderr and "bug" not in full.stderr
    late = cli("simulate", "--clients", "5", "--out", str(tmp_path / "s.jsonl"),
               "--second-handoff", "9999-12-31")
    assert late.returncode == 2 and "give a date by 2099-12-31" in late.stderr, late.stderr


def test_standard_output_names_a_file_as_it_is_with_no_identity_code(tmp_path: Path) -> None:
    """Attack (2026-12-04): only stderr was masked, so `Relations written to 010203-912E.duckdb`
    showed the code; and rich read `[bold]` in a file name as markup and printed another
    name."""
    src = h.write_jsonl(tmp_path / "010203-912E[x]z.jsonl", [h.signed("k1", "2023-01-01")])
    db = tmp_path / "010203-912E[bold]z.duckdb"
    done = cli("replay", str(src), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "912E" not in done.stdout and "******-****[bold]z.duckdb" in done.stdout.replace(
        "\n", ""), done.stdout
    made = cli("simulate", "--clients", "5", "--out", str(tmp_path / "131052-308T[i].jsonl"))
    flat = made.stdout.replace("\n", "")
    assert made.returncode == 0 and "308T" not in flat and "******-****[i].jsonl" in flat


def test_simulate_writes_no_file_over_another(tmp_path: Path) -> None:
    same = str(tmp_path / "s.jsonl")
    done = cli("simulate", "--out", same, "--truth", same)
    assert done.returncode == 2 and "name the same file" in done.stderr, done.stderr
    assert not Path(same).exists()


def test_a_missing_db_option_is_a_usage_error(tmp_path: Path) -> None:
    src = h.write_jsonl(tmp_path / "e.jsonl", [h.signed("k1", "2023-01-01")])
    done = cli("replay", str(src))
    assert done.returncode == 2
    assert "--db" in done.stderr


def test_sql_on_a_missing_db_file_is_a_usage_error(tmp_path: Path) -> None:
    done = cli("sql", "SELECT 1", "--db", str(tmp_path / "nothing.duckdb"))
    assert done.returncode == 2
    assert "jatkumo replay" in done.stderr


def test_no_command_is_a_usage_error() -> None:
    done = cli()
    assert done.returncode == 2
    assert "--help" in done.stderr


def test_a_db_in_a_missing_folder_is_a_usage_error_with_exit_2(tmp_path: Path) -> None:
    """A wrong argument (issue 12, point 7): exit 2, saying what to do. A full disk is the
    failure (exit 1): tests/e2e/test_replay_door.py."""
    src = h.write_jsonl(tmp_path / "e.jsonl", [h.signed("k1", "2023-01-01")])
    done = cli("replay", str(src), "--db", str(tmp_path / "no" / "such" / "dir" / "x.duckdb"))
    assert done.returncode == 2
    assert "x.duckdb" in done.stderr and "create it or give another path" in done.stderr


def test_client_hetu_without_a_key_is_refused_with_a_hint(tmp_path: Path) -> None:
    e = h.signed("k1", "2023-01-01")
    del e["client_id"]
    e["client_hetu"] = "131052-308T"
    src = h.write_jsonl(tmp_path / "e.jsonl", [e, h.signed("k2", "2023-01-01")])
    db = tmp_path / "x.duckdb"
    done = cli("replay", str(src), "--db", str(db), key=None)
    assert done.returncode == 0, done.stderr
    assert "JATKUMO_PSEUDONYM_KEY" in done.stderr + done.stdout
    assert "131052-308T" not in done.stderr + done.stdout
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM dead_letters").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (1,)
    con.close()


def test_replay_without_as_of_uses_the_latest_effective_date(tmp_path: Path) -> None:
    src = h.write_jsonl(tmp_path / "e.jsonl", [
        h.signed("k1", "2022-09-01"), h.attendance("k1", "2023-02-14")])
    db = tmp_path / "x.duckdb"
    assert cli("replay", str(src), "--db", str(db), "--quiet").returncode == 0
    done = cli("sql", "SELECT as_of_date FROM as_of", "--db", str(db), "--csv")
    assert done.stdout.splitlines() == ["as_of_date", "2023-02-14"]


def test_replaying_again_rebuilds_the_file_rather_than_appending(tmp_path: Path) -> None:
    src = h.write_jsonl(tmp_path / "e.jsonl", [h.signed("k1", "2022-09-01")])
    db = tmp_path / "x.duckdb"
    for _ in range(2):
        assert cli("replay", str(src), "--db", str(db), "--quiet").returncode == 0
    done = cli("sql", "SELECT count(*) AS n FROM events", "--db", str(db), "--csv")
    assert done.stdout.splitlines() == ["n", "1"]


def test_thresholds_and_cutover_come_from_the_environment(tmp_path: Path) -> None:
    src = h.write_jsonl(tmp_path / "e.jsonl", [
        h.signed("k1", "2022-09-01", organizer=h.WBA), h.assigned("w1", h.WBA, "2022-09-01"),
        h.ended("k1", "2023-01-31"), h.signed("k2", "2022-09-01", client="c2")])
    db = tmp_path / "x.duckdb"
    done = cli("replay", str(src), "--db", str(db), "--as-of", "2023-03-12", "--quiet",
               JATKUMO_THRESHOLDS="SERVICE_BREAK=40", JATKUMO_CUTOVER="2023-03-01")
    assert done.returncode == 0, done.stderr
    out = cli("sql", "SELECT client_id, gap_type, length_days FROM continuity_gaps "
              "WHERE gap_type IN ('SERVICE_BREAK', 'HANDOFF_MISSING') ORDER BY 1",
              "--db", str(db), "--csv")
    # SERVICE_BREAK 02-01..03-12 is 40 days: not > 40; HANDOFF_MISSING from 03-01: 12 days
    assert out.stdout.splitlines() == ["client_id,gap_type,length_days"]
    bad = cli("replay", str(src), "--db", str(db), JATKUMO_THRESHOLDS="SERVICE_BREAK=soon")
    assert bad.returncode == 2 and "SERVICE_BREAK" in bad.stderr


def test_a_replay_in_worker_processes_prints_no_warning(tmp_path: Path) -> None:
    """A file big enough for worker processes (services.replay.PARALLEL_FROM_BYTES), with
    Python's warnings shown: the fork server preloads the command line's modules, and a
    preload runpy disliked (the module run with -m itself) warned once per worker."""
    from services.replay import PARALLEL_FROM_BYTES, default_workers

    one = h.line(h.attendance("k0", "2023-01-02")) + "\n"
    events = [h.signed(f"k{c}", "2022-09-01", client=f"c{c}") for c in range(200)]
    n = PARALLEL_FROM_BYTES // len(one) + 1
    events += [h.attendance(f"k{i % 200}", date(2022, 9, 1) + timedelta(days=i % 600),
                            client=f"c{i % 200}") for i in range(n)]
    src = h.write_jsonl(tmp_path / "e.jsonl", events)
    # what `jatkumo replay` chooses when not told: more than one worker process
    assert default_workers(src) > 1
    db = tmp_path / "x.duckdb"
    done = cli("replay", str(src), "--db", str(db), "--as-of", "2024-06-30",
               PYTHONWARNINGS="default")
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr


@pytest.mark.parametrize("n", ["0", "-3", "two", "1e9", "9999"])
def test_publish_with_no_real_number_of_processes_is_a_usage_error(tmp_path: Path,
                                                                    n: str) -> None:
    """`--processes 0` or `-3` published with one process in silence; now it says what to
    give, before any broker is asked (the address here answers nothing)."""
    src = h.write_jsonl(tmp_path / "e.jsonl", [h.signed("k1", "2023-01-01")])
    done = cli("publish", str(src), "--processes", n, "--bootstrap", "127.0.0.1:1")
    assert done.returncode == 2, done.stderr
    assert "number of processes" in done.stderr and "1-256" in done.stderr


@pytest.mark.parametrize(("name", "source"), [
    ("131052-308T", "workshop:PAJA-OULU-1"), ("paja", "workshop:131052-308T"),
    ("paja\u202eT803-250131", "workshop:PAJA-OULU-1"), ("paja", "workshop:131052\n-308T")])
def test_a_token_named_with_an_identity_code_is_refused(tmp_path: Path, name: str,
                                                        source: str) -> None:
    """Attack (2026-12-05): `token add` kept a code in the token's name or source, and
    `token list` printed it; `import --source` refused the same."""
    db = tmp_path / "a.duckdb"
    done = cli("token", "add", name, "--source", source, "--db", str(db))
    assert done.returncode == 2, done.stderr
    assert "identity code" in done.stderr
    assert "******-****" in done.stderr or "****-******" in done.stderr  # (backwards: as shown)
    assert "131052" not in done.stderr + done.stdout and "250131" not in done.stderr
    assert not list(tmp_path.iterdir())  # no token file
    ok = cli("token", "add", "paja", "--source", "workshop:PAJA-OULU-1", "--db", str(db))
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("command", [["schema"], ["demo", "--clients", "50"]])
def test_an_out_folder_that_cannot_be_made_is_a_usage_error(tmp_path: Path,
                                                            command: list[str]) -> None:
    """A file as a parent folder, /proc, a name that is not UTF-8: tracebacks before (and the
    demo found the last out only after simulating)."""
    (tmp_path / "plain").write_text("x")
    for out in (str(tmp_path / "plain" / "sub"), "/proc/1/jatkumo-x",
                os.fsdecode(bytes(tmp_path / "d") + b"\xe4")):
        done = cli(*command, "--out", out)
        assert done.returncode == 2, done.stderr
        assert "error: --out" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "plain-events.jsonl").exists()


def test_the_demo_prints_a_folder_named_like_markup_or_a_code_as_text(tmp_path: Path) -> None:
    out = tmp_path / "d[/x] 131052-308T"
    done = cli("demo", "--out", str(out), "--clients", "60", "--clean-clients", "0")
    assert done.returncode in (0, 1), done.stderr  # the comparison's verdict is not asked here
    assert "d[/x] ******-****" in done.stdout.replace("\n", "")
    assert "131052" not in done.stdout + done.stderr


def test_token_list_and_revoke_mask_names_written_into_the_file_by_hand(
        tmp_path: Path) -> None:
    tokens = tmp_path / "t.json"
    assert cli("token", "add", "abc", "--source", "workshop:A", "--tokens",
               str(tokens)).returncode == 0
    tokens.write_text(tokens.read_text().replace('"abc"', '"131052-308T"')
                      .replace("workshop:A", "workshop:131052-308T"))
    listed = cli("token", "list", "--tokens", str(tokens))
    revoked = cli("token", "revoke", "131052-308T", "--tokens", str(tokens))
    assert listed.returncode == 0 and revoked.returncode == 0, listed.stderr + revoked.stderr
    assert "******-****\tworkshop:******-****" in listed.stdout
    assert revoked.stdout.strip() == "revoked ******-****"
    tokens.write_text("[" * 100_000)
    deep = cli("token", "list", "--tokens", str(tokens))
    assert deep.returncode == 2 and "cannot be read" in deep.stderr, deep.stderr


def test_a_sink_started_with_no_broker_says_so_and_reads_nothing(tmp_path: Path) -> None:
    """A sink that finds no broker at its start stops with status 1 and says what to do (a
    test of the broker's outage relied on it starting first: on a loaded machine it had
    not, and found none). It never said it was reading."""
    done = cli("sink", "--db", str(tmp_path / "s.duckdb"), "--bootstrap", "127.0.0.1:1")
    assert done.returncode == 1, done.stderr
    assert "no Kafka broker answers at 127.0.0.1:1" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "sink: reading" not in done.stdout


def test_replay_refuses_a_file_with_tables_it_does_not_write(tmp_path: Path) -> None:
    """A replay replaces the whole file: onto the HTTP ingest's file it deleted `event_log`,
    the only copy of the events the ingest took, and any other table, without a word (a
    hunt, 2026-12-06). Such a file is refused (exit 2) and left as it was; a file replay
    wrote is replaced as before."""
    events = tmp_path / "e.jsonl"
    events.write_text("", encoding="utf-8")
    for table in ("event_log", "foo"):
        db = tmp_path / f"{table}.duckdb"
        with duckdb.connect(str(db)) as con:
            con.execute(f"CREATE TABLE {table} (a INTEGER)")
            con.execute(f"INSERT INTO {table} VALUES (1)")
        got = cli("replay", str(events), "--db", str(db))
        assert got.returncode == 2 and table in got.stderr and "new file" in got.stderr
        with duckdb.connect(str(db), read_only=True) as con:
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)
    db = tmp_path / "gaps.duckdb"
    for _ in range(2):
        assert cli("replay", str(events), "--db", str(db)).returncode == 0
    # a file a writer holds (serve --ingest, the sink) is refused, not replaced under it
    with duckdb.connect(str(db)):
        got = cli("replay", str(events), "--db", str(db))
    assert got.returncode == 2 and "held by another process" in got.stderr, got.stderr


def test_a_folder_or_file_no_command_can_use_is_a_usage_error_that_says_what_to_do(
        tmp_path: Path) -> None:
    """A review (2026-12-07): `schema --out /proc/self` was a traceback; `schema --out ''`
    wrote into the working folder; `audit --db` on a file that is no DuckDB file, and
    `serve --ingest --db /proc/self/status`, were exit 1 in DuckDB's words; `simulate
    --clients` took a typo of 17 digits and filled the disk."""
    from services.web.auth import hash_password

    users = tmp_path / "users.toml"
    users.write_text(f'[users.a]\nrole = "analyst"\npassword = "{hash_password("pw")}"\n')
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    cases = [
        (("schema", "--out", "/proc/self"), "cannot write in the folder"),
        (("schema", "--out", ""), "--out is empty"),
        (("audit", "--db", str(notes)), "is not a DuckDB file"),
        (("simulate", "--clients", "99999999999999999", "--out", str(tmp_path / "e.jsonl")),
         "more than Finland has"),
        (("serve", "--ingest", "--db", "/proc/self/status", "--port", "18778"),
         "exists and is not a DuckDB file"),
        (("serve", "--ingest", "--db", "/proc/self/new.duckdb", "--port", "18778"),
         "in a folder that takes no new file"),
    ]
    for args, words in cases:
        done = cli(*args, JATKUMO_USERS=str(users), JATKUMO_WEB_SECRET="s")
        assert done.returncode == 2 and words in done.stderr, (args, done.stderr[-400:])
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "e.jsonl").exists()
    assert not list(ROOT.glob("*.schema.json"))  # nothing written into the working folder
