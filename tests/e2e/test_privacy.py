"""SPEC.md 1.2: identity codes are validated, pseudonymised at the door as `p:` + 16 hex digits of
HMAC-SHA256(key, code), and exist nowhere after it: not in any byte of the DuckDB file, and
masked as ******-**** in dead letters. Synthetic codes only (individual numbers 900-999, or the
published example 131052-308T)."""

import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from schemas.hetu import hetu_problem
from tests import helpers as h

ROOT = Path(__file__).resolve().parents[2]
VALID = ["010594Y9032", "020594X903P", "010516B903X", "020504A902E", "131052-308T"]
CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def expected_pseudonym(code: str, key: bytes = h.KEY) -> str:
    return "p:" + hmac.new(key, code.encode(), hashlib.sha256).hexdigest()[:16]


def with_check(body: str) -> str:
    """DDMMYY + sign + NNN, completed with its check character."""
    return body + CHECK[int(body[:6] + body[7:10]) % 31]


def hetu_event(code: str, e: dict[str, Any]) -> str:
    e = {k: v for k, v in e.items() if k != "client_id"}
    return json.dumps({**e, "client_hetu": code})


@pytest.mark.parametrize("code", VALID)
def test_synthetic_and_published_codes_are_valid(code: str) -> None:
    assert hetu_problem(code) is None


@pytest.mark.parametrize("code,why", [
    ("010594Y9033", "wrong check character"),
    (with_check("010594Y001"), "individual number 001"),
    (with_check("010594Y000"), "individual number 000"),
    (with_check("290223A903"), "29 February 2023 does not exist"),
    (with_check("310494-903"), "31 April does not exist"),
    ("010594G903" + "2", "G is no century sign"),
    ("010594y9032", "lower-case century sign"),
    ("10594Y9032", "too short"),
    ("010594Y90322", "too long"),
])
def test_invalid_codes_are_refused(code: str, why: str) -> None:
    assert hetu_problem(code) is not None, why


def test_a_leap_day_code_of_a_leap_year_is_valid() -> None:
    assert hetu_problem(with_check("290200A903")) is None
    assert hetu_problem(with_check("290200-903")) is not None  # 1900 was no leap year


@pytest.mark.parametrize("sign", list("+-YXWVUABCDEF"))
def test_every_century_sign_is_accepted(sign: str) -> None:
    assert hetu_problem(with_check(f"010190{sign}903")) is None


def test_a_code_becomes_p_and_16_hex_digits_of_hmac_sha256_of_the_key(tmp_path: Path) -> None:
    code = "010594Y9032"
    lines = [hetu_event(code, h.signed("k1", "2022-09-01")),
             hetu_event(code, h.assigned("w1", h.OULU, "2022-09-01")),
             h.signed("k2", "2022-09-01", client="c2")]
    rel = h.replay_db(tmp_path, lines, as_of="2023-01-31")
    pseudonym = expected_pseudonym(code)
    assert len(pseudonym) == 18 and all(c in "0123456789abcdef" for c in pseudonym[2:])
    assert sorted({e[5] for e in rel["events"]}) == sorted([pseudonym, "c2"])
    assert {(c[0], c[1]) for c in rel["contracts"]} == {("k1", pseudonym), ("k2", "c2")}
    assert {g[0] for g in rel["continuity_gaps"]} == {pseudonym, "c2"}
    # the same client sent with the code and with its pseudonym is one client
    gaps = {(g[0], g[1]) for g in rel["continuity_gaps"]}
    assert (pseudonym, "NO_RESPONSIBLE_WORKER") not in gaps
    assert ("c2", "NO_RESPONSIBLE_WORKER") in gaps


def test_another_key_gives_another_pseudonym(tmp_path: Path) -> None:
    code = "020594X903P"
    rel = h.replay_db(tmp_path, [hetu_event(code, h.signed("k1", "2023-01-01"))],
                      key=b"another-key")
    assert [c[1] for c in rel["contracts"]] == [expected_pseudonym(code, b"another-key")]
    assert expected_pseudonym(code, b"another-key") != expected_pseudonym(code)


def codes_run(tmp_path: Path, key: bytes | None = h.KEY) -> tuple[Path, list[str]]:
    """A replay with codes everywhere a source might put them; returns the DuckDB file and the
    codes used."""
    codes = ["010594Y9032", "020594X903P", "010516B903X", "020504A902E", "131052-308T"]
    lines = [
        hetu_event(codes[0], h.signed("k1", "2022-09-01")),
        hetu_event(codes[0], h.attendance("k1", "2023-01-02")),
        hetu_event(codes[1], h.referral_made("r1", "2023-01-05")),
        hetu_event(codes[2], h.registered("2022-01-01")),
        # dead letters: an invalid payload with a valid code, and an invalid code
        hetu_event(codes[3], {**h.attendance("k1", "2023-01-02"), "payload": {"x": 1}}),
        hetu_event(codes[4][:-1] + "U", h.signed("k9", "2023-01-01")),
        '{"client_hetu": "' + codes[4] + '", broken json',
        hetu_event(codes[4], h.signed("k2", "2023-01-01")) + " trailing",
    ]
    src = h.write_jsonl(tmp_path / "codes.jsonl", lines)
    db = tmp_path / "codes.duckdb"
    from services.config import Settings
    from services.replay import replay
    replay(src, db, Settings(pseudonym_key=key), None)
    return db, [*codes, codes[4][:-1] + "U"]


