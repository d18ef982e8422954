"""What jatkumo echoes back (an import's errors, the web server's access log, a command line's
errors) has identity codes masked: a code exists nowhere after the door, not on stderr, not in
a log line, not in a file of bad rows (SPEC.md 1.2). Synthetic codes only."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from yarl import URL

from schemas.errors import UsageError
from schemas.hetu import MASK
from services.config import WebSettings
from services.importer.mapping import load_mapping
from services.importer.run import contract_map, import_file
from services.importer.table import read_table
from services.web.db import file_connector
from services.web.server import PathOnlyAccessLogger, build_app
from tests.helpers import run_apart

ROOT = Path(__file__).resolve().parents[2]
CODES = ("050395-912K", "131052-308T", "010105A9070")
# a spreadsheet saved without its header line: the first client's row is taken for one
NO_HEADER = "050395-912K;k1;6.5.2024;k\n131052-308T;k2;6.5.2024;k\n"


def jatkumo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    env["JATKUMO_PSEUDONYM_KEY"] = "masked-echoes-key"
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "services.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def assert_masked(text: str) -> None:
    for code in CODES:
        assert code not in text, text
    assert MASK in text, text


# 1. jatkumo import


def test_an_export_without_a_header_is_not_echoed(tmp_path: Path) -> None:
    export = tmp_path / "noheader.csv"
    export.write_text(NO_HEADER, encoding="utf-8")
    got = jatkumo("import", "attendance", str(export), "--source", "s",
                  "--out", str(tmp_path / "out.jsonl"), cwd=tmp_path)
    assert got.returncode == 2
    assert "among the export's columns" in got.stderr
    assert_masked(got.stderr)
    # the message is masked where it is made, whoever shows it
    with pytest.raises(UsageError) as e:
        load_mapping("attendance", None, read_table(export).header)
    assert_masked(str(e.value))


def test_a_contract_map_without_a_header_is_not_echoed(tmp_path: Path) -> None:
    export = tmp_path / "attendance.csv"
    export.write_text("client_id;contract_id;date;present\nc1;k1;6.5.2024;x\n",
                      encoding="utf-8")
    (tmp_path / "map.csv").write_text(NO_HEADER, encoding="utf-8")
    got = jatkumo("import", "attendance", str(export), "--source", "s", "--out",
                  str(tmp_path / "out.jsonl"), "--contract-map", "map.csv", cwd=tmp_path)
    assert got.returncode == 2 and "it has [" in got.stderr
    assert_masked(got.stderr)
    with pytest.raises(UsageError) as e:
        contract_map(tmp_path / "map.csv")
    assert_masked(str(e.value))


def test_a_header_naming_a_column_twice_is_not_echoed(tmp_path: Path) -> None:
    export = tmp_path / "twice.csv"
    export.write_text("131052-308T;131052-308T;6.5.2024\n", encoding="utf-8")
    got = jatkumo("import", "attendance", str(export), "--source", "s",
                  "--out", str(tmp_path / "out.jsonl"), cwd=tmp_path)
    assert got.returncode == 2 and "names a column twice" in got.stderr
    assert_masked(got.stderr)
    with pytest.raises(UsageError) as e:
        read_table(export)
    assert_masked(str(e.value))


def test_an_export_named_after_its_client_is_not_named(tmp_path: Path) -> None:
    export = tmp_path / "asiakas_050395-912K.csv"
    export.write_text("client_id;contract_id;date;present\n"
                      "c1;k1;6.5.2024;x\n"
                      "c1;k1;99.5.2024;k\n"  # line 3: no such day
                      "c1;k1;6.5.2024;k;extra\n", encoding="utf-8")  # line 4: a cell too many
    errors = tmp_path / "errors.txt"
    got = jatkumo("import", "attendance", export.name, "--source", "s",
                  "--out", "out.jsonl", "--errors", str(errors), cwd=tmp_path)
    assert got.returncode == 0, got.stderr
    assert f"asiakas_{MASK}.csv:3: " in got.stderr and f"asiakas_{MASK}.csv:4: " in got.stderr
    assert_masked(got.stderr)
    assert errors.read_text(encoding="utf-8").splitlines() == [
        "3;'99.5.2024' is not a day of the calendar", "4;more cells than the header has columns"]
    # a refused export named after its client: the refusal names the file, masked
    (tmp_path / "asiakas_131052-308T.csv").write_text("a;a\n", encoding="utf-8")
    with pytest.raises(UsageError) as e, open(tmp_path / "out.jsonl", "wb") as out:
        import_file("attendance", tmp_path / "asiakas_131052-308T.csv", source="s", key=None,
                    out=out)
    assert_masked(str(e.value))


# 2. the web server's access log


def test_the_access_log_masks_codes_in_the_path(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """Before: `GET /050395-912K 303 3ms`, a client's code in every log line of a mistyped
    address."""
    db = tmp_path / "gaps.duckdb"
    app = build_app(db, WebSettings(secret=b"masked-echoes"), {}, file_connector(db))
    paths = ["/050395-912K", "/timeline/x131052-308T", "/010105A9070/more",
             "/050395%2D912K",  # escaped in the address, decoded in request.path
             "/static/x131052-308T.css", "/timeline/sim-000045", "/alerts/" + "a" * 20,
             "/static/sim-000045", "/static/app.css"]

    async def go() -> list[int]:
        server = TestServer(app)  # it takes the runner's options here, not when made
        await server.start_server(access_log_class=PathOnlyAccessLogger)
        async with server, aiohttp.ClientSession() as http:
            statuses = []
            for path in paths:
                url = URL(str(server.make_url("/")).rstrip("/") + path, encoded=True)
                async with http.get(url, allow_redirects=False) as r:
                    statuses.append(r.status)
            return statuses

    caplog.set_level(logging.INFO, logger="aiohttp.access")
    statuses = run_apart(go)
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == len(paths), lines
    # the format is kept: method, path, status, time; a path that is no page's is not
    # printed (a client id typed into one was: a hunt, 2026-12-06), a page's value is its
    # route's name, a static file's path is masked
    assert lines[0].startswith(f"GET [no such page] {statuses[0]} ")
    assert lines[0].endswith("ms")
    none = "[no such page]"
    assert [line.split(" ", 1)[1].rsplit(" ", 2)[0] for line in lines] == [
        none, none, none, none, none, none, "/alerts/{ref}", none, "/static/app.css"], lines
    printed = "\n".join(lines)
    assert "sim-000045" not in printed and not [c for c in CODES if c in printed]


# 3. the command line's errors


@pytest.mark.parametrize("args", [
    ("replay", "events.jsonl", "--db", "y.duckdb", "--as-of", "050395-912K"),
    ("replay", "events.jsonl", "--db", "y.duckdb", "--handoffs", "/nonexist/050395-912K.toml"),
    ("replay", "asiakas_131052-308T.jsonl", "--db", "y.duckdb"),
    ("sql", "selec '010105A9070'", "--db", "y.duckdb"),
])
def test_command_line_errors_mask_what_was_typed(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "events.jsonl").write_text("", encoding="utf-8")
    assert jatkumo("replay", "events.jsonl", "--db", "y.duckdb", "--quiet",
                   cwd=tmp_path).returncode == 0
    got = jatkumo(*args, cwd=tmp_path)
    assert got.returncode in (1, 2), got.stderr
    assert "error" in got.stderr or "failed" in got.stderr
    assert_masked(got.stderr)


def test_the_command_line_is_otherwise_unchanged(tmp_path: Path) -> None:
    helped = jatkumo("--help", cwd=tmp_path)
    assert helped.returncode == 0 and helped.stdout.startswith("usage: jatkumo")
    usage = jatkumo("replay", cwd=tmp_path)
    assert usage.returncode == 2
    assert usage.stderr.startswith("usage: jatkumo replay")
    assert "Run 'jatkumo replay --help' to see how." in usage.stderr
    # and a normal run answers as before
    (tmp_path / "events.jsonl").write_text("", encoding="utf-8")
    assert jatkumo("replay", "events.jsonl", "--db", "y.duckdb", "--quiet",
                   cwd=tmp_path).returncode == 0
    got = jatkumo("sql", "SELECT 42 AS answer", "--db", "y.duckdb", "--csv", cwd=tmp_path)
    assert got.returncode == 0 and got.stdout.splitlines() == ["answer", "42"], got.stderr
    # with stderr closed (2>&-) the statuses are the same: the mask had wrapped None, and
    # the exit failed with 120 (a review found it)
    for arg, status in (("--help", 0), ("nosuchcmd", 2)):
        closed = subprocess.run(["bash", "-c", f'"$0" -m services.cli {arg} 2>&-',
                                 sys.executable], stdout=subprocess.DEVNULL, cwd=tmp_path,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
        assert closed.returncode == status, arg


def test_references_and_event_ids_in_a_log_line_stay_readable() -> None:
    """A dashboard reference is 20 lower-case hex digits; one in 20 held something shaped like
    a code, and the access log masked it (a review found it). Valid codes are still masked."""
    from schemas.hetu import mask_codes

    assert mask_codes("POST /alerts/0123456a789bcdef0123/ack") == (
        "POST /alerts/0123456a789bcdef0123/ack")
    assert mask_codes("GET /x131052-308T") == f"GET /x{MASK}"
    assert mask_codes("id131052-9085") == f"id{MASK}"
