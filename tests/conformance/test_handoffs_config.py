"""SPEC.md 4.1: handoffs as configuration. Two handoffs: the 2023 one and KTT back to the
municipalities on 2027-01-01; every status in both directions at C_H + G_H and a day later, two
handoffs of one contract in sequence, services in no handoff, and the compliance rule."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from schemas.errors import ConfigError
from services.config import read_handoffs
from streams.core.rules import Handoff, Rules
from tests.helpers import OULU, WBA, assigned, ended, gaps_of, signed, transferred, write_jsonl

from .conftest import Replay

D = date.fromisoformat
H2023 = Handoff("2023", frozenset({"KTT", "SOSKU"}), "municipality", "wellbeing_area",
                D("2023-01-01"), 14)
BACK = Handoff("ktt-back", frozenset({"KTT"}), "wellbeing_area", "municipality",
               D("2027-01-01"), 14)
TWO = Rules(configured_handoffs=(H2023, BACK))
A = "2027-03-31"
IN_WBA = {"organizer": WBA, "kind": "wellbeing_area", "producer_municipality": "139"}


def rows(rel: Replay, events: list[dict[str, object]], rules: Rules = TWO, as_of: str = A
         ) -> list[tuple[object, ...]]:
    """(handoff, contract, municipality, status, transferred_on) of handoff_status."""
    got = rel(events, as_of, rules=rules)["handoff_status_41"]
    return sorted((r[0], r[1], r[4], r[6], r[7]) for r in got)


@pytest.mark.parametrize(("on", "status"), [("2027-01-15", "transferred"),
                                            ("2027-01-16", "transferred_late")])
def test_ktt_back_to_a_municipality_is_on_time_by_c_plus_g_and_late_a_day_after(
        rel: Replay, on: str, status: str) -> None:
    evs = [signed("k1", "2025-06-01", **IN_WBA), transferred("k1", on, frm=WBA, to=OULU)]
    assert rows(rel, evs) == [("ktt-back", "k1", "139", status, D(on))]


@pytest.mark.parametrize(("on", "status"), [("2023-01-15", "transferred"),
                                            ("2023-01-16", "transferred_late")])
def test_the_2023_handoff_in_a_configured_list_is_on_time_by_c_plus_g_and_late_a_day_after(
        rel: Replay, on: str, status: str) -> None:
    evs = [signed("k1", "2022-09-01", planned_end="2026-06-30"), transferred("k1", on)]
    assert rows(rel, evs) == [("2023", "k1", "564", status, D(on))]


def test_ktt_back_ended_untransferred_and_pending(rel: Replay) -> None:
    evs = [signed("k1", "2025-06-01", **IN_WBA), ended("k1", "2027-02-28"),
           signed("k2", "2025-06-01", **IN_WBA)]
    assert rows(rel, evs) == [("ktt-back", "k1", "139", "ended_untransferred", None),
                              ("ktt-back", "k2", "139", "pending", None)]


def test_a_transfer_in_the_wrong_direction_does_not_count_for_ktt_back(rel: Replay) -> None:
    evs = [signed("k1", "2025-06-01", **IN_WBA),
           transferred("k1", "2027-01-05", frm=WBA, to="wellbeing_area:other")]
    assert rows(rel, evs) == [("ktt-back", "k1", "139", "pending", None)]


def test_two_handoffs_of_one_contract_in_sequence_give_two_rows_and_no_gap(rel: Replay) -> None:
    evs = [signed("k1", "2022-09-01"), transferred("k1", "2023-01-10"),
           transferred("k1", "2027-01-10", frm=WBA, to=OULU),
           assigned("w1", OULU, "2022-09-01"), assigned("w2", WBA, "2023-01-10"),
           assigned("w3", OULU, "2027-01-10")]
    got = rel(evs, A, rules=TWO)
    assert sorted((r[0], r[6], r[7]) for r in got["handoff_status_41"]) == [
        ("2023", "transferred", D("2023-01-10")), ("ktt-back", "transferred", D("2027-01-10"))]
    assert gaps_of(got, "HANDOFF_MISSING") == []  # 9 days each time: under the threshold


def test_handoff_missing_after_ktt_back_counts_from_its_day_and_sosku_stays(rel: Replay) -> None:
    evs = [signed("k1", "2025-06-01", **IN_WBA),
           signed("k2", "2025-06-01", service="SOSKU", **IN_WBA)]
    got = rel(evs, A, rules=TWO)
    assert gaps_of(got, "HANDOFF_MISSING") == [(None, D("2027-01-01"), None, 90, True)]


def test_a_transfer_back_ends_the_gap_at_its_effective_date(rel: Replay) -> None:
    evs = [signed("k1", "2025-06-01", **IN_WBA), transferred("k1", "2027-02-01", frm=WBA, to=OULU)]
    got = rel(evs, A, rules=TWO)
    assert gaps_of(got, "HANDOFF_MISSING") == [(None, D("2027-01-01"), D("2027-02-01"), 31, False)]


def test_a_service_in_no_handoff_has_no_status_no_gap_and_no_violation(rel: Replay) -> None:
    only_back = Rules(configured_handoffs=(BACK,))
    evs = [signed("k1", "2022-09-01", service="SOSKU"), signed("k2", "2024-02-01", service="SOSKU"),
           signed("k3", "2022-09-01", service="NUPA")]
    got = rel(evs, A, rules=only_back)
    assert got["handoff_status_41"] == []
    assert gaps_of(got, "HANDOFF_MISSING") == []
    assert got["compliance_violations"] == []


def test_signing_with_the_kind_no_longer_responsible_is_a_violation_of_that_kind(
        rel: Replay) -> None:
    evs = [signed("k1", "2027-02-01", **IN_WBA),  # KTT with a wellbeing area after ktt-back
           signed("k2", "2027-02-01"),  # KTT with a municipality after ktt-back: right
           signed("k3", "2027-02-01", service="SOSKU"),  # SOSKU still belongs to the area
           signed("k4", "2024-03-01")]  # KTT with a municipality between the two
    got = rel(evs, A, rules=TWO)
    assert sorted((r[1], r[2], r[3]) for r in got["compliance_violations"]) == [
        ("k1", "WELLBEING_AREA_ORGANIZER_AFTER_HANDOFF", D("2027-02-01")),
        ("k3", "MUNICIPAL_ORGANIZER_AFTER_CUTOVER", D("2027-02-01")),
        ("k4", "MUNICIPAL_ORGANIZER_AFTER_CUTOVER", D("2024-03-01"))]


def test_the_default_cohort_takes_a_contract_moved_to_a_municipality_before_c(
        rel: Replay) -> None:
    # SPEC.md 4.1: "save for a contract signed with a wellbeing area before C and moved to a
    # municipality before C" — under the default list it is in the cohort.
    evs = [signed("k1", "2022-09-01", **IN_WBA),
           transferred("k1", "2022-11-01", frm=WBA, to=OULU)]
    got = rel(evs, "2023-03-31")
    assert [(r[0], r[1], r[4], r[6]) for r in got["handoff_status_41"]] == [
        ("2023", "k1", "139", "pending")]


def test_the_handoffs_file_of_the_spec_reads_and_bad_files_say_what_to_write(
        tmp_path: Path) -> None:
    good = tmp_path / "handoffs.toml"
    good.write_text('[[handoff]]\nname = "2023"\nservices = ["KTT", "SOSKU"]\n'
                    'from = "municipality"\nto = "wellbeing_area"\ndate = 2023-01-01\n'
                    'grace_days = 14\n\n[[handoff]]\nname = "ktt-back"\nservices = ["KTT"]\n'
                    'from = "wellbeing_area"\nto = "municipality"\ndate = 2027-01-01\n')
    assert read_handoffs(str(good)) == (H2023, BACK)
    for text, words in [("[[handoff]]\nname = 'x'\n", "missing keys"),
                        ("x = 1", "[[handoff]]"),
                        ("[[handoff]]\nname='a'\nservices=['KTT']\nfrom='municipality'\n"
                         "to='county'\ndate=2027-01-01\n", "to must be one of"),
                        ("[[handoff]]\nname='a'\nservices=['XYZ']\nfrom='municipality'\n"
                         "to='wellbeing_area'\ndate=2027-01-01\n", "services must be"),
                        ("[[handoff", "not valid TOML")]:
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(ConfigError, match=words.replace("[", r"\[")):
            read_handoffs(str(bad))


def test_two_handoffs_of_one_service_on_one_day_are_refused(tmp_path: Path) -> None:
    """Audit (2026-12-04): SPEC.md 4.1's responsible(s, d) takes the handoff with the latest
    date among those of s; two of KTT on one day left it undefined, and the file's order
    decided whether a contract had a HANDOFF_MISSING gap."""
    def one(name: str, services: str, frm: str, to: str) -> str:
        return (f'[[handoff]]\nname = "{name}"\nservices = [{services}]\nfrom = "{frm}"\n'
                f'to = "{to}"\ndate = 2023-01-01\n\n')

    bad = tmp_path / "same-day.toml"
    bad.write_text(one("2023", '"KTT", "SOSKU"', "municipality", "wellbeing_area")
                   + one("back", '"KTT"', "wellbeing_area", "municipality"))
    with pytest.raises(ConfigError, match="'2023' and 'back' both move KTT on 2023-01-01"):
        read_handoffs(str(bad))
    # one day, other services: each service's responsible kind is still defined
    fine = tmp_path / "fine.toml"
    fine.write_text(one("ktt", '"KTT"', "municipality", "wellbeing_area")
                    + one("sosku", '"SOSKU"', "municipality", "wellbeing_area"))
    assert [h.name for h in read_handoffs(str(fine))] == ["ktt", "sosku"]
    # one day, one service, one direction: responsible(s, d) is defined, but the two move the
    # same contracts, and the dashboard suppresses each handoff's cells apart: {KTT} and
    # {KTT, SOSKU}, one cell minus the other is a place's SOSKU count (a review, 2026-12-06)
    same = tmp_path / "same-way.toml"
    same.write_text(one("a", '"KTT"', "municipality", "wellbeing_area")
                    + one("b", '"KTT", "SOSKU"', "municipality", "wellbeing_area"))
    with pytest.raises(ConfigError, match=r"'a' and 'b' both move KTT on 2023-01-01; both would "
                       r"move the same contracts.*make them one handoff"):
        read_handoffs(str(same))


def test_more_handoffs_than_years_of_moves_are_refused(tmp_path: Path) -> None:
    """An attack (2026-12-06): 465 handoffs in 64 KiB, alternating weekly, took a replay of 12
    contracts 217 s in the published cube's suppression. Twenty are read; one more is not."""
    def many(n: int) -> str:
        return "".join(f'[[handoff]]\nname = "h{i}"\nservices = ["KTT"]\n'
                       f'from = "{("municipality", "wellbeing_area")[i % 2]}"\n'
                       f'to = "{("wellbeing_area", "municipality")[i % 2]}"\n'
                       f"date = {2001 + i}-01-01\n\n" for i in range(n))

    fine = tmp_path / "twenty.toml"
    fine.write_text(many(20))
    assert len(read_handoffs(str(fine))) == 20
    bad = tmp_path / "twenty-one.toml"
    bad.write_text(many(21))
    with pytest.raises(ConfigError, match="lists 21 handoffs; at most 20 are taken"):
        read_handoffs(str(bad))


