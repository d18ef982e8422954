"""Downloads for the people who open them (issue 13 point 8), over real HTTP against `jatkumo
serve`: the default CSV is `;`-separated UTF-8 with a BOM, Finnish decimals and dates and
Finnish (or Swedish) headers and codes; `?format=csv-plain` is `,` CSV with no BOM, a decimal
point and the relation's names; XLSX (opened here with openpyxl) has numbers as numbers,
dates as dates and hidden counts as their text. Every form carries the same cells."""

import csv
import io
import re
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from services.web.i18n import translate
from services.web.pages.gaps import ROW_COLS, SUMMARY_COLS
from tests.e2e.web.client import Client
from tests.e2e.web.conftest import PASSWORD

BOM = b"\xef\xbb\xbf"


def signed_in(url: str, user: str, lang: str) -> Client:
    c = Client(url)
    c.sign_in(user, PASSWORD)
    c.get(f"/lang/{lang}")  # the language cookie, as the page's language link sets it
    return c


def raw(c: Client, path: str, form: dict[str, str] | None = None) -> tuple[bytes, Any]:
    data = None
    if form is not None:
        data = urllib.parse.urlencode({"_csrf": c.csrf, **form}).encode()
    req = urllib.request.Request(c.url + path, data=data, headers={"Origin": c.url})
    with c.opener.open(req, timeout=60) as r:
        return r.read(), r.headers


def people(body: bytes, sep: str = ";") -> list[list[str]]:
    assert body.startswith(BOM), "Excel reads UTF-8 without a BOM as Windows-1252"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=sep))


def plain(body: bytes) -> list[list[str]]:
    assert not body.startswith(BOM)
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


def workbook(body: bytes) -> list[list[Any]]:
    ws = load_workbook(io.BytesIO(body)).active
    assert ws is not None
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_a_managers_gaps_csv_opens_in_finnish_excel(server: str, lang: str) -> None:
    c = signed_in(server, "maija", lang)
    body, headers = raw(c, "/gaps.csv")
    assert headers["Content-Type"].startswith("text/csv")
    rows = people(body)
    names = ["gaps_col" if col == "gaps" else col for col in SUMMARY_COLS]
    assert rows[0] == [translate(n, lang) for n in names]
    types = {translate(g, lang) for g in ("HANDOFF_MISSING", "SERVICE_BREAK",
                                          "NO_RESPONSIBLE_WORKER", "ATTENDANCE_SILENCE",
                                          "REFERRAL_STALLED")}
    assert {r[0] for r in rows[1:]} <= types and len(rows) > 20
    assert translate("all", lang) in {r[1] for r in rows[1:]}  # '*' in words
    # The same cells as the plain CSV, in the same order: only the words differ.
    machine = plain(raw(c, "/gaps.csv?format=csv-plain")[0])
    assert machine[0] == list(SUMMARY_COLS)
    assert [r[-1] for r in rows[1:]] == [r[-1] for r in machine[1:]]
    assert "<5" in {r[-1] for r in rows[1:]}


def test_an_analysts_gaps_csv_has_finnish_dates_and_words(server: str) -> None:
    c = signed_in(server, "antti", "fi")
    rows = people(raw(c, "/gaps.csv?gap_type=SERVICE_BREAK")[0])
    head = rows[0]
    assert head == [translate(col, "fi") for col in ROW_COLS]
    got = [dict(zip(ROW_COLS, r, strict=True)) for r in rows[1:]]
    assert got and all(r["gap_type"] == "Palvelu katkesi" for r in got)
    assert all(re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", r["started_on"]) for r in got)
    assert {r["is_open"] for r in got} <= {"avoin", "päättynyt"}
    assert all(r["length_days"].isdigit() for r in got)
    machine = plain(raw(c, "/gaps.csv?gap_type=SERVICE_BREAK&format=csv-plain")[0])
    assert machine[0] == list(ROW_COLS) and len(machine) == len(rows)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r[ROW_COLS.index("started_on")])
               for r in machine[1:])
    assert {r[ROW_COLS.index("is_open")] for r in machine[1:]} <= {"True", "False"}


