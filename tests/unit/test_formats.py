"""Finnish formats (services/web/formats.py), the catalogue's completeness and the export
module's cells, without a server."""

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import get_args

import jinja2
import pyarrow as pa
import pytest
from openpyxl import load_workbook

from schemas.events import EVENT_TYPES
from schemas.types import EndReason, ProducerKind, ReferralTarget
from services.csvsafe import neutral
from services.web import formats
from services.web.export import Table, csv_people, csv_plain, xlsx
from services.web.formats import day, month, num, pct, when
from services.web.i18n import _T, LANGS, translate
from services.web.pages.sql import failure, reason, relation_names


@pytest.mark.parametrize(("lang", "text"), [("fi", "31.12.2024"), ("sv", "31.12.2024"),
                                            ("en", "31/12/2024")])
def test_a_day_is_written_as_in_finland(lang: str, text: str) -> None:
    assert day(date(2024, 12, 31), lang) == text
    assert day("2024-12-31", lang) == text
    assert day(None, lang) == "" and day("..", lang) == ".."


def test_numbers_have_a_decimal_comma_and_thin_thousands() -> None:
    assert num(1234567, "fi") == "1\u00a0234\u00a0567"
    assert num(12.5, "sv") == "12,5"
    assert num(Decimal("3.14159"), "fi", 2) == "3,14"
    assert num("1234", "fi") == "1\u00a0234"  # a published count arrives as text
    assert num("<5", "fi") == "<5" and num("..", "fi") == ".." and num(None, "fi") == "–"
    assert pct(85.26, "fi") == "85,3\u00a0%" and pct(None, "fi") == "–"


def test_a_moment_is_on_helsinkis_clock_with_the_zone() -> None:
    winter = datetime(2024, 1, 5, 12, 5, tzinfo=UTC)
    summer = datetime(2024, 7, 5, 11, 5, tzinfo=UTC)
    assert when(winter, "fi") == "5.1.2024 klo 14.05 EET"
    assert when(summer, "fi") == "5.7.2024 klo 14.05 EEST"
    assert when(winter, "sv") == "5.1.2024 kl. 14.05 EET"
    assert when(datetime(2024, 1, 5, 12, 5), "fi") == "5.1.2024 klo 14.05 EET"  # naive = UTC
    assert when(None, "fi") == ""


def test_a_month_is_named() -> None:
    assert month("2023-01", "fi") == "tammikuu 2023"
    assert month("2023-01", "sv") == "januari 2023"
    assert month("?", "fi") == "?"


def test_filters_write_in_the_pages_language_even_inside_an_imported_macro() -> None:
    env = formats.install(jinja2.Environment(loader=jinja2.DictLoader({
        "m.html": "{% macro n(v) %}{{ v|num }}{% endmacro %}",
        "p.html": "{% from 'm.html' import n %}{{ n(x) }} {{ d|date }} {{ t|when }}"})))
    page = env.get_template("p.html")
    values = {"x": 1234.5, "d": date(2024, 12, 31), "t": datetime(2024, 1, 5, 12, 5, tzinfo=UTC)}
    with formats.speaking("fi"):
        assert page.render(**values) == "1\u00a0234,5 31.12.2024 5.1.2024 klo 14.05 EET"
    with formats.speaking("en"):  # English as written in Finland (CLDR en_FI)
        assert page.render(**values) == "1\u00a0234,5 31/12/2024 05/01/2024 14.05 EET"


def test_every_key_has_all_three_languages_and_the_same_placeholders() -> None:
    for key, entry in _T.items():
        assert len(entry) == len(LANGS) and all(e.strip() for e in entry), key
        holes = {tuple(sorted(re.findall(r"\{\w\}", e))) for e in entry}
        assert len(holes) == 1, key
        assert entry[0].count("`") % 2 == 0 and len({e.count("`") for e in entry}) == 1, key


def test_every_code_the_pages_show_has_words() -> None:
    keys = ([f"event_{e}" for e in EVENT_TYPES] + [f"end_{r}" for r in get_args(EndReason)]
            + [f"target_{t}" for t in get_args(ReferralTarget)] + list(get_args(ProducerKind))
            + [f"rel_{name}" for name in relation_names()]
            + [f"log_{a}" for a in ("view", "query", "export", "acknowledge", "silence",
                                    "sign_in")]
            + [f"outcome_{o}" for o in ("ok", "forbidden", "refused", "locked", "busy",
                                        "timeout", "error", "unknown",
                                        "alertmanager_unreachable")])
    missing = [k for k in keys if k not in _T]
    assert not missing, missing


def test_the_swedish_terms_are_the_ones_used_in_finland() -> None:
    sv = " ".join(translate(k, "sv") for k in _T)
    assert "ansvarig socialarbetare" in sv.lower() and "välfärdsområde" in sv
    assert "arbetsverksamhet i rehabiliteringssyfte" in sv and "social rehabilitering" in sv
    assert not re.search(r"ansvariga? arbetare", sv.lower())