def all_bytes(db: Path) -> bytes:
    data = db.read_bytes()
    wal = db.with_name(db.name + ".wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def assert_no_code(data: bytes, codes: list[str]) -> None:
    for code in codes:
        for form in (code, code.lower()):
            assert form.encode() not in data, f"{code} found in the DuckDB file"
            assert form.encode("utf-16-le") not in data


def test_no_identity_code_is_in_any_byte_of_the_duckdb_file(tmp_path: Path) -> None:
    db, codes = codes_run(tmp_path)
    assert_no_code(all_bytes(db), codes)
    con = duckdb.connect(str(db))
    con.execute("CHECKPOINT")
    con.close()
    assert_no_code(all_bytes(db), codes)


def test_no_identity_code_is_in_the_duckdb_file_when_the_key_is_missing(tmp_path: Path) -> None:
    db, codes = codes_run(tmp_path, key=None)
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
    con.execute("CHECKPOINT")
    con.close()
    assert_no_code(all_bytes(db), codes)


def test_identity_codes_are_masked_in_dead_letters(tmp_path: Path) -> None:
    db, codes = codes_run(tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    raws = [r[0] for r in con.execute("SELECT raw, reason FROM dead_letters").fetchall()]
    text = " ".join(r[0] + r[1] for r in con.execute(
        "SELECT raw, reason FROM dead_letters").fetchall())
    con.close()
    assert len(raws) == 4
    assert all("******-****" in raw for raw in raws)
    assert all(code not in text for code in codes)


def test_the_cli_prints_no_identity_code(tmp_path: Path) -> None:
    code = "010516B903X"
    src = h.write_jsonl(tmp_path / "e.jsonl", [
        hetu_event(code, h.signed("k1", "2022-09-01")),
        hetu_event(code, {**h.ended("k1", "2023-01-31"), "payload": {"bad": True}})])
    env = {**os.environ, "JATKUMO_PSEUDONYM_KEY": "cli-test-key"}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "replay", str(src), "--db",
         str(tmp_path / "e.duckdb")], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    assert code not in done.stdout + done.stderr
    sql = subprocess.run(
        [sys.executable, "-m", "services.cli", "sql", "SELECT * FROM dead_letters", "--db",
         str(tmp_path / "e.duckdb"), "--csv"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert sql.returncode == 0, sql.stderr
    assert "******-****" in sql.stdout and code not in sql.stdout
    assert_no_code(all_bytes(tmp_path / "e.duckdb"), [code])


# --- issue 12, point 3: a code anywhere but client_hetu ----------------------------------------

def codes_elsewhere() -> tuple[list[str], list[str]]:
    """Lines with a valid code in each field a source fills, plainly, glued and escaped; and
    the codes with the forms they might take in bytes."""
    code, glued, escaped = "131052-308T", "131052-9085", "240399-957A"
    base = h.signed("k1", "2022-09-01")
    pl = base["payload"]
    lines = [
        json.dumps({**base, "client_id": code}),
        json.dumps({**base, "source": f"paja {code}"}),
        json.dumps({**base, "payload": {**pl, "contract_id": code}}),
        json.dumps({**base, "payload": {**pl, "producer": h.producer(pid=code)}}),
        json.dumps(h.referral_made(code, "2022-09-02")),
        json.dumps({**base, "source": "id" + glued}),
        json.dumps({**base, "source": escaped}).replace("-957A", "\\u002d957A"),
        json.dumps({**base, "client_id": "x"}).replace('"client_id": "x"',
                                                      '"client\\u005fid": "' + code + '"'),
    ]
    codes = [code, glued, escaped]
    return lines, [*codes, *(c.replace("-", "\\u002d") for c in codes), *(c.replace(
        "-", "") for c in codes)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_code_in_any_other_field_is_a_dead_letter_and_in_no_byte_of_the_file(
        tmp_path: Path, workers: int) -> None:
    from services.config import Settings
    from services.replay import replay

    lines, forms = codes_elsewhere()
    src = h.write_jsonl(tmp_path / "codes.jsonl", [h.signed("k0", "2022-09-01"), *lines])
    db = tmp_path / "codes.duckdb"
    report = replay(src, db, Settings(pseudonym_key=h.KEY), None, workers=workers,
                    partitions=workers)
    assert report.taken == 1
    con = duckdb.connect(str(db))
    reasons = sorted(r[0] for r in con.execute("SELECT reason FROM dead_letters").fetchall())
    con.execute("CHECKPOINT")
    con.close()
    assert reasons == sorted([
        "identity_code_in_client_id", "identity_code_in_source", "identity_code_in_source",
        "identity_code_in_source", "identity_code_in_payload.contract_id",
        "identity_code_in_payload.producer.id", "identity_code_in_payload.referral_id",
        "identity_code_in_client_id"])
    data = all_bytes(db)
    for form in forms:
        assert form.encode() not in data, form
