"""Hostile text at the door (attack, 2026-12-04): identifiers and sources holding control and
formatting characters (a NUL by the JSON escape \\u0000, ESC, DEL, an RLO) are dead letters
with a reason naming the field, on the whole door and the fast path alike; a file whose name is
not UTF-8 is replayed with its dead letters' origin as valid text; a payload key written as
rich markup or as terminal control sequences is printed literally by the replay's summary,
which no longer crashes."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from schemas.door import DeadLetter, admit, dead_letter
from streams import topics
from streams.agents import events as agent_events
from streams.core import ClientState
from streams.core.plain import plain
from streams.core.state import add_fact, add_plain
from tests import helpers as h
from tests.integration.kafka.generate import client_events
from tests.unit import test_client_stage as stage

ROOT = Path(__file__).resolve().parents[2]

# Characters no identifier or source holds: Cc (C0, DEL, C1), Cf (bidi overrides and
# isolates, zero-width ones, the soft hyphen, the BOM), Zl and Zp.
HIDDEN = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9b", "\u202e", "\u2066", "\u200b",
          "\u200d", "\u00ad", "\ufeff", "\u2028", "\u2029", "\U000e0041"]
# Text that stays valid: letters of other scripts, a no-break space, symbols.
VISIBLE = ["Ääkkönen-Å", "pajа ö", "x\u00a0y", "名前", "x[/y]", "Øre€"]


def _id_fields() -> list[tuple[dict[str, Any], list[str]]]:
    """An event of each kind with an identifier, and where its identifiers are."""
    return [
        (h.attendance("k1", "2022-02-01"), ["source", "payload.contract_id"]),
        (h.signed("k1", "2022-01-03"), ["payload.contract_id", "payload.producer.id"]),
        (h.assigned("w1", h.OULU, "2022-01-03"), ["payload.worker_id"]),
        (h.referral_made("r1", "2022-02-01"), ["payload.referral_id"]),
    ]


def _set(event: dict[str, Any], path: str, value: str) -> dict[str, Any]:
    changed: dict[str, Any] = json.loads(json.dumps(event))
    *where, name = path.split(".")
    holder = changed
    for part in where:
        holder = holder[part]
    holder[name] = holder[name] + value if value in HIDDEN else value
    return changed


def _lines(value: str) -> list[tuple[bytes, str]]:
    out = []
    for event, paths in _id_fields():
        for path in paths:
            changed = _set({**event, "event_id": h.new_id()}, path, value)
            out.append((json.dumps(changed, separators=(",", ":")).encode(), path))
            # unescaped too (a DEL, a raw C1 or RLO: JSON lets them through as they are)
            out.append((json.dumps(changed, separators=(",", ":"),
                                   ensure_ascii=False).encode("utf-8", "surrogatepass"), path))
    return out


@pytest.mark.parametrize("char", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_an_identifier_with_a_hidden_character_is_a_valid_event(char: str) -> None:
    """SPEC.md 1.1: an id or a source is any string of 1 to 100 characters (a soft hyphen
    that Word puts in a name, a leading BOM); what shows it writes such a character as an
    escape (schemas.types.readable)."""
    for line, path in _lines(char):
        got = admit(line, "f:1", h.KEY)
        assert not isinstance(got, DeadLetter), (line, path, got.reason)


@pytest.mark.parametrize("text", VISIBLE)
def test_letters_of_any_script_stay_valid(text: str) -> None:
    for line, path in _lines(text):
        got = admit(line, "f:1", h.KEY)
        assert not isinstance(got, DeadLetter), (path, got.reason)


def test_an_organiser_with_a_line_feed_after_it_is_refused() -> None:
    """`$` in Python's regular expressions also matches before a final line feed."""
    for organizer in (h.OULU + "\n", h.WBA + "\n", h.OULU + "\u2028"):
        got = admit(h.line(h.assigned("w1", organizer, "2022-01-03")), "f:1", h.KEY)
        assert isinstance(got, DeadLetter)
        assert got.reason.startswith("payload.organization:"), got.reason


def _agree(line: bytes) -> None:
    """The fast path takes a line only as the door does (tests/conformance)."""
    got = plain(line)
    if got is None:
        return
    event = admit(line, "", h.KEY)
    assert not isinstance(event, DeadLetter), (line, event.reason)
    event_id, etype, micros, source, client, payload = got
    assert (event_id, etype, source, client) == (
        event.event_id, event.event_type, event.source, event.client_id)
    fast, slow = ClientState(client), ClientState(client)
    rank = (micros, event_id)
    assert add_plain(fast, etype, payload, rank) == add_fact(slow, event, rank)
    assert fast == slow


