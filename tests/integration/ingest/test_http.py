"""POST /api/v1/events through real HTTP against a running `jatkumo serve --ingest`: per-event
answers, idempotency, tokens, every kind of bad request, kill -9 and the parity with replay."""

import gzip
import json
import signal
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.helpers import read_relations, replay_db
from tests.integration.ingest.server import KEY, Server, add_token, cli, start
from tests.integration.kafka.generate import lines

SOURCE = "workshop:PAJA-1"


def _as_source(raw: str, source: str = SOURCE) -> str:
    """The event as sent by the token's source system (malformed lines as they are)."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(obj, dict) or "source" not in obj:
        return raw
    obj["source"] = source
    return json.dumps(obj)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    db = tmp_path / "live.duckdb"
    token = add_token(db, SOURCE)
    s = start(db, JATKUMO_INGEST_READ_SECONDS="2")
    yield s, token
    s.stop()


def test_one_event_an_array_and_ndjson_are_taken_and_a_retry_is_a_duplicate(
        server: tuple[Server, str]) -> None:
    s, token = server
    raws = [_as_source(r) for r in lines(4, seed=11)]
    status, body, _ = s.post(raws[0].encode(), token)
    assert status == 200 and body["accepted"] == 1, body
    array = ("[" + ",\n".join(raws[1:6]) + ", 42]").encode()
    status, body, _ = s.post(array, token)
    assert status == 200, body
    assert [r["status"] for r in body["results"]][-1] == "dead_letter"
    ndjson = "\n".join(raws[6:]).encode()
    status, body, _ = s.post(ndjson, token, "application/x-ndjson")
    assert status == 200 and body["dead_letter"] == 0
    again, body, _ = s.post(ndjson, token, "application/x-ndjson")
    assert again == 200 and body["accepted"] == 0
    assert body["duplicate"] == len(raws) - 6


def test_wrong_revoked_and_missing_tokens_get_401_and_the_token_is_never_logged(
        server: tuple[Server, str]) -> None:
    s, token = server
    raw = _as_source(next(iter(lines(1, seed=2)))).encode()
    assert s.post(raw, None)[0] == 401
    assert s.post(raw, "jtk_not-a-token")[0] == 401
    assert cli("token", "revoke", "paja", "--db", str(s.db)).returncode == 0
    status, _body, headers = s.post(raw, token)
    assert status == 401 and headers.get("WWW-Authenticate") == "Bearer"
    assert token not in s.log.read_text() and "jtk_not-a-token" not in s.log.read_text()
    listed = cli("token", "list", "--db", str(s.db)).stdout
    assert "paja" in listed and "revoked" in listed and token not in listed
    assert token not in (s.db.with_name(s.db.name + ".tokens.json")).read_text()


def test_an_event_of_another_source_is_a_dead_letter(server: tuple[Server, str]) -> None:
    s, token = server
    raw = _as_source(next(iter(lines(1, seed=3))), "workshop:SOMEONE-ELSE").encode()
    status, body, _ = s.post(raw, token)
    assert status == 200 and body["results"][0]["status"] == "dead_letter"
    assert "source" in body["results"][0]["reason"]


def test_bad_requests_get_a_clear_4xx_and_the_server_keeps_serving(
        server: tuple[Server, str]) -> None:
    s, token = server
    assert s.post(b"[{", token)[0] == 400
    assert s.post(b"", token)[0] == 400
    assert s.post(b"<xml/>", token, "application/xml")[0] == 415
    big = b"[" + b",".join([b'{"pad": "' + b"x" * 1000 + b'"}'] * 11_000) + b"]"
    assert s.post(big, token)[0] == 413
    # a slow body: headers, then a trickle that never ends -> 408 after READ_SECONDS (2 s),
    # while another client is served at once
    with socket.create_connection(("127.0.0.1", s.port)) as slow:
        slow.sendall(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 100000\r\nAuthorization: Bearer " + token.encode()
                     + b"\r\n\r\n[")
        assert s.get("/healthz")[0] == 200
        # served while the slow one still waits: its 408 has not come yet (an order, not a
        # time: the test asserts no timing)
        slow.setblocking(False)
        with pytest.raises(BlockingIOError):
            slow.recv(4096)
        slow.setblocking(True)
        slow.settimeout(30)
        answer = slow.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408")


def test_too_many_events_a_second_get_429_with_retry_after(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    token = add_token(db, SOURCE, "t")
    s = start(db, JATKUMO_INGEST_EVENTS_PER_SECOND="2")  # a bucket of 20 events
    try:
        raws = [_as_source(r) for r in lines(12, seed=4)][:25]
        assert s.post(("[" + ",".join(raws[:15]) + "]").encode(), token)[0] == 200
        status, _body, headers = s.post(("[" + ",".join(raws[15:25]) + "]").encode(), token)
        assert status == 429 and int(headers["Retry-After"]) >= 1
    finally:
        s.stop()


def test_openapi_31_is_served(server: tuple[Server, str]) -> None:
    s, _ = server
    status, text = s.get("/api/v1/openapi.json")
    doc = json.loads(text)
    assert status == 200 and doc["openapi"] == "3.1.0"
    assert "/api/v1/events" in doc["paths"]
    assert "contract.signed" in doc["components"]["schemas"]


def test_kill_9_loses_nothing_accepted_and_the_file_equals_replay(tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    token = add_token(db, SOURCE, "t")
    raws = [_as_source(r) for r in lines(40, seed=9, malformed=3)]
    s = start(db)
    accepted = []
    try:
        for i in range(0, len(raws), 25):
            status, body, _ = s.post(("\n".join(raws[i:i + 25])).encode(), token,
                                     "application/x-ndjson")
            assert status == 200
            accepted += [r["event_id"] for r in body["results"] if r["status"] == "accepted"]
    finally:
        s.stop(signal.SIGKILL)
    s = start(db)  # the restart reads the log back
    s.stop()
    got = read_relations(db)
    assert {r[0] for r in got["events"]} == set(accepted)
    as_of = got["as_of"][0][0]
    want = replay_db(tmp_path, raws, as_of, key=KEY.encode())
    for name in want:
        if name != "dead_letters":
            assert got[name] == want[name], name
    assert isinstance(as_of, date)


def test_a_code_in_another_field_and_a_deeply_nested_body_are_dead_letters_not_stored(
        server: tuple[Server, str]) -> None:
    s, token = server
    obj = json.loads(_as_source(next(iter(lines(1, seed=6)))))
    obj["payload"] = {**obj["payload"], "contract_id": "k-131052-308T"}
    nested = ("[" * 5000 + "]" * 5000).encode()
    status, body, _ = s.post(json.dumps(obj).encode(), token)
    assert status == 200 and body["results"][0]["status"] == "dead_letter"
    assert "131052-308T" not in json.dumps(body)
    status, body, _ = s.post(b"[" + nested + b"]", token)
    assert status == 200 and body["dead_letter"] == 1
    assert s.get("/healthz")[0] == 200
    s.stop()
    assert b"131052-308T" not in s.db.read_bytes()


def _raw_post(s: Server, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(s.url + path, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_an_ndjson_body_opening_with_a_byte_order_mark_is_taken_as_replay_takes_it(
        server: tuple[Server, str], tmp_path: Path) -> None:
    """A hunt (2026-12-06): the first event of such a body was a dead letter ("Invalid JSON")
    while replay of the same bytes, as a file, took it."""
    s, token = server
    raws = [_as_source(r) for r in lines(3, seed=12) if r.startswith("{")][:4]
    body = b"\xef\xbb\xbf" + "\n".join(raws).encode() + b"\n"
    status, got, _ = s.post(body, token, "application/x-ndjson")
    assert status == 200 and got["dead_letter"] == 0 and got["accepted"] == len(raws), got
    replayed = tmp_path / "bom.jsonl"
    replayed.write_bytes(body)
    assert cli("replay", str(replayed), "--db", str(tmp_path / "r.duckdb"),
               "--quiet").returncode == 0
    assert [r for r in read_relations(tmp_path / "r.duckdb")["dead_letters"]] == []


def test_a_body_that_is_not_what_its_content_encoding_says_gets_400_not_500(
        server: tuple[Server, str]) -> None:
    """A hunt (2026-12-06): Content-Encoding gzip or deflate over bytes that are not gave 500
    and a traceback, on the ingest and on sign-in; the header's value is not repeated."""
    s, token = server
    for encoding in ("gzip", "deflate"):
        status, text = _raw_post(s, "/api/v1/events", b"this is not compressed", {
            "Content-Type": "application/json", "Content-Encoding": encoding,
            "Authorization": f"Bearer {token}"})
        assert status == 400, (encoding, status, text)
        assert "Content-Encoding" in json.loads(text)["detail"]
        status, text = _raw_post(s, "/login", b"not compressed", {
            "Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": encoding,
            "Origin": s.url})
        assert status == 400, (encoding, status, text)
    # a valid gzip body is read as it should be
    raw = _as_source(next(iter(lines(1, seed=13)))).encode()
    status, text = _raw_post(s, "/api/v1/events", gzip.compress(raw), {
        "Content-Type": "application/json", "Content-Encoding": "gzip",
        "Authorization": f"Bearer {token}"})
    assert status == 200 and json.loads(text)["accepted"] == 1, text
    # a coding it does not know (or a sender's text in its place) is refused, not read as
    # plain: an attack (2026-12-07) had it accepted with a code as the coding's name
    for encoding in ("compress", "x-unknown", "gzip, deflate", "050395-912K"):
        status, text = _raw_post(s, "/api/v1/events", raw, {
            "Content-Type": "application/json", "Content-Encoding": encoding,
            "Authorization": f"Bearer {token}"})
        assert status == 415 and "gzip or deflate" in json.loads(text)["detail"], (
            encoding, text)
        assert b"912K" not in text
    for encoding in ("br", "zstd"):  # aiohttp's own 400 where its decoder is not installed
        status, text = _raw_post(s, "/api/v1/events", raw, {
            "Content-Type": "application/json", "Content-Encoding": encoding,
            "Authorization": f"Bearer {token}"})
        assert status in (400, 415), (encoding, text)
    status, text = _raw_post(s, "/api/v1/events", raw, {
        "Content-Type": "application/json", "Content-Encoding": "identity",
        "Authorization": f"Bearer {token}"})
    assert status == 200, text
    assert s.get("/healthz")[0] == 200
    log = s.log.read_text()
    assert "Traceback" not in log and " 500 " not in log, log[-3000:]