def test_english_csv_keeps_the_comma_and_the_bom(server: str) -> None:
    c = signed_in(server, "maija", "en")
    rows = people(raw(c, "/gaps.csv")[0], sep=",")
    assert rows[0][0] == "Gap type" and rows[0][-1] == "Open gaps"


def test_the_xlsx_has_typed_cells(server: str) -> None:
    c = signed_in(server, "maija", "fi")
    body, headers = raw(c, "/gaps.xlsx")
    assert headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="gaps.xlsx"' in headers["Content-Disposition"]
    rows = workbook(body)
    assert rows[0][0] == "Katkoksen tyyppi" and rows[0][-1] == "Avoimia katkoksia"
    counts = [r[-1] for r in rows[1:]]
    assert any(isinstance(v, int) and v >= 5 for v in counts)  # numbers as numbers
    assert "<5" in counts  # a hidden count as its text
    assert not [v for v in counts if isinstance(v, int) and 1 <= v <= 4]
    analyst = signed_in(server, "antti", "fi")
    rows = workbook(raw(analyst, "/gaps.xlsx?gap_type=SERVICE_BREAK")[0])
    started = rows[0].index("Alkoi")
    assert all(isinstance(r[started], datetime) for r in rows[1:])  # dates as dates
    days = rows[0].index("Kesto (pv)")
    assert all(isinstance(r[days], int) for r in rows[1:])


QUERY = ("SELECT 1234.5::DOUBLE AS x, 1234 AS n, DATE '2024-12-31' AS d, "
         "TIMESTAMPTZ '2024-07-01 11:05:00+00' AS t, 'ä' AS s")


def test_sql_downloads_in_three_forms(server: str) -> None:
    c = signed_in(server, "antti", "fi")
    c.get("/sql")
    fi = people(raw(c, "/sql", {"query": QUERY, "format": "csv"})[0])
    assert fi == [["x", "n", "d", "t", "s"], ["1234,5", "1234", "31.12.2024",
                                               "1.7.2024 14:05:00", "ä"]]
    machine = plain(raw(c, "/sql", {"query": QUERY, "format": "csv-plain"})[0])
    assert machine[1][:3] == ["1234.5", "1234", "2024-12-31"]
    book = workbook(raw(c, "/sql", {"query": QUERY, "format": "xlsx"})[0])
    assert book[0] == ["x", "n", "d", "t", "s"]
    assert book[1][:3] == [1234.5, 1234, datetime(2024, 12, 31)]
    assert book[1][3] == datetime(2024, 7, 1, 14, 5)  # Helsinki's wall clock (EEST)


@pytest.mark.parametrize("fmt", ["csv", "csv-plain", "xlsx"])
def test_an_sql_download_masks_the_identity_codes_its_query_typed(server: str,
                                                                   fmt: str) -> None:
    """The SQL page masked a literal code in its answer, its downloads wrote it as typed
    (2026-12-05): in a value, an alias, a list, a struct and a string built from parts. Other
    values keep their types (a number stays a number in the XLSX)."""
    c = signed_in(server, "antti", "fi")
    query = ("SELECT '010203A912E' AS \"131052-308T\", ['x 010203A912E'] AS l, "
             "{'a': '0102' || '03A912E'} AS s, 'Oulu' AS place, 42 AS n, "
             "'d6f1d1c6-2f3a-4b55-9c1e-0b1f6f0f9a11' AS u")
    body, _ = raw(c, "/sql", {"query": query, "format": fmt})
    rows = (workbook(body) if fmt == "xlsx" else
            people(body) if fmt == "csv" else plain(body))
    text = repr(rows)
    assert "912E" not in text and "308T" not in text, rows
    assert rows[0][0] == "******-****" and rows[1][0] == "******-****", rows
    assert "******-****" in str(rows[1][1]) and "******-****" in str(rows[1][2]), rows
    assert rows[1][3] == "Oulu" and rows[1][4] in (42, "42")
    assert rows[1][5] == "d6f1d1c6-2f3a-4b55-9c1e-0b1f6f0f9a11"
