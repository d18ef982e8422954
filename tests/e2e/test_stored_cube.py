"""The published cube stored by the writer (analytics/cube_store.py, services/web/published.py):
replay stores the cube the dashboard would build, the web reads it only where it is the cube
of exactly the relations in the file (its k, its handoffs, what it was built from), and every
writer that changes the relations (the sink's flush, the embedded ingest's commit and as-of
move) changes the stored cube in the same transaction. Real DuckDB files throughout; the live
path over real HTTP is in tests/integration/ingest/test_published_live.py."""

import os
import random
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import orjson
import pytest

from analytics import cube_store
from schemas.door import DeadLetter, admit
from services.config import Settings
from services.replay import replay
from services.sink_batch import Batch, Writer
from services.web import published
from services.web.db import Reader, file_connector, file_stamp, with_threshold
from streams import topics
from streams.core import ClientState, Rules, apply, evaluate
from tests.helpers import write_jsonl
from tests.integration.kafka.generate import client_events

KEY = b"stored-cube-test-key"
AS_OF = date(2024, 6, 30)
ROOT = Path(__file__).resolve().parents[2]


def _events(clients: int, seed: int = 3) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for n in range(clients):
        out += client_events(rng, n)
    return [e for e in out if "client_hetu" not in e]  # pseudonyms as they are


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("stored")
    db = d / "r.duckdb"
    replay(write_jsonl(d / "e.jsonl", _events(120)), db, Settings(pseudonym_key=KEY), AS_OF)
    return db


def _copy(db: Path, tmp: Path) -> Path:
    out = tmp / db.name
    shutil.copyfile(db, out)
    return out


def _read(db: Path, k: int = 5) -> duckdb.DuckDBPyConnection:
    return with_threshold(file_connector(db), k)()


def _form(cube: published.Cube) -> tuple[object, object]:
    return published.stored_form(cube)


def test_replay_stores_the_cube_the_dashboard_would_build(replayed: Path) -> None:
    handoffs = Rules().handoffs
    con = _read(replayed)
    try:
        stored = published.load(con, handoffs)
        built = published.build(con, handoffs)
    finally:
        con.close()
    assert stored is not None
    assert len(built.cells.text) > 100 and any(t.startswith("<") for t in built.cells.text.values())
    assert _form(stored) == _form(built)
    assert stored == built  # every list and cell, as the pages use them


def test_the_web_reads_the_stored_cube_and_builds_only_when_it_is_not_for_it(
        replayed: Path, tmp_path: Path) -> None:
    handoffs = Rules().handoffs
    reader = Reader(with_threshold(file_connector(replayed), 5), file_stamp(replayed))
    pub = published.Published(reader, handoffs)
    whole = pub.cube_sync(published.WHOLE)
    assert pub.source == "stored" and whole.k == 5
    # another threshold: the stored cube is not that one's
    other = published.Published(Reader(with_threshold(file_connector(replayed), 10),
                                       file_stamp(replayed)), handoffs)
    assert other.cube_sync(published.WHOLE).k == 10 and other.source == "built"
    # other handoffs (a later date for the same name): not theirs either
    moved = Rules(cutover=date(2023, 2, 1)).handoffs
    con = _read(replayed)
    try:
        assert published.load(con, moved) is None
        assert published.load(con, handoffs, k=10) is None
    finally:
        con.close()


