"""The embedded live mode (services.ingest.embedded) against a real DuckDB file: batches in any
order and size leave exactly the relations replay leaves for the same events and as-of date,
and a reopened file (a restart) is the same again."""

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from services.config import Settings
from services.ingest.embedded import Embedded, Item
from tests.helpers import KEY, read_relations, replay_db
from tests.integration.kafka.generate import lines

AS_OF = date(2024, 6, 30)
SETTINGS = Settings(pseudonym_key=KEY)


def _embedded(db: Path) -> Embedded:
    e = Embedded(db, SETTINGS, lambda: AS_OF)
    e.open()
    return e


def _feed(e: Embedded, raws: list[str], rng: random.Random) -> list[str]:
    statuses = []
    i = 0
    while i < len(raws):
        n = rng.randint(1, 40)
        answers = e.take([Item(r.encode(), f"test:{i + j}") for j, r in enumerate(raws[i:i + n])])
        statuses += [a.status for a in answers]
        i += n
    return statuses


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batches_leave_what_replay_leaves_and_a_restart_changes_nothing(
        tmp_path: Path, seed: int) -> None:
    raws = list(lines(60, seed=seed, malformed=5))
    rng = random.Random(seed)
    db = tmp_path / "live.duckdb"
    e = _embedded(db)
    statuses = _feed(e, raws, rng)
    e.close()
    assert "duplicate" in statuses or seed != 1  # the generator duplicates some deliveries
    want = replay_db(tmp_path, raws, AS_OF, key=KEY)
    got = read_relations(db)
    for name in want:
        if name == "dead_letters":  # origins differ by design (file:line vs the request)
            assert sorted((r[0], r[1]) for r in got[name]) == sorted(
                (r[0], r[1]) for r in want[name])
        else:
            assert got[name] == want[name], name
    again = _embedded(db)  # the restart: the log read back, every relation rewritten
    again.close()
    assert read_relations(db) == got


def test_an_event_sent_again_is_a_duplicate_and_stored_once(tmp_path: Path) -> None:
    raws = list(lines(3, seed=5))
    e = _embedded(tmp_path / "x.duckdb")
    first = e.take([Item(r.encode(), "t") for r in raws])
    second = e.take([Item(r.encode(), "t") for r in raws])
    assert {a.status for a in second} == {"duplicate"}
    assert sum(a.status == "accepted" for a in first) == e.con.execute(
        "SELECT count(*) FROM event_log").fetchone()[0]  # type: ignore[index]
    e.close()


def test_a_source_other_than_the_tokens_is_a_dead_letter(tmp_path: Path) -> None:
    raw = next(iter(lines(1, seed=3)))
    e = _embedded(tmp_path / "x.duckdb")
    (a,) = e.take([Item(raw.encode(), "http:t", source="someone:else")])
    assert a.status == "dead_letter" and "source" in (a.reason or "")
    assert e.con.execute("SELECT count(*) FROM events").fetchone() == (0,)
    e.close()


@pytest.mark.parametrize("seed", [4, 5])
def test_events_sharing_an_id_end_as_in_replay_whatever_the_batches(
        tmp_path: Path, seed: int) -> None:
    """SPEC.md 1.4: versions under one id with other contents, under other clients, earlier,
    later and at the same time, sent in random batches and order."""
    import json

    rng = random.Random(seed)
    raws = list(lines(40, seed=seed))
    objs = [json.loads(r) for r in raws if r.startswith("{")]
    extra = []
    for obj in rng.sample([o for o in objs if "client_id" in o], 12):
        other = dict(obj)
        other["client_id"] = rng.choice(("c-elsewhere", obj["client_id"]))
        other["source"] = rng.choice(("another:system", obj["source"] + "-x"))
        other["occurred_at"] = rng.choice((obj["occurred_at"], "2020-01-01T00:00:00+00:00",
                                           "2025-01-01T00:00:00+00:00"))
        extra += [json.dumps(other)] * rng.randint(1, 2)
    raws += extra
    rng.shuffle(raws)
    db = tmp_path / "live.duckdb"
    e = _embedded(db)
    _feed(e, raws, rng)
    e.close()
    want = replay_db(tmp_path, raws, AS_OF, key=KEY)
    got = read_relations(db)
    assert any(r[1].startswith("conflicting_event_id") for r in want["data_issues"])
    for name in want:
        if name != "dead_letters":
            assert got[name] == want[name], name


def test_the_daily_move_gives_what_replay_gives_on_the_new_day(tmp_path: Path) -> None:
    raws = list(lines(30, seed=8))
    db = tmp_path / "live.duckdb"
    e = _embedded(db)
    _feed(e, raws, random.Random(8))
    later = date(2024, 7, 31)
    e.move_as_of(later)
    e.close()
    want = replay_db(tmp_path, raws, later, key=KEY)
    got = read_relations(db)
    assert got["as_of"] == [(later,)]
    for name in want:
        if name != "dead_letters":
            assert got[name] == want[name], name