def _named(name: str) -> str:
    return (f'[[handoff]]\nname = "{name}"\nservices = ["KTT"]\nfrom = "wellbeing_area"\n'
            'to = "municipality"\ndate = 2027-01-01\n')


@pytest.mark.parametrize(("written", "read"), [
    ("2023", "2023"), ("ktt-back", "ktt-back"),
    ("KTT kunnille 2027", "KTT kunnille 2027"),  # what a service manager writes
    ("Överföring (2027), KTT", "Överföring (2027), KTT"),
    ("Siirto_1.1.2027", "Siirto_1.1.2027"),
    ("A\\u0308ht\\u00e4ri", "Ähtäri"),  # decomposed Ä: one name with the composed one
    ("x" * 40, "x" * 40)])
def test_a_handoff_is_named_as_a_service_manager_calls_it(
        tmp_path: Path, written: str, read: str) -> None:
    """SPEC.md 4.1 says only "a name": letters of any script, digits, single spaces and a
    few marks are taken (a review, 2026-12-07: "ktt takaisin kunnille" was refused)."""
    conf = tmp_path / "h.toml"
    conf.write_text(_named(written), encoding="utf-8")
    assert [h.name for h in read_handoffs(str(conf))] == [read]


@pytest.mark.parametrize("name", [
    "", " lead", "trail ", "two  spaces", "x" * 41, "a<b", "a>b", "a&b", "a\\u0022b", "a'b",
    "=1+1", "+x", "@x", "a#b", "a?b", "a%b", "a/b", "a\\\\b", "a;b", "a=b", "a`b",
    "tab\\there", "line\\nbreak", "nul\\u0000", "\\u202eevil", "zero\\u200bwidth",
    "nbsp\\u00a0x", "emoji\\U0001F600", "131052-308T"])