def test_a_refusal_is_said_in_words_and_keeps_what_it_names() -> None:
    assert reason("COPY is not allowed: this page only reads") == ("refuse_word", "COPY")
    assert reason("read_csv() reads files or runs other SQL; query the relations") == (
        "refuse_files", "read_csv")
    assert reason("the query is empty") == ("refuse_empty", None)
    assert reason("something new") == ("refuse_other", "something new")


ROWS = Table(["gap_type", "n", "share", "on", "note"], ["Tyyppi", "Määrä", "Osuus", "Päivä",
                                                         "Huom"],
             [["SERVICE_BREAK", "12", 0.5, date(2024, 12, 31), "=HYPERLINK(\"x\")"],
              ["SERVICE_BREAK", "<5", None, None, "@SUM(A1)"]],
             lambda name, v: translate(v, "fi") if name == "gap_type" else v,
             frozenset({"n"}))


def test_the_export_forms_of_one_table() -> None:
    people = csv_people(ROWS, "fi").decode("utf-8")
    assert people.startswith("\ufeffTyyppi;Määrä;Osuus;Päivä;Huom\r\n")
    assert "Palvelu katkesi;12;0,5;31.12.2024;\"'=HYPERLINK(\"\"x\"\")\"\r\n" in people
    assert people.endswith("Palvelu katkesi;<5;;;'@SUM(A1)\r\n")
    plain = csv_plain(ROWS).decode("utf-8")
    assert plain.startswith("gap_type,n,share,on,note\nSERVICE_BREAK,12,0.5,2024-12-31,")
    ws = load_workbook(io.BytesIO(xlsx(ROWS, "Katkokset"))).active
    assert ws is not None and ws.title == "Katkokset"
    assert [c.value for c in ws[2]] == ["Palvelu katkesi", 12, 0.5, datetime(2024, 12, 31),
                                        "'=HYPERLINK(\"x\")"]
    assert [c.data_type for c in ws[2]][-1] == "s"  # a string, not a formula
    assert [c.value for c in ws[3]][:2] == ["Palvelu katkesi", "<5"]
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_a_failed_query_leads_in_words_and_keeps_duckdbs_message() -> None:
    assert failure("Binder Error: column x not found") == {
        "error": "sql_failed", "detail": "Binder Error: column x not found"}
    assert failure("the query stopped without an answer: it needed more memory or CPU than "
                   "an analyst query may use (exit -9)") == {"error": "sql_killed",
                                                             "detail": "exit -9"}
    assert failure("the answer is over 256 MiB: select fewer columns or rows")["error"] == (
        "sql_too_big")
    from services.web.sqlproc import OUT_OF_MEMORY
    assert failure(OUT_OF_MEMORY) == {"error": "sql_memory", "detail": None}


def test_each_cell_is_formatted_as_its_own_type_in_any_column() -> None:
    """Columns are formatted a distinct value at a time: a column of one type (empty cells
    aside) by a lookup, a mixed one value by value, so True and 1 (equal as keys) and a
    formula-like text keep their own forms wherever they stand."""
    rows = [[True, date(2024, 1, 2), "=1+1", 1.5],
            [1, None, "x", Decimal("2.5")],
            [None, date(2024, 1, 2), "x", 1.5],
            [False, date(2023, 12, 31), "-2", 0.0]]
    table = Table(["a", "b", "c", "d"], ["a", "b", "c", "d"], rows)
    lines = csv_people(table, "fi").decode("utf-8").lstrip("\ufeff").split("\r\n")
    assert lines[1:5] == ["True;2.1.2024;'=1+1;1,5", "1;;x;2,5", ";2.1.2024;x;1,5",
                          "False;31.12.2023;'-2;0,0"]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_a_download_of_columns_is_the_same_bytes_as_of_rows(lang: str) -> None:
    """A row role's download is written from Arrow columns (export.csv_people_columns); it
    must be byte for byte the csv module's people's CSV of the same rows: quoting of
    separators, quotes and line breaks, formula triggers, empty cells, codes in words,
    published counts, decimals, dates and booleans."""
    names = ["client_ref", "gap_type", "n", "share", "on", "open", "note"]
    rows = [["r1", "SERVICE_BREAK", "12", 0.5, date(2024, 12, 31), True, "a;b"],
            ["r2", "HANDOFF_MISSING", "<5", None, None, False, 'say "hi"'],
            ["r1", None, "..", 2.25, date(2023, 1, 1), None, "line\nbreak"],
            ["r3", "SERVICE_BREAK", "7", 1.0, date(2024, 12, 31), True, "=cmd|x"],
            ["r4", "SERVICE_BREAK", "0", 3.5, date(2022, 6, 5), False, "-1,5"],
            ["r5", "SERVICE_BREAK", "3", 0.0, date(2022, 6, 5), True, "\uff1dSUM"],
            ["r6", "SERVICE_BREAK", "3", 0.0, date(2022, 6, 5), True, ""],
            ["r7", "SERVICE_BREAK", "3", 0.0, date(2022, 6, 5), True, "a\rb"],
            ["r8", "SERVICE_BREAK", "3", 0.0, date(2022, 6, 5), True, "a\r"],
            ["r9", "SERVICE_BREAK", "3", 0.0, date(2022, 6, 5), True, "a\x00b"]]
    def words(name: str, v: object) -> object:
        if name == "gap_type" and v:
            return translate(str(v), lang)
        if name == "open":
            return translate("open" if v else "closed", lang)
        return v
    headers = [f"{n};\"x\"" if n == "note" else n for n in names]
    data = pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows])
    by_rows = csv_people(Table(names, headers, rows, words, frozenset({"n"})), lang)
    by_columns = csv_people(Table(names, headers, [], words, frozenset({"n"}), data), lang)
    # the text columns written by Arrow's own expressions (references, notes) the same
    assert csv_people(Table(names, headers, [], words, frozenset({"n"}), data,
                            frozenset({"client_ref", "note"})), lang) == by_rows
    assert by_columns == by_rows
    plain_rows = csv_plain(Table(names, headers, rows))
    assert csv_plain(Table(names, headers, [], data=data)) == plain_rows
    # and every reader reads each form back as the rows it was written from (a lone carriage
    # return, which the csv module left unquoted under "\n", split a row)
    people = list(csv.reader(io.StringIO(by_rows.decode("utf-8-sig"), newline=""),
                             delimiter=";" if lang in ("fi", "sv") else ","))
    plain = list(csv.reader(io.StringIO(plain_rows.decode("utf-8"), newline="")))
    assert len(people) == len(plain) == len(rows) + 1
    assert [r[-1] for r in plain[1:]] == [r[-1] for r in people[1:]] == [
        neutral(r[-1]) for r in rows]
    assert csv_people(Table(names, headers, [], words, data=data.slice(0, 0)), lang) == (
        csv_people(Table(names, headers, [], words), lang))
    one = [["x"], [""], [None]]
    assert csv_people(Table(["a"], ["a"], [], data=pa.table({"a": [r[0] for r in one]})),
                      lang) == csv_people(Table(["a"], ["a"], one), lang)