def test_a_cube_stored_by_another_version_of_the_suppression_is_built_again(
        replayed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file replayed before a change of the suppression kept the old pattern, which the
    web served (one an attack had pinned counts in, 2026-12-05)."""
    con = _read(replayed)
    try:
        assert published.load(con, Rules().handoffs, k=5) is not None
        monkeypatch.setattr(published, "SUPPRESSION_VERSION", published.SUPPRESSION_VERSION + 1)
        assert published.load(con, Rules().handoffs, k=5) is None
    finally:
        con.close()


def test_a_file_changed_behind_the_cubes_back_is_noticed_and_the_cube_built(
        replayed: Path, tmp_path: Path) -> None:
    db = _copy(replayed, tmp_path)
    con = duckdb.connect(str(db))
    try:  # a writer that does not know the stored cube: it does not invalidate it
        con.execute("DELETE FROM gap_rows WHERE ended_on IS NULL AND gap_type = "
                    "(SELECT min(gap_type) FROM gap_rows WHERE ended_on IS NULL)")
    finally:
        con.close()
    con = _read(db)
    try:
        assert published.load(con, Rules().handoffs) is None
    finally:
        con.close()
    pub = published.Published(Reader(with_threshold(file_connector(db), 5), file_stamp(db)),
                              Rules().handoffs)
    pub.cube_sync(published.WHOLE)
    assert pub.source == "built"


def test_the_cube_is_the_same_in_every_process(replayed: Path) -> None:
    """The suppression picks the same cells at every build: two builds that differed would be
    two patterns of the same counts, and a reader could compare them (string hashes, and so
    set orders, differ per process; DuckDB's row order differs with its threads)."""
    code = ("import sys, hashlib, orjson; from pathlib import Path; "
            "from services.web import published as P; "
            "from services.web.db import file_connector, with_threshold; "
            "con = with_threshold(file_connector(Path(sys.argv[1])), 5)(); "
            "con.execute(f'SET threads = {sys.argv[2]}'); "
            "layout, cells = P.stored_form(P.build(con, P.configured_handoffs())); "
            "print(hashlib.sha256(orjson.dumps([layout, sorted((list(k), v) for k, v in "
            "cells.items())])).hexdigest())")
    digests = set()
    # the queries' rows come in another order with another number of DuckDB threads (each
    # run a process of its own, some 3 s of CPU: four, each with its own seed and threads)
    for seed, threads in zip(map(str, range(1, 5)), "1234", strict=True):
        env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
        env["PYTHONHASHSEED"] = seed
        done = subprocess.run([sys.executable, "-c", code, str(replayed), threads],
                              capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def _batch(clients: int, seed: int) -> Batch:
    """The sink's batch of client results for `clients` clients, as the worker sends them."""
    rng = random.Random(seed)
    batch = Batch(KEY)
    states: dict[str, ClientState] = {}
    for n in range(clients):
        for e in client_events(rng, n):
            e = {**e, "client_id": f"s{seed}-{n}"}
            e.pop("client_hetu", None)
            event = admit(orjson.dumps(e), "t", KEY)
            if not isinstance(event, DeadLetter):
                apply(states.setdefault(event.client, ClientState(event.client)), event)
    for client, state in states.items():
        result = evaluate(state, AS_OF, Rules())
        batch.results[client] = orjson.loads(topics.result_message(result, AS_OF, 0))
    batch.offsets[(topics.CLIENT_RESULTS, 0)] = clients
    return batch


def _open_gaps(db_con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(db_con.execute("SELECT gap_type, count(*) FROM continuity_gaps WHERE is_open "
                               "GROUP BY ALL").fetchall())


def test_a_sink_flush_changes_the_stored_cube_in_its_transaction(tmp_path: Path) -> None:
    db = tmp_path / "sink.duckdb"
    writer = Writer(db)
    try:
        writer.write(_batch(40, 1))
        assert writer.con.execute("SELECT count(*) FROM published_cube").fetchall() == [(0,)]
        assert published.ensure_stored(writer.con)  # what the live snapshot does
        assert not published.ensure_stored(writer.con)  # current: not built again
        writer.write(_batch(30, 2))  # the flush invalidates it with its rows
        assert writer.con.execute("SELECT count(*) FROM published_cube").fetchall() == [(0,)]
    finally:
        writer.close()  # and the closing sink stores the cube of its last rows
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JATKUMO_SUPPRESS_BELOW", "1")  # k = 1: every count shown as it is
        writer = Writer(db)
        try:
            writer.write(_batch(25, 3))
        finally:
            writer.close()
    con = _read(db, k=1)
    try:
        cube = published.load(con, Rules().handoffs)
        assert cube is not None, "the closing sink stored no cube"
        want = _open_gaps(con)
    finally:
        con.close()
    assert sum(want.values()) > 0
    for gap_type in published.GAP_TYPES:  # the stored figures are the file's relations
        assert cube.value("gap", gap_type, "*", "*", "*") == want.get(gap_type, 0)


def test_the_sink_forgets_a_cube_stored_after_its_last_flush_and_after_a_failed_one(
        tmp_path: Path) -> None:
    """The sink's writer deletes the stored cube only when one may be there (a flush after
    a flush finds nothing to delete), so it must notice every cube stored since, and a
    flush whose DELETE was rolled back."""
    db = tmp_path / "sink.duckdb"
    writer = Writer(db)
    stored = "SELECT count(*) FROM published_cube"
    try:
        writer.write(_batch(20, 1))
        assert published.ensure_stored(writer.con)
        writer.write(_batch(10, 2))
        writer.write(_batch(10, 3))  # nothing stored since: nothing to forget
        assert writer.con.execute(stored).fetchall() == [(0,)]
        assert published.ensure_stored(writer.con)  # stored again after the last flush
        failing = _batch(10, 4)
        failing.offsets[(topics.CLIENT_RESULTS, 0)] = "not an offset"  # type: ignore[assignment]
        with pytest.raises(Exception):  # noqa: B017 - any error: the point is what follows
            writer.write(failing)  # fails after its DELETE of the cube: rolled back
        assert writer.con.execute(stored).fetchall() == [(1,)]
        writer.write(_batch(10, 5))
        assert writer.con.execute(stored).fetchall() == [(0,)]
    finally:
        writer.close()


def test_an_ingest_commit_and_an_as_of_move_change_the_stored_cube(tmp_path: Path) -> None:
    from services.ingest.embedded import Embedded, Item

    db = tmp_path / "live.duckdb"
    embedded = Embedded(db, Settings(pseudonym_key=KEY), lambda: AS_OF)
    try:
        embedded.open()
        assert published.ensure_stored(embedded.con)
        lines = [orjson.dumps(e) for e in _events(30, seed=5)]
        embedded.take([Item(raw, f"test:{i}") for i, raw in enumerate(lines)])
        assert embedded.con.execute("SELECT count(*) FROM published_cube").fetchall() == [(0,)]
        assert published.ensure_stored(embedded.con)
        embedded.move_as_of(date(2024, 9, 30))
        assert embedded.con.execute("SELECT count(*) FROM published_cube").fetchall() == [(0,)]
        assert published.ensure_stored(embedded.con)
        stored = published.load(embedded.con, Rules().handoffs, k=5)
        built = published.build(embedded.con, Rules().handoffs, k=5)
        assert stored is not None and stored.as_of == date(2024, 9, 30)
        assert _form(stored) == _form(built)
    finally:
        embedded.close()


def test_the_stored_relations_hold_their_grain(replayed: Path) -> None:
    from analytics import relations as rel
    from analytics.audit import audit_relation

    con = duckdb.connect(str(replayed), read_only=True)
    try:
        for relation in (rel.PUBLISHED_CUBE, rel.PUBLISHED_CELLS):
            assert audit_relation(con, relation) == []
        n = con.execute("SELECT count(*) FROM published_cells").fetchall()[0][0]
        assert n > 100
        # only published texts: a count, <k, .. or –
        shown = {r[0] for r in con.execute("SELECT DISTINCT shown FROM published_cells"
                                           ).fetchall()}
        assert all(t.isdigit() or t in ("<5", "..", "–") for t in shown)
        assert cube_store.built_from(con).startswith("2024-06-30|")
    finally:
        con.close()


def test_a_live_writer_on_a_file_from_before_the_stored_cube_stores_one(
        replayed: Path, tmp_path: Path) -> None:
    """The sink and the embedded ingest keep their file across versions: one written before
    the cube was stored has neither table, and the first snapshot creates them."""
    db = _copy(replayed, tmp_path)
    con = duckdb.connect(str(db))
    try:
        con.execute("DROP TABLE published_cells")
        con.execute("DROP TABLE published_cube")
        cube_store.invalidate(con)  # a commit on such a file: nothing to forget
        assert published.load(con, Rules().handoffs, k=5) is None
        assert published.ensure_stored(con)
        stored = published.load(con, Rules().handoffs, k=5)
        assert stored is not None and stored == published.build(con, Rules().handoffs, k=5)
    finally:
        con.close()
