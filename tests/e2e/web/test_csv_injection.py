"""CSV formula injection (OWASP): every CSV jatkumo writes — the gaps export, the SQL page's
export and `jatkumo sql --csv` — puts a quote in front of a text cell a spreadsheet would run.
The attacker's data arrives the normal way: a producer id and a worker id in events."""

import csv
import io
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from services.csvsafe import csv_text, neutral
from services.web.i18n import translate
from tests.e2e.web.attack_server import PASSWORD, serve, write_users
from tests.e2e.web.client import Client
from tests.e2e.web.synth import generate

FORMULA = '=HYPERLINK("http://evil.example/x")'


@pytest.mark.parametrize(("cell", "written"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("\uff1dx", "'\uff1dx"), ("a=1", "a=1"), ("", ""),
    (-3, -3), (-1.5, -1.5), (Decimal("-2.50"), Decimal("-2.50")), (None, ""), (True, "True"),
    # after leading blanks or controls a spreadsheet may skip (attack, 2026-12-05)
    (" =1", "' =1"), ("\x00=1", "'\x00=1"), ("  \x1b@x", "'  \x1b@x"), ("\u00a0+1", "'\u00a0+1"),
    ("\u2003=1", "'\u2003=1"), ("\u3000=1", "'\u3000=1"), ("\ufeff=1", "'\ufeff=1"),
    (" a=1", " a=1"), ("\x00", "\x00"), ("  ", "  "),
])
def test_a_cell_is_neutralised_only_when_it_is_text(cell: object, written: object) -> None:
    assert neutral(cell) == written


def test_quotes_and_separators_are_quoted() -> None:
    text = csv_text(["=h", "b"], [['=a,"b"', -3], ["x\ny", None]])
    assert list(csv.reader(io.StringIO(text))) == [["'=h", "b"], ['\'=a,"b"', "-3"],
                                                   ["x\ny", ""]]


@pytest.fixture(scope="module")
def evil_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("csv")
    events = generate(d / "events.jsonl", clients=120)
    text = re.sub(r'"id": "PAJA-(\d+)"', lambda m: f'"id": "{FORMULA[:-3]}{m.group(1)}\\")"'
                  .replace('"http', '\\"http'), events.read_text(encoding="utf-8"))
    text = text.replace('"worker_id": "w-', '"worker_id": "@w-')
    (d / "evil.jsonl").write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "services.cli", "replay", str(d / "evil.jsonl"),
                    "--db", str(d / "gaps.duckdb"), "--as-of", "2023-04-30", "--quiet"],
                   check=True, capture_output=True)
    return d / "gaps.duckdb"


@pytest.fixture(scope="module")
def evil_server(evil_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    d = tmp_path_factory.mktemp("csv-serve")
    shutil.copy(evil_db, d / "gaps.duckdb")
    with serve(d / "gaps.duckdb", write_users(d / "users.toml")) as url:
        yield url


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def no_formula(rows: list[list[str]]) -> None:
    starts = ("=", "+", "-", "@", "\t", "\r")
    assert not [c for r in rows for c in r if c.startswith(starts)], "a formula got through"


def test_gaps_export_neutralises_a_producer_id(evil_server: str) -> None:
    antti = Client(evil_server)
    antti.sign_in("antti", PASSWORD)
    rows = cells(antti.get("/gaps.csv?format=csv-plain").body)
    col = rows[0].index("producer_id")
    assert any(r[col].startswith("'=HYPERLINK(") for r in rows[1:])
    no_formula(rows)


def test_sql_export_neutralises_text_and_keeps_numbers(evil_server: str) -> None:
    antti = Client(evil_server)
    antti.sign_in("antti", PASSWORD)
    got = antti.sql("SELECT producer_id, subject_id, -3 AS n, '-3' AS s, -1.5 AS f, "
                    "'@x' AS \"=head\" FROM gaps_by_place WHERE producer_id LIKE '=%' "
                    "UNION ALL SELECT DISTINCT '+1', worker_id, -3, '-3', -1.5, '@x' "
                    "FROM (SELECT payload->>'worker_id' AS worker_id FROM events "
                    "WHERE event_type = 'worker.assigned') LIMIT 3", fmt="csv-plain")
    assert got.status == 200, got.body[-500:]
    rows = cells(got.body)
    assert rows[0] == ["producer_id", "subject_id", "n", "s", "f", "'=head"]
    assert rows[1][0].startswith("'=HYPERLINK(") and rows[1][2:5] == ["-3", "'-3", "-1.5"]
    no_formula([r[:2] + r[3:4] + r[5:] for r in rows])


def raw(c: Client, path: str, form: dict[str, str] | None = None) -> bytes:
    data = urllib.parse.urlencode({"_csrf": c.csrf, **form}).encode() if form else None
    req = urllib.request.Request(c.url + path, data=data, headers={"Origin": c.url})
    with c.opener.open(req, timeout=60) as r:
        body: bytes = r.read()
        return body


def xlsx_cells(body: bytes) -> list[Any]:
    ws = load_workbook(io.BytesIO(body)).active
    assert ws is not None
    return [c for row in ws.iter_rows() for c in row]


def no_xlsx_formula(cells: list[Any]) -> None:
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    starts = ("=", "+", "-", "@", "\t", "\r")
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(starts)]


def test_the_peoples_csv_and_the_xlsx_neutralise_a_producer_id(evil_server: str) -> None:
    antti = Client(evil_server)
    antti.sign_in("antti", PASSWORD)
    text = raw(antti, "/gaps.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    col = rows[0].index(translate("producer_id", "fi"))
    assert any(r[col].startswith("'=HYPERLINK(") for r in rows[1:])
    no_formula(rows)
    cells = xlsx_cells(raw(antti, "/gaps.xlsx"))
    assert any(isinstance(c.value, str) and c.value.startswith("'=HYPERLINK(") for c in cells)
    no_xlsx_formula(cells)


def test_sql_xlsx_neutralises_text_and_keeps_numbers(evil_server: str) -> None:
    antti = Client(evil_server)
    antti.sign_in("antti", PASSWORD)
    antti.get("/sql")
    cells = xlsx_cells(raw(antti, "/sql", {
        "format": "xlsx", "query": "SELECT producer_id, -3 AS n, '-3' AS s, -1.5 AS f, "
        "'@x' AS \"=head\" FROM gaps_by_place WHERE producer_id LIKE '=%' LIMIT 2"}))
    assert [c.value for c in cells[:5]] == ["producer_id", "n", "s", "f", "'=head"]
    assert cells[5].value.startswith("'=HYPERLINK(") and [c.value for c in cells[6:9]] == [
        -3, "'-3", -1.5]
    no_xlsx_formula([c for c in cells if not isinstance(c.value, int | float)])


def test_cli_sql_csv_neutralises_text_and_keeps_numbers(evil_db: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "services.cli", "sql", "--db", str(evil_db),
                           "--csv", "SELECT producer_id, -3 AS n FROM gaps_by_place WHERE "
                           "producer_id LIKE '=%' LIMIT 2"],
                          check=True, capture_output=True, text=True)
    rows = cells(done.stdout)
    assert rows[0] == ["producer_id", "n"] and len(rows) == 3
    assert all(r[0].startswith("'=HYPERLINK(") and r[1] == "-3" for r in rows[1:])