def test_a_handoff_name_with_what_a_page_a_link_or_a_csv_would_escape_is_refused(
        tmp_path: Path, name: str) -> None:
    """The name is stored in handoff_status and shown on pages, in CSV files and in
    `?handoff=` links. Each of those escapes it; what would need escaping (markup, URL and
    formula marks, control and format characters such as a bidi override or a zero-width
    space) is refused at the door of the configuration too, with what to write instead."""
    conf = tmp_path / "h.toml"
    conf.write_text(_named(name), encoding="utf-8")
    with pytest.raises(ConfigError, match="name") as got:
        read_handoffs(str(conf))
    if name != "131052-308T":
        assert "letters, digits, single spaces" in str(got.value)


def test_a_name_is_a_string(tmp_path: Path) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text(_named("x").replace('"x"', "5"))
    with pytest.raises(ConfigError, match=r"name must be 1-40 characters.*got 5"):
        read_handoffs(str(conf))


def test_replay_writes_a_spaced_finnish_name_as_written(tmp_path: Path) -> None:
    conf = tmp_path / "h.toml"
    conf.write_text(_named("KTT kunnille 2027, Ähtäri"), encoding="utf-8")
    src = write_jsonl(tmp_path / "e.jsonl", [signed("k1", "2025-06-01", **IN_WBA)])
    db = tmp_path / "x.duckdb"
    ok = subprocess.run([sys.executable, "-m", "services.cli", "replay", str(src), "--db",
                         str(db), "--as-of", A, "--handoffs", str(conf), "--quiet"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT handoff, contract_id, status FROM handoff_status").fetchall() == [
        ("KTT kunnille 2027, Ähtäri", "k1", "pending")]
    con.close()


def _ktt_back_only(tmp_path: Path) -> tuple[Path, Path]:
    """A handoffs file of `ktt-back` alone, and events of a contract in its cohort."""
    conf = tmp_path / "h.toml"
    conf.write_text('[[handoff]]\nname = "ktt-back"\nservices = ["KTT"]\nfrom = "wellbeing_area"'
                    '\nto = "municipality"\ndate = 2027-01-01\n')
    return conf, write_jsonl(tmp_path / "e.jsonl", [signed("k1", "2025-06-01", **IN_WBA)])


def test_replay_takes_handoffs_from_the_command_line_and_refuses_a_bad_file(
        tmp_path: Path) -> None:
    conf, src = _ktt_back_only(tmp_path)
    jatkumo = [sys.executable, "-m", "services.cli"]
    ok = subprocess.run([*jatkumo, "replay", str(src), "--db", str(tmp_path / "x.duckdb"),
                         "--as-of", A, "--handoffs", str(conf), "--quiet"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    import duckdb
    con = duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True)
    assert con.execute("SELECT handoff, status FROM handoff_status").fetchall() == [
        ("ktt-back", "pending")]
    con.close()
    conf.write_text("[[handoff]]\nname = 'x'\n")
    bad = subprocess.run([*jatkumo, "replay", str(src), "--db", str(tmp_path / "y.duckdb"),
                          "--handoffs", str(conf)], capture_output=True, text=True)
    assert bad.returncode == 2 and "missing keys" in bad.stderr


def test_a_hostile_handoffs_file_is_refused_with_what_to_do_and_a_bom_is_no_mistake(
        tmp_path: Path) -> None:
    """Every byte of a configuration file is input: not UTF-8, nested past the parser's
    stack, or endless (/dev/zero) is a ConfigError (exit 2) that says what to give, never a
    crash; a UTF-8 byte order mark, as some editors write it, reads as the same file."""
    spec = ('[[handoff]]\nname = "2023"\nservices = ["KTT", "SOSKU"]\nfrom = "municipality"\n'
            'to = "wellbeing_area"\ndate = 2023-01-01\n')
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + spec.encode())
    assert read_handoffs(str(bom)) == (H2023,)
    cases = {"latin1.toml": (b"\xff\xfe[[handoff]]\n", "not UTF-8"),
             "deep.toml": (b"x = " + b"[" * 20_000 + b"]" * 20_000, "too deeply"),
             "tables.toml": (b"x = " + b"{a=" * 5_000 + b"1" + b"}" * 5_000, "too deeply"),
             "big.toml": (spec.encode() + b"#" * 70_000, "larger than"),
             # more digits than Python turns into an int: tomllib's plain ValueError
             "digits.toml": (spec.encode() + b"grace_days = " + b"9" * 5_000, "cannot be read"),
             "year1.toml": (spec.replace("2023-01-01", "0001-01-01").encode(), "1900-2100")}
    for name, (data, _) in cases.items():
        (tmp_path / name).write_bytes(data)
    for path, words in [*((str(tmp_path / n), w) for n, (_, w) in cases.items()),
                        ("/dev/zero", "larger than"), (str(tmp_path), "Is a directory"),
                        (str(tmp_path / "none.toml"), "No such file")]:
        with pytest.raises(ConfigError, match=words) as got:
            read_handoffs(path)
        assert "give" in str(got.value) or "SPEC.md 4.1" in str(got.value), got.value


def test_the_handoffs_flag_wins_over_the_variable_and_other_commands_ignore_it(
        tmp_path: Path) -> None:
    conf, src = _ktt_back_only(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    env["JATKUMO_HANDOFFS"] = str(tmp_path / "gone.toml")  # a stale variable
    jatkumo = [sys.executable, "-m", "services.cli"]
    db = tmp_path / "x.duckdb"
    ok = subprocess.run([*jatkumo, "replay", str(src), "--db", str(db), "--as-of", A,
                         "--handoffs", str(conf), "--quiet"], capture_output=True, text=True,
                        env=env)
    assert ok.returncode == 0, ok.stderr
    sql = subprocess.run([*jatkumo, "sql", "SELECT handoff FROM handoff_status", "--db",
                          str(db), "--csv"], capture_output=True, text=True, env=env)
    assert sql.returncode == 0 and sql.stdout.split() == ["handoff", "ktt-back"], sql.stderr
    # commands that evaluate nothing do not read it at all: publish goes as far as the broker
    # (none at this address: a failure that says so, not a bug's trace)
    published = subprocess.run([*jatkumo, "publish", str(src), "--bootstrap", "127.0.0.1:1"],
                               capture_output=True, text=True, env=env, timeout=120)
    assert published.returncode == 1, published.stderr
    assert "no Kafka broker answers at 127.0.0.1:1" in published.stderr, published.stderr
    assert "JATKUMO_HANDOFFS" not in published.stderr and "Traceback" not in published.stderr
    stale = subprocess.run([*jatkumo, "replay", str(src), "--db", str(tmp_path / "y.duckdb")],
                           capture_output=True, text=True, env=env)
    assert stale.returncode == 2
    assert "JATKUMO_HANDOFFS" in stale.stderr and "gone.toml" in stale.stderr
    both = subprocess.run([*jatkumo, "replay", str(src), "--db", str(tmp_path / "z.duckdb"),
                           "--handoffs", str(conf), "--cutover", "2023-02-01"],
                          capture_output=True, text=True, env=env)
    assert both.returncode == 2 and "--cutover" in both.stderr and "[[handoff]]" in both.stderr
    env.update(JATKUMO_HANDOFFS=str(conf), JATKUMO_CUTOVER="2023-02-01")
    ignored = subprocess.run([*jatkumo, "replay", str(src), "--db", str(tmp_path / "w.duckdb")],
                             capture_output=True, text=True, env=env)
    assert ignored.returncode == 2 and "JATKUMO_CUTOVER" in ignored.stderr, ignored.stderr
