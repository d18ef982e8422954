"""Hostile settings through the CLI (attack H5, H6, H8): each ends at once with exit 2 and one
line that names the setting, never a traceback (exit 1) or a command that hangs."""

import os
import subprocess
from pathlib import Path

import pytest

from tests import helpers as h
from tests.e2e.test_cli import cli


@pytest.fixture
def events(tmp_path: Path) -> Path:
    return h.write_jsonl(tmp_path / "ok.jsonl", [h.signed("k1", "2022-09-01"),
                                                 h.assigned("w1", h.OULU, "2022-09-01")])


def _usage_error(done: subprocess.CompletedProcess[str], command: str, *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"jatkumo {command}: error: ")
    for word in words:
        assert word in done.stderr, done.stderr


def test_a_fifo_as_the_areas_file_ends_at_once_with_a_usage_error(
        tmp_path: Path, events: Path) -> None:
    """It hung for ever, waiting for a writer; `cli` kills a child after 120 s, so a hang
    fails here with TimeoutExpired."""
    fifo = tmp_path / "areas.csv"
    os.mkfifo(fifo)
    done = cli("replay", str(events), "--db", str(tmp_path / "x.duckdb"),
               JATKUMO_AREAS_FILE=str(fifo))
    _usage_error(done, "replay", "JATKUMO_AREAS_FILE", "FIFO", "not a regular file")


@pytest.mark.parametrize("by_flag", [True, False])
def test_a_fifo_as_the_handoffs_file_names_where_it_was_given(
        tmp_path: Path, events: Path, by_flag: bool) -> None:
    fifo = tmp_path / "handoffs.toml"
    os.mkfifo(fifo)
    flag, env = ((["--handoffs", str(fifo)], {}) if by_flag
                 else ([], {"JATKUMO_HANDOFFS": str(fifo)}))
    done = cli("replay", str(events), "--db", str(tmp_path / "x.duckdb"), *flag, **env)
    _usage_error(done, "replay", "--handoffs" if by_flag else "JATKUMO_HANDOFFS", "FIFO")


@pytest.mark.parametrize("command", ["replay", "run", "serve"])
def test_an_empty_handoffs_flag_is_a_usage_error(tmp_path: Path, events: Path, command: str
                                                 ) -> None:
    """`--handoffs ""` ran the default handoff (replay), started the pipeline without the file
    (run) or labelled the pages by JATKUMO_HANDOFFS or the default (serve), instead of saying
    that a path is missing; no file is written, nothing starts (run refuses before it looks
    for a broker, serve before it opens the file)."""
    db = tmp_path / "x.duckdb"
    users = tmp_path / "users.toml"
    users.write_text('[users.m]\nrole = "manager"\npassword = "x"\n')
    args = {"replay": (str(events), "--db", str(db)),
            "run": ("--db", str(db), "--bootstrap", "127.0.0.1:1"),
            "serve": ("--db", str(db), "--port", "1")}[command]
    done = cli(command, *args, "--handoffs", "", JATKUMO_USERS=str(users))
    _usage_error(done, command, "--handoffs is empty")
    assert not db.exists()


@pytest.mark.parametrize("name, value", [
    ("JATKUMO_THRESHOLDS", "SERVICE_BREAK=²"),
    ("JATKUMO_THRESHOLDS", "SERVICE_BREAK=" + "9" * 5000),
    ("JATKUMO_HANDOFF_GRACE_DAYS", "²"),
    ("JATKUMO_HANDOFF_GRACE_DAYS", "99999999999999999999"),
    ("JATKUMO_HANDOFF_GRACE_DAYS", "9999999"),
    ("JATKUMO_DUCKDB_MEMORY", "0GB"),
    ("JATKUMO_DUCKDB_MEMORY", "999999999TB"),
])
def test_a_replay_with_a_wrong_variable_is_a_usage_error(
        tmp_path: Path, events: Path, name: str, value: str) -> None:
    done = cli("replay", str(events), "--db", str(tmp_path / "x.duckdb"), **{name: value})
    _usage_error(done, "replay", name)
    assert not (tmp_path / "x.duckdb").exists()