def test_dead_letters_of_two_runs_of_the_server_have_origins_of_their_own(
        tmp_path: Path) -> None:
    """A hunt (2026-12-06): the origin was the token, the request's number since the start and
    the index, so the first bad line after every start was `http:h:1:0`."""
    db = tmp_path / "live.duckdb"
    token = add_token(db, SOURCE, "t")
    for n in range(2):
        s = start(db)
        try:
            status, body, _ = s.post(f"not json {n}\n".encode(), token, "application/x-ndjson")
            assert status == 200 and body["dead_letter"] == 1
        finally:
            s.stop()
    origins = [r[2] for r in read_relations(db)["dead_letters"]]
    assert len(origins) == 2 and len(set(origins)) == 2, origins
    assert all(o.startswith("http:t:") and o.endswith(":0") for o in origins), origins


def test_serve_ingest_refuses_a_file_replay_wrote_and_leaves_it_as_it_was(
        tmp_path: Path) -> None:
    """A hunt (2026-12-06): `serve --ingest` on a file of replay's emptied every relation
    (its log, empty, is what the ingest rewrites them from), without a word."""
    db = tmp_path / "replayed.duckdb"
    events = tmp_path / "e.jsonl"
    events.write_text("\n".join(lines(5, seed=14)) + "\n")
    assert cli("replay", str(events), "--db", str(db), "--quiet").returncode == 0
    before = read_relations(db)
    assert before["events"] and before["continuity_gaps"]
    users = tmp_path / "users.toml"
    from services.web.auth import hash_password

    users.write_text(f'[users.m]\nrole = "manager"\npassword = "{hash_password("pw-m-1234")}"\n')
    done = cli("serve", "--db", str(db), "--ingest", "--port", "1", JATKUMO_USERS=str(users))
    assert done.returncode == 2, done.stderr
    assert "no event log" in done.stderr and "new file" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert read_relations(db) == before


