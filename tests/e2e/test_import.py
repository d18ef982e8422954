"""`jatkumo import`: register exports as events, through a subprocess and then replay. The
exports are written the way Finnish spreadsheets write them: `;`, Windows-1252 or UTF-8 with a
BOM, dates 31.12.2024; every bad row is named by its line; a second import adds nothing."""

import json
import uuid
from pathlib import Path

import duckdb
import pytest

from tests.e2e.test_cli import cli

MAPPING = """
[attendance]
client_id = "Asiakas"
date = "Päivä"
present = "Läsnä"
empty_is_absent = true

[contracts]
client_hetu = "Henkilötunnus"
contract_id = "Sopimus"
service = "Palvelu"
producer_id = "Tuottaja"
producer_kind = "Tuottajatyyppi"
producer_municipality = "Kunta"
start_date = "Alkaa"
end_date = "Päättyi"
end_reason = "Syy"
[contracts.constants]
organizer = "municipality:564"
"""


def _files(tmp: Path) -> tuple[Path, Path, Path]:
    mapping = tmp / "map.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    attendance = tmp / "läsnäolot.csv"
    attendance.write_bytes(("Asiakas;Päivä;Läsnä\r\n"
                            "c1;2.1.2023;x\r\n"
                            "c1;3.1.2023;\r\n"
                            "\r\n"
                            "c1;31.2.2023;x\r\n"  # line 5: no such day
                            "c1;4.1.2023;ehkä\r\n"  # line 6: neither yes nor no
                            "c9;4.1.2023;x\r\n"  # line 7: no contract on the map
                            "c1;5.1.2023;kyllä\r\n").encode("cp1252"))
    contracts = tmp / "contracts.csv"
    contracts.write_text("client_id,contract_id,start_date,end_date\n"
                         "c1,k1,2022-09-01,\n", encoding="utf-8")
    return mapping, attendance, contracts


