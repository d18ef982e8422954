"""`jatkumo import` given hostile or careless input (attack, 2026-12-04): every mistake is one
usage error (exit 2) that says what to do, never a traceback, and no existing file is lost."""

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