def _every_line() -> list[bytes]:
    lines = [line for value in HIDDEN + VISIBLE for line, _ in _lines(value)]
    # DEL and every other ASCII character, raw where JSON allows it, in each field
    for code in range(0x20, 0x80):
        for event, paths in _id_fields():
            for path in paths:
                changed = _set({**event, "event_id": h.new_id()}, path, "x")
                text = json.dumps(changed, separators=(",", ":"))
                if code not in (0x22, 0x5C):  # a quote or a backslash ends or escapes
                    text = text.replace('x"', chr(code) + '"', 1)
                lines.append(text.encode())
    return lines


def test_the_fast_path_and_the_door_agree_on_every_such_line() -> None:
    for line in _every_line():
        _agree(line)


def test_a_load_with_the_fast_path_is_a_load_without_it() -> None:
    lines = _every_line()
    tables = h.same_load_fast_and_slow(lines)[2]
    assert tables["events"].num_rows > len(lines) // 2  # mostly valid (SPEC.md 1.1)


def test_the_workers_client_stage_gives_the_same_outputs_both_ways(
        monkeypatch: pytest.MonkeyPatch) -> None:
    base = next(e for e in client_events(random.Random(3), 1)
                if e["event_type"] == "contract.signed" and "client_id" in e)
    lines = [orjson.dumps({**base, "source": base["source"] + c}) for c in HIDDEN]
    lines += [orjson.dumps({**base, "payload": {**base["payload"],
                                                "contract_id": "K-1" + c}}) for c in HIDDEN]
    lines.append(orjson.dumps(base).replace(b'"source":"', b'"source":"\x7f', 1))
    msgs = [stage.Msg(line, 0, i, 1_700_000_000_000 + i) for i, line in enumerate(lines)]
    fast = stage._outputs(*stage._run(msgs))
    monkeypatch.setattr(agent_events, "plain_and_doc", lambda line: None)  # the whole door
    assert fast == stage._outputs(*stage._run(msgs))
    dead = [o for out in fast["outbox"].values() for o in out
            if o[0] == topics.DEAD_LETTERS]
    assert not dead  # valid events (SPEC.md 1.1), taken the same way by either path


def test_a_dead_letters_origin_and_reason_are_valid_visible_text() -> None:
    """A file name that is not UTF-8 comes from Python with a lone surrogate; a reason quotes
    a key with control characters. Neither may reach Arrow, DuckDB, Kafka or a terminal so."""
    key = "\x1b]0;TITLE\x07\x1b[31m"
    line = h.line({**h.attendance("k1", "2022-02-01"),
                   "payload": {"contract_id": "k1", "date": "2022-02-01", "present": True,
                               key: 1}}).encode()
    got = admit(line, "ev\udcff\n_050395-912K.jsonl:1", h.KEY)
    assert isinstance(got, DeadLetter)
    assert got.origin == "ev\\xff\\x0a_******-****.jsonl:1"
    assert got.reason == ("payload.\\x1b]0;TITLE\\x07\\x1b[31m: Extra inputs are not "
                          "permitted")
    for text in (got.raw, got.reason, got.origin):
        text.encode("utf-8")  # valid text: publish puts them in Kafka headers
    letter = dead_letter("x\udcff", "r\udcff", "o\udcff")
    assert "\udcff" not in letter.raw and (letter.reason, letter.origin) == ("r\\xff", "o\\xff")
    letter.raw.encode("utf-8")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    env["JATKUMO_PSEUDONYM_KEY"] = "hostile-key"
    env["COLUMNS"] = "200"  # the summary's tables wrap no reason
    return env


def _replay(tmp: Path, src: bytes, db: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "services.cli", "replay", src, "--db",
                           str(db), *extra], capture_output=True, cwd=tmp, env=_env(),
                          timeout=120)