def test_day_by_day_moves_evaluate_only_clients_due_and_equal_replay(tmp_path: Path) -> None:
    """Issue 14's daily move: each move re-evaluates only the clients whose next breakpoint
    (streams.core.horizon) has come; the others' open gaps just grow. After a month of daily
    moves, and on a day in between, the relations are replay's on that day."""
    raws = list(lines(40, seed=9))
    db = tmp_path / "live.duckdb"
    e = _embedded(db)
    _feed(e, raws, random.Random(9))
    clients = len(e.states)
    start = e.as_of
    evaluated = []
    for n in range(1, 32):
        evaluated.append(e.move_as_of(start + timedelta(days=n)))
        if n == 9:  # compared on a day in between, then started again (a full rewrite)
            e.close()
            mid = read_relations(db)
            want = replay_db(tmp_path, raws, start + timedelta(days=n), key=KEY, name="mid")
            for name in want:
                if name != "dead_letters":
                    assert mid[name] == want[name], (n, name)
            e = Embedded(db, SETTINGS, lambda: start + timedelta(days=9))
            e.open()
    e.close()
    assert sum(evaluated) < 31 * clients // 2, (evaluated, clients)
    want = replay_db(tmp_path, raws, start + timedelta(days=31), key=KEY)
    got = read_relations(db)
    for name in want:
        if name != "dead_letters":
            assert got[name] == want[name], name


def test_midnight_is_counted_in_helsinki_time() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from services.ingest.live import seconds_to_midnight

    hki = ZoneInfo("Europe/Helsinki")
    assert seconds_to_midnight(datetime(2024, 3, 30, 23, 59, 0, tzinfo=hki)) == 60
    # the night the clocks go forward (31.3.2024, 03:00 -> 04:00) is an hour short
    assert seconds_to_midnight(datetime(2024, 3, 31, 0, 0, 0, tzinfo=hki)) == 23 * 3600


def test_identical_versions_in_other_bytes_are_stored_as_replay_stores_them(
        tmp_path: Path) -> None:
    """SPEC.md 1.4: the same event twice, its keys in another order, is one event with no
    data issue, and the events relation holds the same text whichever came first, in one
    batch or two, before and after a restart: replay's (the version's canonical text)."""
    import json

    raw = next(r for r in lines(20, seed=6) if '"contract.signed"' in r)
    obj = json.loads(raw)
    other = json.dumps({k: obj[k] for k in reversed(obj)} | {
        "payload": {k: obj["payload"][k] for k in reversed(obj["payload"])}})
    assert other != raw and json.loads(other) == obj
    want = replay_db(tmp_path, [raw, other], AS_OF, key=KEY)
    assert want["data_issues"] == [] and len(want["events"]) == 1
    for n, (batches, restart) in enumerate([([[raw, other]], False), ([[other], [raw]], True),
                                            ([[raw], [other]], True)]):
        db = tmp_path / f"live-{n}.duckdb"
        e = _embedded(db)
        statuses = [a.status for b in batches for a in e.take(
            [Item(r.encode(), "t") for r in b])]
        assert statuses == ["accepted", "duplicate"], batches
        e.close()
        if restart:
            _embedded(db).close()
        got = read_relations(db)
        assert got["events"] == want["events"] and got["data_issues"] == [], (n, batches)


def test_a_client_known_only_by_a_losing_version_has_no_clients_row(tmp_path: Path) -> None:
    """A hunt (2026-12-06): two client.registered under one event id, c1's later (it wins)
    and c2's earlier. replay lists c2's version in data_issues and makes no clients row for
    c2, as no event of c2 was taken; the ingest made an all-NULL one. Either order, one
    batch or two, and after a restart."""
    import json

    def registered(client: str, at: str) -> str:
        return json.dumps({
            "event_id": "6f1c2d3e-0000-4000-8000-000000000001",
            "event_type": "client.registered", "schema_version": 1, "occurred_at": at,
            "source": "workshop:PAJA-OULU-1", "client_id": client,
            "payload": {"birth_year": 2003, "home_municipality": "564", "referred_by": "self",
                        "registered_on": "2023-01-02"}})

    win, lose = registered("c1", "2023-01-02T08:00:00+00:00"), registered(
        "c2", "2023-01-01T08:00:00+00:00")
    want = replay_db(tmp_path, [win, lose], AS_OF, key=KEY)
    assert [r[0] for r in want["clients"]] == ["c1"]
    assert [r[0] for r in want["data_issues"]] == ["6f1c2d3e-0000-4000-8000-000000000001"]
    for n, batches in enumerate([[[win, lose]], [[lose], [win]], [[win], [lose]]]):
        db = tmp_path / f"live-{n}.duckdb"
        e = _embedded(db)
        for b in batches:
            e.take([Item(r.encode(), "t") for r in b])
        e.close()
        got = read_relations(db)
        _embedded(db).close()  # a restart rewrites every relation from the log
        assert read_relations(db) == got
        for name in ("clients", "data_issues", "events"):
            assert got[name] == want[name], (n, name)


def test_an_event_sent_by_identity_code_is_stored_as_replay_stores_it(tmp_path: Path) -> None:
    """A line that names its client by identity code, with a null optional field, its keys in
    an order of the source's own and blanks between them: ingest keeps the text replay keeps
    (the door's object, the code replaced by the pseudonym and nothing else changed), and the
    code is in no relation."""
    import json

    from tests import helpers as h

    code = "131052-308T"
    made = [h.registered("2024-01-02", hetu=code), h.signed("k1", "2024-01-03", hetu=code)]
    made[1]["payload"]["planned_end_date"] = None
    raws = []
    for obj in made:
        raws.append(json.dumps({k: obj[k] for k in reversed(obj)}))  # blanks, another order
    assert all('"planned_end_date": null' in r for r in raws[1:])
    want = replay_db(tmp_path, raws, AS_OF, key=KEY)
    e = _embedded(tmp_path / "live.duckdb")
    assert [a.status for a in e.take([Item(r.encode(), "t") for r in raws])] == ["accepted"] * 2
    e.close()
    got = read_relations(tmp_path / "live.duckdb")
    assert got["events"] == want["events"] and len(got["events"]) == 2
    assert code not in repr(got) and code not in repr(want)
    assert "planned_end_date" in repr(got["events"])  # the null the source wrote is kept