def test_attacks_on_the_byte_order_mark_and_the_encoding_read_as_replay_reads(
        server: tuple[Server, str], tmp_path: Path) -> None:
    """Hostile variants of the two mends: two marks (replay reads past one, the second makes
    the line a dead letter: so here), a mark and nothing else (no event: 400), and a bad
    gzip body to sign-in from another site (refused as cross-site first, 403, no 500)."""
    s, token = server
    raw = _as_source(next(r for r in lines(2, seed=15) if r.startswith("{")))
    bom = b"\xef\xbb\xbf"
    status, got, _ = s.post(bom + bom + raw.encode() + b"\n", token, "application/x-ndjson")
    assert status == 200 and got["dead_letter"] == 1 and got["accepted"] == 0, got
    replayed = tmp_path / "two-marks.jsonl"
    replayed.write_bytes(bom + bom + raw.encode() + b"\n")
    assert cli("replay", str(replayed), "--db", str(tmp_path / "r.duckdb"),
               "--quiet").returncode == 0
    assert len(read_relations(tmp_path / "r.duckdb")["dead_letters"]) == 1
    for content_type in ("application/x-ndjson", "application/json"):
        status, got, _ = s.post(bom + b"\n \n", token, content_type)
        assert status == 400 and "detail" in got, (content_type, got)
    status, _text = _raw_post(s, "/login", b"\x1f\x8b broken", {
        "Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip",
        "Origin": "https://evil.example"})
    assert status == 403
    assert s.get("/healthz")[0] == 200
    assert "Traceback" not in s.log.read_text()