def test_a_pseudonym_key_of_bytes_that_are_no_text_is_a_usage_error(
        tmp_path: Path, events: Path) -> None:
    # "\udcff" reaches the child as the byte 0xff, which its os.environ holds as U+DCFF
    done = cli("replay", str(events), "--db", str(tmp_path / "x.duckdb"), key="key-\udcff")
    _usage_error(done, "replay", "JATKUMO_PSEUDONYM_KEY must be UTF-8 text")


@pytest.mark.parametrize("rows, said", [
    ("564\n", "line 2: municipality 564 has no internal_area"),
    ('"564\n', "line 2: municipality 564 has no internal_area"),
    ("564,A\n564,B\n", "line 3: municipality 564 is already on line 2"),
])
def test_an_areas_file_with_a_wrong_row_names_the_line(
        tmp_path: Path, events: Path, rows: str, said: str) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text("code,internal_area\n" + rows, encoding="utf-8")
    done = cli("replay", str(events), "--db", str(tmp_path / "x.duckdb"),
               JATKUMO_AREAS_FILE=str(areas))
    _usage_error(done, "replay", "JATKUMO_AREAS_FILE", said)


@pytest.mark.parametrize("name, value", [
    ("JATKUMO_SUPPRESS_BELOW", "²"),
    ("JATKUMO_SQL_ROW_LIMIT", "inf"),
    ("JATKUMO_SQL_TIMEOUT_SECONDS", "nan"),
    ("JATKUMO_WEB_SECRET", "\udcff"),
])
def test_serve_with_a_wrong_variable_is_a_usage_error_naming_it(
        tmp_path: Path, name: str, value: str) -> None:
    # the variable is read before the users file: without the fix a value taken silently
    # would end in "no users" instead, which names no wrong setting
    done = cli("serve", "--db", str(tmp_path / "x.duckdb"), **{name: value})
    _usage_error(done, "serve", name)


def test_a_bootstrap_option_is_checked_as_the_variable_is(tmp_path: Path) -> None:
    """Review (2026-12-04): --bootstrap replaced the checked variable without a check."""
    events = tmp_path / "e.jsonl"
    events.write_text("{}\n", encoding="utf-8")
    done = cli("publish", str(events), "--bootstrap", "bad host:99999")
    assert done.returncode == 2 and "--bootstrap must be" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_a_metrics_token_too_short_to_guard_the_exact_counts(
        tmp_path: Path) -> None:
    done = cli("serve", "--db", str(tmp_path / "x.duckdb"), JATKUMO_METRICS_TOKEN="secret")
    _usage_error(done, "serve", "JATKUMO_METRICS_TOKEN must be at least 16 characters")


def test_a_core_choice_that_is_no_core_is_a_usage_error(tmp_path: Path, events: Path) -> None:
    """It ran the default core in silence: JATKUMO_CORE=Pure ran the compiled one."""
    done = cli("replay", str(events), "--db", str(tmp_path / "x.duckdb"), JATKUMO_CORE="Pure")
    _usage_error(done, "replay", "JATKUMO_CORE must be 'pure' or 'compiled'")
    assert not (tmp_path / "x.duckdb").exists()


def test_a_wrong_broker_heap_is_a_usage_error_before_any_broker_starts(tmp_path: Path) -> None:
    run = tmp_path / "run"
    done = cli("kafka", "up", "--run-dir", str(run), JATKUMO_KAFKA_HEAP="lots")
    _usage_error(done, "kafka", "JATKUMO_KAFKA_HEAP must be", "-Xmx512m")
    assert not list(run.rglob("*.pid"))


@pytest.mark.parametrize("where", ["taken", "taken/data"])
def test_a_worker_data_folder_it_cannot_use_is_a_usage_error(tmp_path: Path, where: str) -> None:
    """A file of that name (or on the way to it) ended in a traceback from mkdir, after
    asking the broker first."""
    (tmp_path / "taken").write_text("not a folder\n", encoding="utf-8")
    folder = tmp_path / where
    # no broker answers on port 1: the folder is checked before the broker is asked
    done = cli("worker", "--bootstrap", "127.0.0.1:1", "--data-dir", str(folder))
    _usage_error(done, "worker", "data folder", str(folder), "--data-dir")
    done = cli("worker", "--bootstrap", "127.0.0.1:1", JATKUMO_WORKER_DIR=str(folder))
    _usage_error(done, "worker", "JATKUMO_WORKER_DIR")