def test_a_column_arrow_cannot_look_up_takes_the_row_path() -> None:
    """Lists, structs and intervals (an analyst's SQL can make them) are written value by
    value, the same as rows; a table given both rows and columns is refused."""
    data = pa.table({"xs": [[1, 2], None], "s": [{"a": 1}, {"a": 2}]})
    rows = [[[1, 2], {"a": 1}], [None, {"a": 2}]]
    assert csv_people(Table(["xs", "s"], ["xs", "s"], [], data=data), "fi") == csv_people(
        Table(["xs", "s"], ["xs", "s"], rows), "fi")
    assert csv_plain(Table(["xs", "s"], ["xs", "s"], [], data=data)) == csv_plain(
        Table(["xs", "s"], ["xs", "s"], rows))
    with pytest.raises(ValueError, match="not both"):
        Table(["xs", "s"], ["xs", "s"], rows, data=data)
    with pytest.raises(ValueError, match="under the names"):  # never a column misnamed
        csv_people(Table(["client_ref", "n"], ["a", "b"], [],
                         data=pa.table({"client_id": ["p:1"], "n": [1]})), "fi")


def test_an_exports_day_is_babels_day() -> None:
    """The export writes Finnish and Swedish days without Babel (a national file has
    thousands of distinct days): the same text as Babel's, every day of ten years."""
    from datetime import timedelta

    from services.web.export import _day
    first = date(2018, 1, 1)
    for n in range(0, 3700, 1):
        d = first + timedelta(days=n)
        for lang in ("fi", "sv"):
            assert _day(d, lang) == day(d, lang), (d, lang)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_an_analysts_answer_written_from_arrow_equals_the_rows(lang: str) -> None:
    """The SQL page's downloads are written from the answer's Arrow columns, every column
    verbatim (integers by Arrow too), in batches and slices as the query's process sends
    them: the same bytes as the row path, in every form."""
    names = ["n", "t", "x", "on"]
    batch = pa.table({"n": pa.array([1, -2, None, 2**40, 5], pa.int64()),
                      # a formula after an inner separator too (attack, 2026-12-04), and after
                      # leading blanks and controls (2026-12-05)
                      "t": ["=1+1", "a,b;=cmd|' /C calc'!A0", None, "x;+1\n@y\t-z",
                            " \x00=1"],
                      "x": [1.5, None, -0.25, 3.0, 0.0],
                      "on": [date(2024, 1, 2), None, date(2023, 12, 31), date(2022, 1, 1),
                             None]})
    data = pa.Table.from_batches([*batch.to_batches(), *batch.slice(1, 2).to_batches()])
    rows = [tuple(r.values()) for r in data.to_pylist()]
    arrow = Table(names, names, [], data=data, verbatim=frozenset(names))
    assert csv_plain(arrow) == csv_plain(Table(names, names, rows))
    assert csv_people(arrow, lang) == csv_people(Table(names, names, rows), lang)
