"""The replay's summary and every CSV against hostile text (attack, 2026-12-04): rich markup
and terminal control sequences in a dead letter's reason or a handoff's name are printed
literally and visibly; a summary that cannot be shown says the relations were written; a
formula trigger after a separator inside a cell is neutralised, for whichever separator a
spreadsheet splits the line by."""

import csv
import io
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from schemas.errors import JatkumoError
from schemas.types import readable
from services.csvsafe import TRIGGERS, csv_line, csv_text, neutral, quoted
from services.replay import ReplayReport
from services.shown import shown_text as text
from services.summary import print_summary
from streams.core.rules import Handoff
from tests import helpers as h

HOSTILE = ["[/x]", "[bold red]RED", "[link=http://evil]click[/link]",
           "\x1b]0;TITLE\x07\x1b[31mred", "nul\x00here", "\u202eevil", "a\r\nb"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("summary")
    h.replay_db(tmp, [h.attendance("k1", "2024-05-06")], name="gaps")
    return tmp / "gaps.duckdb"


def _report() -> ReplayReport:
    reasons = Counter({f"payload.{key}: Extra inputs are not permitted": 1 for key in HOSTILE})
    return ReplayReport(lines=8, taken=1, dead_letters=reasons, clients=1,
                        as_of=date(2024, 5, 6))


def _printed(db: Path, handoffs: list[Handoff] | None = None) -> str:
    out = io.StringIO()
    console = Console(file=out, width=300, force_terminal=False, color_system=None)
    print_summary(_report(), str(db), console, handoffs or [])
    return out.getvalue()


def test_reasons_are_printed_literally_and_visibly(db: Path) -> None:
    printed = _printed(db)
    for shown in ("payload.[/x]:", "payload.[bold red]RED:",
                  "payload.[link=http://evil]click[/link]:",
                  "payload.\\x1b]0;TITLE\\x07\\x1b[31mred:", "payload.nul\\x00here:",
                  "payload.\\u202eevil:", "payload.a\\x0d\\x0ab:"):
        assert shown in printed, shown
    assert not any(c in printed for c in "\x1b\x00\x07\u202e\r")


def test_a_terminal_gets_no_link_and_no_sequence_from_a_reason(db: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=300, force_terminal=True, color_system="truecolor")
    print_summary(_report(), str(db), console, [])
    printed = out.getvalue()
    assert "\x1b]8;" not in printed  # a hyperlink (OSC 8) made from [link=...]
    assert "\x1b]0;" not in printed and "\x07" not in printed
    assert "[link=http://evil]click[/link]" in printed


def test_a_handoffs_name_and_the_files_path_are_text_too(db: Path, tmp_path: Path) -> None:
    weird = tmp_path / "x[b]y[i]\x1b[31m.duckdb"
    weird.write_bytes(db.read_bytes())
    handoff = Handoff(name="[/h]\x1b[2J", services=frozenset({"KTT"}), from_kind="municipality",
                      to_kind="wellbeing_area", date=date(2023, 1, 1))
    printed = _printed(weird, [handoff])
    assert "[/h]\\x1b[2J" in printed and "\x1b" not in printed
    assert f"Relations written to {tmp_path}/x[b]y[i]\\x1b[31m.duckdb." in printed


def test_a_summary_that_cannot_be_shown_says_the_relations_were_written(tmp_path: Path
                                                                         ) -> None:
    with pytest.raises(JatkumoError, match=r"relations were written to .*missing\.duckdb"):
        _printed(tmp_path / "missing.duckdb")


def test_text_is_literal_visible_and_masked() -> None:
    assert text("[b]x\x1b").plain == "[b]x\\x1b"
    assert text("131052-308T").plain == "******-****"


def test_readable() -> None:
    assert readable("ev\udcff.jsonl") == "ev\\xff.jsonl"
    assert readable("a\u2028b\U000e0041\x85") == "a\\u2028b\\U000e0041\\x85"
    assert readable("Ääkkönen x\u00a0y") == "Ääkkönen x\u00a0y"
    assert readable("K-1\x00 \u202eevil") == "K-1\\x00 \\u202eevil"


# M1: a trigger after ',' ';' a tab or a line break inside a cell
@pytest.mark.parametrize(("cell", "written"), [
    ("x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"),
    ("x,=1+1", "x,'=1+1"), ("x\t=1", "x\t'=1"), ("x;+1", "x;'+1"), ("x;-1", "x;'-1"),
    ("x;@SUM(1)", "x;'@SUM(1)"), ("x;\uff1d1", "x;'\uff1d1"), ("x;\t=1", "x;\t'=1"),
    ("a\n=1", "a\n'=1"), ("a\r\n-1", "a\r\n'-1"), ("a;=1;=2", "a;'=1;'=2"),
    ("a;b", "a;b"), ("-1,5", "'-1,5"), ("1,-5", "1,'-5"), ("a\r\nb", "a\r\nb"), ("x=1", "x=1"),
])
def test_a_trigger_after_a_separator_inside_a_cell_gets_a_quote(cell: str, written: str
                                                                 ) -> None:
    for delimiter in (",", ";"):
        back = next(csv.reader(io.StringIO(quoted(neutral(cell), delimiter), newline=""),
                               delimiter=delimiter))
        assert back == [written]


def _split_any_way(line: str) -> list[str]:
    """The cells a spreadsheet sees when it splits a line by another separator than it was
    written with, taking no quote as one (none opens a cell there)."""
    cells = [line]
    for separator in (",", ";", "\t"):
        cells = [part for c in cells for part in c.split(separator)]
    return cells


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_no_cell_of_a_csv_starts_with_a_trigger_however_it_is_split(delimiter: str) -> None:
    cells = ["x;=cmd|' /C calc'!A0", "x,=1+1", "a\t@SUM(1)", "b\n+1", "p;\uff0d1", "=1",
             'q";=1', "ok", -3]
    lines = [csv_line([neutral(c) for c in cells], delimiter)]
    lines += csv_text(["h"], [[c] for c in cells]).splitlines()
    for line in lines:
        for piece in line.splitlines():
            for cell in _split_any_way(piece):
                cell = cell.lstrip('"')
                assert not cell.startswith(TRIGGERS) or cell == "-3", (line, cell)


def test_leading_blanks_are_every_character_that_shows_nothing() -> None:
    """The written-out ranges are every Zs, Zl, Zp, Cf and control but tab, CR, LF of this
    Python's Unicode, so no invisible character before `=` leaves a formula (a hunt,
    2026-12-06: a left-to-right mark, a soft hyphen, a Hangul filler did)."""
    import unicodedata

    from services.csvsafe import LEADING, formula

    expected = {chr(c) for c in range(0x110000)
                if unicodedata.category(chr(c)) in ("Zs", "Zl", "Zp", "Cf")
                or (unicodedata.category(chr(c)) == "Cc" and chr(c) not in "\t\r\n")}
    assert expected <= set(LEADING)
    for c in "\u200e\u200f\u061c\u00ad\u2061\u034f\u3164\u2800\ufeff\U000e0041\u2065\ufff0":
        assert formula(f"{c}=1+1") and neutral(f"{c}{c}=1+1").startswith("'"), hex(ord(c))
    assert not formula("a=1") and not formula("\u00e4=1")


def test_the_exports_arrow_path_neutralises_what_neutral_does() -> None:
    """services/web/export.py computes neutral() with Arrow over whole columns (gaps.csv): the
    same cells get the quote, invisible leaders included."""
    import pyarrow as pa

    from services.web.export import _text_cells

    cells = [f"{c}=1+1" for c in "\u200e\u200f\u061c\u00ad\u2061\u034f\u3164\u2800\ufeff "]
    cells += ["\U000e0041@x", "a=1", "\u00e4+1"]
    got = _text_cells(pa.array(cells), ";").to_pylist()
    assert got == [neutral(c) for c in cells]