def test_a_file_named_in_bytes_that_are_not_utf8_is_replayed(tmp_path: Path) -> None:
    name = b"ev\xff.jsonl"
    good = h.line(h.attendance("k1", "2024-05-06"))
    (tmp_path / os.fsdecode(name)).write_text(good + "\nnot json\n", encoding="utf-8")
    done = _replay(tmp_path, name, tmp_path / "n.duckdb")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    con = duckdb.connect(str(tmp_path / "n.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT origin FROM dead_letters").fetchall() == [
            ("ev\\xff.jsonl:2",)]
        assert con.execute("SELECT count(*) FROM events").fetchone() == (1,)
    finally:
        con.close()


def test_a_parallel_replay_of_such_a_file_too(tmp_path: Path) -> None:
    from services.config import Settings
    from services.replay import replay

    src = h.write_jsonl(tmp_path / "ev\udcff.jsonl", [
        h.attendance("k1", "2024-05-06"), "not json",
        h.attendance("k1", "2024-05-07", client="c2")])
    replay(src, tmp_path / "p.duckdb", Settings(pseudonym_key=h.KEY), workers=2, partitions=2)
    con = duckdb.connect(str(tmp_path / "p.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT origin FROM dead_letters").fetchall() == [
            (f"{tmp_path}/ev\\xff.jsonl:2",)]
    finally:
        con.close()


def test_a_db_named_in_bytes_that_are_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    src = h.write_jsonl(tmp_path / "ok.jsonl", [h.attendance("k1", "2024-05-06")])
    done = _replay(tmp_path, bytes(src), Path(os.fsdecode(b"n\xff.duckdb")), "--quiet")
    assert done.returncode == 2, done.stderr
    assert b"--db n\\xff.duckdb: DuckDB opens only a path written in UTF-8" in done.stderr


MARKUP_KEYS = ["[/x]", "[bold red]RED", "\x1b]0;TITLE\x07\x1b[31mred",
               "[link=http://evil]click[/link]", "nul\x00here", "\u202eevil"]


def test_the_replays_summary_prints_markup_and_control_sequences_literally(
        tmp_path: Path) -> None:
    events = []
    for i, key in enumerate(MARKUP_KEYS):
        e = h.attendance("K-1", "2024-05-06", client=f"c-{i}")
        e["payload"][key] = 1
        events.append(e)
    events.append(h.attendance("K-1", "2024-05-06", client="c-ok"))
    src = h.write_jsonl(tmp_path / "markup.jsonl", events)
    db = tmp_path / "mk.duckdb"
    done = _replay(tmp_path, bytes(src), db)
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 0, err
    assert "Traceback" not in err and "Nothing was committed" not in err
    flat = " ".join(out.split())
    for shown in ("payload.[/x]:", "payload.[bold red]RED:",
                  "payload.\\x1b]0;TITLE\\x07\\x1b[31mred:", "[link=http://evil]click[/link]:",
                  "payload.nul\\x00here:", "payload.\\u202eevil:"):
        assert shown in flat, shown
    assert not any(c in out for c in "\x1b\x00\x07\u202e")
    assert f"Relations written to {db}." in flat
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM dead_letters").fetchone() == (
            len(MARKUP_KEYS),)
    finally:
        con.close()


def test_a_nul_escape_in_a_contract_id_is_stored_and_shown_as_an_escape(
        tmp_path: Path) -> None:
    text = h.line(h.attendance("K-1", "2024-05-06")).replace('"K-1"', '"K-1\\u0000"')
    src = tmp_path / "nul.jsonl"
    src.write_text(text + "\n", encoding="utf-8")
    db = tmp_path / "nul.duckdb"
    done = _replay(tmp_path, bytes(src), db, "--quiet")
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT payload->>'contract_id' FROM events").fetchall() == [
            ("K-1\x00",)]
    finally:
        con.close()
    shown = subprocess.run([sys.executable, "-m", "services.cli", "sql",
                            "SELECT payload->>'contract_id' AS k FROM events", "--db", str(db)],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0 and "K-1\\x00" in shown.stdout and "\x00" not in shown.stdout

def test_a_lone_surrogate_escape_beside_a_hidden_code_is_a_dead_letter_not_a_crash(
        tmp_path: Path) -> None:
    """Review (2026-12-04): the masking decodes escapes to find a code hidden by them, and a
    `\\ud800` became a lone surrogate in the dead letter's text: Arrow refused it and the
    whole replay stopped ("a bug in jatkumo")."""
    event = {**h.attendance("K-1", "2024-05-06"), "event_id": h.new_id()}
    event["payload"] = {**event["payload"], "\ud800 1310\u00ad52-308T": 1}
    src = tmp_path / "sur.jsonl"
    src.write_text(json.dumps(event) + "\n", encoding="utf-8")
    db = tmp_path / "sur.duckdb"
    done = _replay(tmp_path, bytes(src), db, "--quiet")
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        (raw,), = con.execute("SELECT raw FROM dead_letters").fetchall()
    finally:
        con.close()
    assert "131052" not in raw and "308T" not in raw, raw