def test_an_attendance_export_becomes_events_and_a_second_import_adds_nothing(
        tmp_path: Path) -> None:
    mapping, attendance, contracts = _files(tmp_path)
    out = tmp_path / "events.jsonl"
    args = ["import", "attendance", str(attendance), "--mapping", str(mapping), "--source",
            "workshop:PAJA-1", "--contract-map", str(contracts)]
    done = cli(*args, "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    events = [json.loads(x) for x in lines]
    assert [(e["payload"]["date"], e["payload"]["present"], e["payload"]["contract_id"])
            for e in events] == [("2023-01-02", True, "k1"), ("2023-01-03", False, "k1"),
                                 ("2023-01-05", True, "k1")]
    assert "windows-1252" in done.stderr and "3 events written, 3 bad rows" in done.stderr
    for line, words in ((5, "not a day of the calendar"), (6, "not yes or no"),
                        (7, "no contract")):
        assert f"{attendance}:{line}: " in done.stderr and words in done.stderr
    again = cli(*args, "--out", str(tmp_path / "again.jsonl"))
    assert again.returncode == 0
    assert (tmp_path / "again.jsonl").read_text().splitlines() == lines
    both = tmp_path / "both.jsonl"
    both.write_text("\n".join(lines + lines) + "\n")
    db = tmp_path / "x.duckdb"
    assert cli("replay", str(both), "--db", str(db), "--quiet").returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (3,)
    con.close()
    # a contract map with both client columns: which one is not guessed (client_hetu was)
    contracts.write_text("client_id,client_hetu,contract_id,start_date,end_date\n"
                         "c1,131052-308T,k1,2022-09-01,\n", encoding="utf-8")
    refused = cli(*args, "--out", str(tmp_path / "third.jsonl"))
    assert refused.returncode == 2 and "both client_id and client_hetu" in refused.stderr
    assert "131052-308T" not in refused.stderr


def test_a_contract_register_with_identity_codes_becomes_pseudonymised_events(
        tmp_path: Path) -> None:
    mapping, _, _ = _files(tmp_path)
    export = tmp_path / "sopimukset.csv"
    export.write_bytes("\ufeffHenkilötunnus;Sopimus;Palvelu;Tuottaja;Tuottajatyyppi;Kunta;Alkaa;"
                       "Päättyi;Syy\n"
                       "131052-308T;k1;KTT;PAJA-1;municipal;564;1.9.2022;31.3.2023;completed\n"
                       "131052-308T;k2;KTT;PAJA-1;municipal;999;1.9.2022;;\n"
                       .encode("utf-8"))
    out = tmp_path / "events.jsonl"
    done = cli("import", "contracts", str(export), "--mapping", str(mapping), "--source",
               "register:oulu", "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "131052-308T" not in text and "131052-308T" not in done.stderr
    events = [json.loads(x) for x in text.splitlines()]
    assert [e["event_type"] for e in events] == ["contract.signed", "contract.ended"]
    assert {e["client_id"] for e in events} == {events[0]["client_id"]}
    assert events[0]["client_id"].startswith("p:")
    assert f"{export}:3: " in done.stderr and "municipality" in done.stderr  # 999: unknown
    # The event ids are the same on every import, and none can be tried against codes: made
    # from the code with an unkeyed hash, they gave it back (a hunt, 2026-12-06)
    again = tmp_path / "again.jsonl"
    assert cli("import", "contracts", str(export), "--mapping", str(mapping), "--source",
               "register:oulu", "--out", str(again)).returncode == 0
    assert again.read_text() == text
    from services.importer.build import NAMESPACE
    from streams.core.event_ids import canonical
    for e in events:
        unkeyed = {k: v for k, v in e.items() if k not in ("event_id", "client_id")}
        for form in ({**unkeyed, "client_hetu": "131052-308T"}, unkeyed):
            assert e["event_id"] != str(uuid.uuid5(NAMESPACE, canonical(form)))
    db = tmp_path / "x.duckdb"
    assert cli("replay", str(out), "--db", str(db), "--quiet").returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT contract_id, last_day::VARCHAR, end_reason FROM contracts"
                       ).fetchall() == [("k1", "2023-03-31", "completed")]
    con.close()


def test_a_mapping_that_misses_a_column_is_a_usage_error_that_names_it(tmp_path: Path) -> None:
    export = tmp_path / "a.csv"
    export.write_text("client_id,day,present\nc1,2023-01-02,1\n")
    done = cli("import", "attendance", str(export), "--source", "s", "--out",
               str(tmp_path / "o.jsonl"))
    assert done.returncode == 2
    assert "date" in done.stderr and "--mapping" in done.stderr
    same = cli("import", "attendance", str(export), "--source", "s", "--out", str(export))
    assert same.returncode == 2 and "the export and --out name the same file" in same.stderr


@pytest.mark.parametrize("clash", [("--errors", "export"), ("--out", "mapping"),
                                   ("--out", "contract-map"), ("--errors", "--out")])
def test_no_file_of_an_import_is_written_over_another_one(tmp_path: Path,
                                                         clash: tuple[str, str]) -> None:
    """Attack (2026-12-04): --errors naming the export emptied it, exit 0; --out naming the
    mapping or the contract map emptied it before it was read."""
    export = tmp_path / "a.csv"
    export.write_text("client_id;contract_id;date;present\nc1;k1;2.1.2023;1\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text("[attendance]\n")
    contracts = tmp_path / "c.csv"
    contracts.write_text("client_id,contract_id,start_date,end_date\nc1,k1,2023-01-01,\n")
    out, errors = tmp_path / "o.jsonl", tmp_path / "e.txt"
    target = {"export": export, "mapping": mapping, "contract-map": contracts,
              "--out": out}[clash[1]]
    files = {"--out": out, "--errors": errors, clash[0]: target}
    before = {p: p.read_bytes() for p in (export, mapping, contracts)}
    done = cli("import", "attendance", str(export), "--source", "s", "--mapping", str(mapping),
               "--contract-map", str(contracts), *(x for k, v in files.items()
                                                   for x in (k, str(v))))
    assert done.returncode == 2 and "name the same file" in done.stderr, done.stderr
    assert {p: p.read_bytes() for p in before} == before
    assert not errors.exists() or clash[0] != "--errors"


def test_an_import_checks_every_file_to_write_before_writing_any(tmp_path: Path) -> None:
    export = tmp_path / "a.csv"
    export.write_text("client_id;contract_id;date;present\nc1;k1;2.1.2023;1\n")
    out = tmp_path / "o.jsonl"
    for errors, says in ((tmp_path, "is a folder"), (tmp_path / "no" / "e.txt", "does not exist"),
                         (tmp_path / ("x" * 300), "give another file name")):
        done = cli("import", "attendance", str(export), "--source", "s", "--out", str(out),
                   "--errors", str(errors))
        assert done.returncode == 2 and says in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and not out.exists()


def test_a_cell_too_large_for_any_export_is_a_usage_error(tmp_path: Path) -> None:
    huge = tmp_path / "huge.csv"
    huge.write_text("client_id;contract_id;date;present\nc1;" + "A" * 200_000 + ";1.2.2024;k\n")
    done = cli("import", "attendance", str(huge), "--source", "s", "--out", "-")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"{huge}:2:" in done.stderr


@pytest.mark.parametrize(("data", "words"), [
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "old Excel workbook (.xls)"),
    ("client_id;date\nc1;1.2.2024\n".encode("utf-16"), "UTF-16 text"),
    ("client_id;date\nc1;1.2.2024\n".encode("utf-16-le"), "UTF-16 text"),
], ids=["xlsx", "xls", "utf-16", "utf-16-le"])
def test_a_workbook_or_utf16_file_is_named_as_such(tmp_path: Path, data: bytes,
                                                   words: str) -> None:
    """Review (2026-12-04): these got the generic "is this a CSV export?" or a bad-row list."""
    export = tmp_path / "export.csv"
    export.write_bytes(data)
    done = cli("import", "attendance", str(export), "--source", "s", "--out", "-")
    assert done.returncode == 2 and words in done.stderr and "CSV UTF-8" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_nul_byte_in_a_cell_is_refused_with_its_line(tmp_path: Path) -> None:
    """Review (2026-12-04): a NUL inside a cell went into the events as it was."""
    export = tmp_path / "export.csv"
    export.write_bytes(b"client_id;contract_id;date;present\nc1;k1;1.2.2024;k\n"
                       b"c1;k\x001;2.2.2024;k\n")
    done = cli("import", "attendance", str(export), "--source", "s", "--out", "-")
    assert done.returncode == 2 and f"{export}:3: a NUL byte" in done.stderr, done.stderr
    assert done.stdout == ""
