"""The sink's DuckDB writer over a real file: a client's rows are replaced as a whole by its
latest snapshot, whatever came before, across batches, restarts and failed writes; the file
then holds what a new file given only the final snapshots holds (no row twice, none left
behind, the latest as_of)."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from analytics import relations as rel
from services import sink_batch
from services.sink_batch import Batch, Writer
from streams import topics
from streams.core.results import ClientResult
from streams.tables import IdEntry, pack_id
from tests.e2e.test_relations import _results
from tests.helpers import Record

DAY = date(2024, 6, 30)




def _doc(result: ClientResult, day: date = DAY, drop: tuple[str, ...] = ()) -> bytes:
    """A client's snapshot as the worker sends it; `drop`: relations it has no rows in."""
    doc = orjson.loads(topics.result_message(result, day, 0))
    for name in drop:
        doc["rows"][name] = []
    return orjson.dumps(doc)


def _write(writer: Writer, docs: list[bytes], first_offset: int = 0) -> None:
    batch = Batch(None)
    batch.add(topics.CLIENT_RESULTS, 0, [Record(d, first_offset + i)
                                         for i, d in enumerate(docs)])
    writer.write(batch)


def _contents(writer: Writer) -> dict[str, list[Any]]:
    return {name: sorted(writer.con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
            for name in (*topics.RESULT_RELATIONS, "as_of")}


def _reference(tmp_path: Path, name: str, docs: list[bytes]) -> dict[str, list[Any]]:
    """The relations of a new file given only the final snapshots, in one batch."""
    writer = Writer(tmp_path / f"{name}.duckdb")
    try:
        _write(writer, docs)
        return _contents(writer)
    finally:
        writer.close()


@pytest.fixture(params=["by a list", "by a join"], autouse=True)
def deletes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with both ways the writer deletes the rows of known clients: a
    batch of few looks them up by a list of values (the index on client_id), a batch of
    many joins with the batch (services.sink_batch.LOOKUP_CLIENTS)."""
    monkeypatch.setattr(sink_batch, "LOOKUP_CLIENTS", 10**9 if request.param == "by a list"
                        else 0)
    return str(request.param)


def _as(doc: bytes, client: str) -> bytes:
    """A snapshot's rows given to another client id."""
    got = orjson.loads(doc)
    got["client_id"] = client
    for name, rows in got["rows"].items():
        at = topics.RESULT_RELATIONS[name].names.index("client_id")
        for row in rows:
            row[at] = client
    return orjson.dumps(got)


def _rich(results: list[ClientResult]) -> list[ClientResult]:
    """Clients with rows in most relations, so dropping one changes something."""
    def width(r: ClientResult) -> int:
        doc = orjson.loads(topics.result_message(r, DAY, 0))
        return sum(bool(rows) for rows in doc["rows"].values())
    return sorted(results, key=width, reverse=True)


def test_snapshots_replace_rows_across_batches_restarts_and_failed_writes(
        tmp_path: Path) -> None:
    results = _rich(_results(40)[0])
    a, b, c = results[0], results[1], results[2]
    rest = results[3:]
    assert len(orjson.loads(_doc(a))["rows"]["gap_rows"]) > 0, "a has gap rows to lose"

    db = tmp_path / "sink.duckdb"
    writer = Writer(db)
    try:
        _write(writer, [_doc(r) for r in results])  # every client new to the file
        _write(writer, [_doc(a), _doc(b)], 100)  # the same snapshots again: nothing doubles
        _write(writer, [_doc(a, drop=("gap_rows", "contracts"))], 200)  # a loses rows
        _write(writer, [_doc(c, date(2024, 7, 1))], 300)  # a later as_of
    finally:
        writer.close()
    final = {r.client_id: _doc(r) for r in rest}
    final[a.client_id] = _doc(a, drop=("gap_rows", "contracts"))
    final[b.client_id] = _doc(b)
    final[c.client_id] = _doc(c, date(2024, 7, 1))

    writer = Writer(db)  # a restart
    try:
        assert _contents(writer) == _reference(tmp_path, "r1", list(final.values()))
        _write(writer, [_doc(b), _doc(a)], 400)  # a gets its rows back, b again
        final[a.client_id] = _doc(a)
        assert _contents(writer) == _reference(tmp_path, "r2", list(final.values()))
        # a write that fails after its DELETEs: rolled back, nothing of it stays
        batch = Batch(None)
        batch.add(topics.CLIENT_RESULTS, 0, [Record(_doc(b, drop=("gap_rows",)), 500)])
        batch.offsets[("jatkumo.client-results", 0)] = "not an offset"  # type: ignore[assignment]
        with pytest.raises(Exception):  # noqa: B017 - any error: the point is what follows
            writer.write(batch)
        _write(writer, [_doc(b)], 600)
        assert _contents(writer) == _reference(tmp_path, "r3", list(final.values()))
    finally:
        writer.close()


def test_the_writer_counts_each_relation_it_knows(tmp_path: Path) -> None:
    """Every result relation takes part: a client with rows in all of them, replaced by a
    snapshot with rows in none but clients, keeps only its clients row."""
    results = _rich(_results(60)[0])
    names = [r.name for r in rel.RESULTS if r.name != "clients"]
    writer = Writer(tmp_path / "sink.duckdb")
    try:
        _write(writer, [_doc(r) for r in results])
        covered = {name for name in names if writer.con.execute(
            f"SELECT count(*) FROM {name}").fetchall()[0][0]}
        assert covered == set(names), "the clients give every relation rows"
        _write(writer, [_doc(r, drop=tuple(names)) for r in results], 100)
        for name in names:
            assert writer.con.execute(f"SELECT count(*) FROM {name}").fetchall() == [(0,)]
        assert writer.con.execute("SELECT count(*) FROM clients").fetchall() == \
            [(len(results),)]
    finally:
        writer.close()


def test_a_restarted_writer_replaces_a_client_it_has_rows_of_in_any_relation(
        tmp_path: Path) -> None:
    """The writer skips the DELETEs for clients the file has no rows of; after a restart it
    must still know a client whose only rows are outside `clients` (a snapshot without its
    clients row: written by hand or by an older worker). Taking it for a new one would leave
    its old rows beside the new ones."""
    results = _rich(_results(40)[0])
    a, rest = results[0], results[1:]
    db = tmp_path / "sink.duckdb"
    writer = Writer(db)
    try:
        _write(writer, [_doc(a, drop=("clients",))] + [_doc(r) for r in rest])
        assert writer.con.execute("SELECT count(*) FROM clients WHERE client_id = ?",
                                  [a.client_id]).fetchall() == [(0,)]
    finally:
        writer.close()
    writer = Writer(db)  # a restart: what it knows comes from the file alone
    try:
        _write(writer, [_doc(a)], 100)
        assert _contents(writer) == _reference(
            tmp_path, "ref", [_doc(r) for r in rest] + [_doc(a)])
    finally:
        writer.close()


def test_known_clients_are_found_through_an_index_whatever_their_ids_hold(
        tmp_path: Path) -> None:
    """The file has an index on client_id in every result relation, also after the writer
    rebuilt a file it did not write; a client id is a value in the DELETE, never SQL: ids
    holding quotes, placeholders, statements, a NUL, a direction override, JSON and 100,000
    characters are replaced as any other, and nothing else is touched."""
    results = _rich(_results(40)[0])
    a, b, rest = results[0], results[1], results[2:]
    hostile = ["x') OR true --", "?", "$1", "'; DELETE FROM clients; --", 'a"b', "c\\'",
               "nul\x00byte", "\u202eevil", "[\"a\", {\"b\": 1}]", "%s", "x" * 100_000]
    db = tmp_path / "sink.duckdb"
    duckdb.connect(str(db)).execute("CREATE TABLE clients (client_id VARCHAR)").close()
    writer = Writer(db)  # not its file: rebuilt
    try:
        assert _indexed(writer) == {(r.name, "client_id") for r in rel.RESULTS}
        _write(writer, [_as(_doc(a), h) for h in hostile] + [_doc(r) for r in rest])
        _write(writer, [_as(_doc(b, drop=("gap_rows", "contracts")), h) for h in hostile],
               100)
        final = [_as(_doc(b, drop=("gap_rows", "contracts")), h) for h in hostile]
        assert _contents(writer) == _reference(tmp_path, "ref",
                                               final + [_doc(r) for r in rest])
        for r in rel.RESULTS:  # an older sink's file, with its rows and no index
            writer.con.execute(f"DROP INDEX {r.name}_by_client")
    finally:
        writer.close()
    writer = Writer(db)
    try:
        assert _indexed(writer) == {(r.name, "client_id") for r in rel.RESULTS}
        _write(writer, [_doc(b)], 200)
        assert _contents(writer) == _reference(tmp_path, "ref2",
                                               final + [_doc(r) for r in rest] + [_doc(b)])
    finally:
        writer.close()


def _indexed(writer: Writer) -> set[tuple[str, str]]:
    """(relation, column) of each index of the writer's file."""
    return {(t, sql.split("(")[-1].strip(" );")) for t, sql in writer.con.execute(
        "SELECT table_name, sql FROM duckdb_indexes()").fetchall()}


def _taken(eid: str, client: str, note: str, first: bool) -> bytes:
    """The id stage's changelog record of `eid` taking the version with this payload."""
    text = orjson.dumps({"event_id": eid, "client_id": client, "payload": {"note": note}})
    return pack_id(IdEntry(1_000_000, text.decode(), client, note,
                           meta=(eid, "contract.signed", DAY.toordinal(), "test")), first)


def test_events_keep_the_version_taken_last_whether_or_not_a_record_is_an_ids_first(
        tmp_path: Path) -> None:
    """An id's first record (marked by the id stage) is inserted without looking for its
    row; every later one replaces the row, in a later batch or in the same one."""
    def write(records: list[bytes], offset: int) -> None:
        batch = Batch(None)
        batch.add(topics.EVENT_IDS_CHANGELOG, 0,
                  [Record(r, offset + i) for i, r in enumerate(records)])
        writer.write(batch)

    writer = Writer(tmp_path / "sink.duckdb")
    try:
        write([_taken("e1", "c1", "a", True), _taken("e2", "c1", "a", True)], 0)
        write([_taken("e1", "c2", "b", False), _taken("e3", "c1", "a", True),
               _taken("e3", "c1", "c", False)], 10)
        write([_taken("e2", "c1", "a", False)], 20)  # a duplicate: the same row again
        got = writer.con.execute("SELECT event_id, client_id, payload->>'note' FROM events "
                                 "ORDER BY event_id").fetchall()
        assert got == [("e1", "c2", "b"), ("e2", "c1", "a"), ("e3", "c1", "c")]
    finally:
        writer.close()


def test_the_writer_checkpoints_when_idle_not_in_the_commit_of_a_batch(tmp_path: Path) -> None:
    """A commit does not checkpoint when the WAL passes DuckDB's default threshold (16 MB):
    the batch would stall behind it. An idle sink moves the WAL into the file
    (checkpoint_if_idle), unless there is little of it; the rows are all there after."""
    results = _results(60)[0]
    db = tmp_path / "sink.duckdb"
    wal = Path(f"{db}.wal")
    writer = Writer(db)
    try:
        _write(writer, [_doc(results[0])])
        assert not writer.checkpoint_if_idle(), "a small WAL waits"
        offset = 1
        while wal.stat().st_size < 20 * 1024 * 1024:  # past DuckDB's default threshold
            docs = []
            for i in range(200):
                doc = orjson.loads(_doc(results[i % len(results)]))
                was, doc["client_id"] = doc["client_id"], f"w{offset + i}"
                doc["rows"] = {name: [[doc["client_id"] if v == was else v for v in row]
                                      for row in rows] for name, rows in doc["rows"].items()}
                docs.append(orjson.dumps(doc))
            _write(writer, docs, offset)
            offset += len(docs)
        assert wal.stat().st_size >= 20 * 1024 * 1024, "no commit checkpointed"
        assert writer.checkpoint_if_idle()
        assert not wal.exists() or wal.stat().st_size < 1024 * 1024
        clients = writer.con.execute("SELECT count(*) FROM clients").fetchall()[0][0]
    finally:
        writer.close()
    writer = Writer(db)
    try:
        assert writer.con.execute("SELECT count(*) FROM clients").fetchall() == [(clients,)]
        assert clients == offset
    finally:
        writer.close()


def test_an_id_marked_first_again_replaces_its_row_in_the_same_writer_and_after_a_restart(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The first mark is a hint from a topic: a CI run of the crash test ended with two event
    rows doubled. An id marked first whose row the file has (written by this writer, or by
    an earlier one: a restarted sink) is looked for all the same, and the writer says so."""
    db = tmp_path / "sink.duckdb"

    def write(writer: Writer, records: list[bytes], offset: int) -> None:
        batch = Batch(None)
        batch.add(topics.EVENT_IDS_CHANGELOG, 0,
                  [Record(r, offset + i) for i, r in enumerate(records)])
        writer.write(batch)

    def rows(writer: Writer) -> list[tuple[Any, ...]]:
        return writer.con.execute("SELECT event_id, client_id, payload->>'note' FROM events "
                                  "ORDER BY ALL").fetchall()

    many = [_taken(f"m{i}", "c1", "a", True) for i in range(3000)]
    writer = Writer(db)
    try:
        write(writer, [_taken("e1", "c1", "a", True), *many], 0)
        write(writer, [_taken("e1", "c1", "b", True), _taken("e2", "c1", "a", True)], 5000)
        assert rows(writer)[:2] == [("e1", "c1", "b"), ("e2", "c1", "a")]
    finally:
        writer.close()
    assert "1 event ids marked as their first record may have a row already" in caplog.text
    writer = Writer(db)  # a restarted sink: the ids are the file's, not this writer's
    try:
        write(writer, [_taken("e2", "c2", "c", True), _taken("m7", "c3", "d", True),
                       _taken("e3", "c1", "a", True)], 6000)
        got = rows(writer)
        assert len(got) == 3003 and len(set(got)) == 3003
        assert ("e2", "c2", "c") in got and ("m7", "c3", "d") in got and ("e3", "c1", "a") in got
    finally:
        writer.close()


def test_hostile_ids_marked_first_again_and_again_are_one_row_each(tmp_path: Path) -> None:
    """An attack on the first mark: odd ids (empty, NUL, SQL, 20,000 characters, a line
    separator, astral characters) each marked first in every batch, within a batch and across
    writers: each ends as one row, of the version written last."""
    odd = ["", "\x00", "'; DROP TABLE events; --", "é" * 20_000, "a\u2028b", "\U0001f600" * 9,
           "e1", "E1", " e1"]
    db = tmp_path / "sink.duckdb"
    offset = 0
    for round_ in range(3):
        writer = Writer(db)
        try:
            for note in ("a", "b"):
                batch = Batch(None)
                records = [_taken(eid, "c1", f"{round_}{note}", True) for eid in odd]
                batch.add(topics.EVENT_IDS_CHANGELOG, 0,
                          [Record(r, offset + i) for i, r in enumerate(records + records)])
                offset += 2 * len(records)
                writer.write(batch)
            got = writer.con.execute("SELECT event_id, payload->>'note' FROM events").fetchall()
            assert sorted(got) == sorted((eid, f"{round_}b") for eid in odd)
        finally:
            writer.close()


@pytest.mark.parametrize("mark", [True, 1.0, "1", [1], {"n": 1}, 10**40, -1, None])
def test_a_changelog_record_with_any_other_first_mark_still_replaces_its_row(
        tmp_path: Path, mark: Any) -> None:
    """Only the integer 1 says "first": a record whose mark is anything else (a boolean, a
    float, a string, nested, huge) is looked for like any later record, so it never doubles
    a row; a record too broken to read is skipped, and nothing stops the writer."""
    writer = Writer(tmp_path / "sink.duckdb")
    try:
        batch = Batch(None)
        batch.add(topics.EVENT_IDS_CHANGELOG, 0, [Record(_taken("e1", "c1", "a", True), 0)])
        writer.write(batch)
        doc = orjson.loads(_taken("e1", "c2", "b", False))
        broken = [b"{", b"null", b'{"x": 1}', orjson.dumps({**doc, "m": "not a list"})]
        doc["n"] = mark
        batch = Batch(None)
        hostile = json.dumps(doc).encode()  # the standard library writes 10**40 whole
        batch.add(topics.EVENT_IDS_CHANGELOG, 0, [Record(r, 1 + i) for i, r in
                                                  enumerate([*broken, hostile])])
        writer.write(batch)
        assert writer.con.execute("SELECT event_id, client_id FROM events").fetchall() == \
            [("e1", "c2")]
    finally:
        writer.close()


def _offsets_batch(docs: list[bytes], offsets: dict[int, int]) -> Batch:
    """Snapshots, with the offsets of these partitions of jatkumo.client-results."""
    batch = Batch(None)
    batch.add(topics.CLIENT_RESULTS, 0, [Record(d, i) for i, d in enumerate(docs)])
    batch.offsets = {(topics.CLIENT_RESULTS, p): o for p, o in offsets.items()}
    return batch


def test_offsets_and_the_as_of_date_are_the_files_across_restarts_and_failed_writes(
        tmp_path: Path) -> None:
    """The writer keeps which partitions the file has an offset of, and the file's as-of date,
    instead of asking the file on every write: a restarted writer knows both from the file,
    and a write that failed changed neither."""
    a, b, c = _results(20)[0][:3]
    db = tmp_path / "sink.duckdb"
    later = date(2024, 7, 1)
    writer = Writer(db)
    try:
        writer.write(_offsets_batch([_doc(a, later)], {0: 10, 1: 5}))
        assert writer.offsets() == {(topics.CLIENT_RESULTS, 0): 10,
                                    (topics.CLIENT_RESULTS, 1): 5}
    finally:
        writer.close()
    writer = Writer(db)  # a restart
    try:
        # an earlier as-of date does not move the file's back; p0 moves, p3 is new
        writer.write(_offsets_batch([_doc(b)], {0: 20, 3: 7}))
        assert writer.con.execute("SELECT * FROM as_of").fetchall() == [(later,)]
        # fails in its offsets, after p0's UPDATE (p5's is no offset): none of them stays
        failing = _offsets_batch([_doc(c)], {0: 30, 4: 9})
        failing.offsets[(topics.CLIENT_RESULTS, 5)] = "x"  # type: ignore[assignment]
        with pytest.raises(Exception):  # noqa: B017 - any error: the point is what follows
            writer.write(failing)
        assert writer.offsets() == {(topics.CLIENT_RESULTS, 0): 20,
                                    (topics.CLIENT_RESULTS, 1): 5,
                                    (topics.CLIENT_RESULTS, 3): 7}
        # p4's first offset, now committed, is there (not taken for a row the file has)
        writer.write(_offsets_batch([_doc(c, date(2024, 7, 2))], {4: 11}))
        assert writer.offsets()[(topics.CLIENT_RESULTS, 4)] == 11
        assert writer.con.execute("SELECT * FROM as_of").fetchall() == [(date(2024, 7, 2),)]
        writer.write(_offsets_batch([_doc(a)], {4: 12}))
        assert writer.offsets()[(topics.CLIENT_RESULTS, 4)] == 12
        assert writer.con.execute("SELECT * FROM as_of").fetchall() == [(date(2024, 7, 2),)]
        assert writer.con.execute("SELECT count(*) FROM kafka_offsets").fetchall() == [(4,)]
    finally:
        writer.close()


def test_the_as_of_date_sent_alone_is_the_files_when_no_client_is_and_never_moves_it_back(
        tmp_path: Path) -> None:
    """The worker's refresh sends its as-of date alone (streams/topics.py AS_OF_KEY), so that
    a file with no client (every event a dead letter) has its as_of row as replay's has; a
    date alone moves the file's on as a snapshot's does, never back; one of another shape is
    a dead letter, as a bad snapshot is."""
    later = date(2024, 7, 1)

    def alone(*values: bytes) -> Batch:
        batch = Batch(None)
        batch.add(topics.CLIENT_RESULTS, 1, [Record(v, i, key=topics.AS_OF_KEY)
                                             for i, v in enumerate(values)])
        return batch

    writer = Writer(tmp_path / "sink.duckdb")
    try:
        writer.write(alone(topics.as_of_message(DAY)))
        assert writer.con.execute("SELECT * FROM as_of").fetchall() == [(DAY,)]
        assert _contents(writer)["contracts"] == []
        writer.write(alone(topics.as_of_message(later), topics.as_of_message(DAY)))
        assert writer.con.execute("SELECT * FROM as_of").fetchall() == [(later,)]
        writer.write(alone(topics.as_of_message(DAY)))
        assert writer.con.execute("SELECT * FROM as_of").fetchall() == [(later,)]
        hostile = [b'{"as_of": "2024-07-09"}', b'{"as_of": -1}', b'{"as_of": 1e3}', b"[]",
                   b'{"as_of": 20000, "client_id": "c1"}', b'{"as_of": 99999999999}']
        writer.write(alone(*hostile))
        assert writer.con.execute("SELECT * FROM as_of").fetchall() == [(later,)]
        reasons = writer.con.execute("SELECT reason FROM dead_letters").fetchall()
        assert len(reasons) == len(hostile) and all("as_of is not a day" in r for (r,) in reasons)
    finally:
        writer.close()


def _hostile_results(good: bytes) -> list[bytes]:
    """Client results of every wrong shape the sink could be given: none of them the
    worker's, each to become a dead letter."""
    doc = orjson.loads(good)
    client = doc["client_id"]

    def but(**change: Any) -> bytes:  # the standard library writes any integer whole
        return json.dumps({**doc, **change}).encode()

    def rows(name: str, value: Any) -> bytes:
        return json.dumps({**doc, "rows": {**doc["rows"], name: value}}).encode()

    def of(new: str, name: str, row: list[Any]) -> bytes:
        """The snapshot as another client's (a batch keeps one snapshot a client, the
        latest), with `row` (of that client) as its only row of `name`."""
        moved = {rel: [[new if v == client else v for v in r] for r in got]
                 for rel, got in doc["rows"].items()}
        moved[name] = [[new if v == client else v for v in row]]
        return json.dumps({**doc, "client_id": new, "rows": moved}).encode()

    contract = doc["rows"]["contracts"][0]
    return [
        b"{", b"null", b"[1, 2]", b'"text"', b"",
        but(client_id=None), but(client_id=""), but(client_id=["x"]),
        but(as_of=10**9), but(as_of=-1), but(as_of=True), but(as_of=1.5), but(as_of="738000"),
        but(rows=None), but(rows=[]),
        rows("gap_rows", "not a list"), rows("contracts", [["too", "short"]]),
        rows("contracts", [contract, 7]),
        rows("clients", [["someone-else", None, None, None, None]]),
        of("v1", "contracts", [*contract[:2], None, *contract[3:]]),  # NOT NULL service
        of("v2", "contracts", [*contract[:7], "not a date", *contract[8:]]),
        of("v3", "clients", [client, "not a year", None, None, None]),
        of("v4", "clients", [client, 10**30, None, None, None]),
        of("v5", "clients", [client, "131052-908T", None, None, None]),  # in Arrow's message
        # an identity code in a hostile record is masked in its dead letter
        orjson.dumps({"client_id": "131052-908T", "as_of": "x", "rows": {}}),
    ]


def test_a_client_result_of_any_wrong_shape_is_a_dead_letter_and_the_rest_is_written(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Nothing the sink reads can stop it: a client result that is not the worker's shape,
    or whose values do not fit their columns, becomes a dead letter with its reason and
    origin, and every good snapshot beside it in the batch is written (before, one failed
    the batch's transaction, and the sink stopped on it at every restart)."""
    results = _rich(_results(30)[0])
    good = [_doc(r) for r in results[:5]]
    assert orjson.loads(good[0])["rows"]["contracts"], "the first has a contract to break"
    hostile = _hostile_results(good[0])
    writer = Writer(tmp_path / "sink.duckdb")
    try:
        batch = Batch(None)
        records = [*hostile, *good[1:]]
        batch.add(topics.CLIENT_RESULTS, 2, [Record(v, i) for i, v in enumerate(records)])
        writer.write(batch)
        dead = writer.con.execute("SELECT raw, reason, origin FROM dead_letters").fetchall()
        assert sorted(origin for _, _, origin in dead) == sorted(
            f"{topics.CLIENT_RESULTS}/2/{i}" for i in range(len(hostile)))
        assert all(reason.startswith("client result: ") for _, reason, _ in dead)
        assert not any("908T" in raw + reason for raw, reason, _ in dead), "codes masked"
        assert b"908T" in hostile[-2] and b"908T" in hostile[-1], "codes there to mask"
        assert "908T" not in caplog.text, "nor in the log"
        assert "cannot be written" in caplog.text
        want = _reference(tmp_path, "good", good[1:])
        got = _contents(writer)
        assert got == want
        # a dead letter with an identity code in it, not from the worker: masked too
        batch = Batch(None)
        batch.add(topics.DEAD_LETTERS, 0, [Record(
            b'{"client_hetu": "131052-908T"}', 0,
            [("reason", b"about 131052-908T"), ("origin", b"jatkumo.events/0/9")])])
        writer.write(batch)
        letter = writer.con.execute("SELECT raw, reason FROM dead_letters "
                                    "WHERE origin = 'jatkumo.events/0/9'").fetchall()
        assert len(letter) == 1 and "908T" not in repr(letter), letter
        writer.con.execute("DELETE FROM dead_letters WHERE origin = 'jatkumo.events/0/9'")
        # the same hostile records again (a restart reading them again): one dead letter each
        batch = Batch(None)
        batch.add(topics.CLIENT_RESULTS, 2, [Record(v, i) for i, v in enumerate(hostile)])
        writer.write(batch)
        assert writer.con.execute("SELECT count(*) FROM dead_letters").fetchall() == \
            [(len(hostile),)]
        assert _contents(writer) == want
    finally:
        writer.close()
