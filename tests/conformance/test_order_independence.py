"""SPEC.md 1.4: 'the same set of events, in any order, gives the same relations' and 'a second
event with the same id is ignored'. A property over random scenarios: shuffling the events and
repeating some of them never changes any relation."""

import random
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import helpers as h

BASE = date(2022, 10, 1)
CLIENTS = ("c1", "c2")
CONTRACTS = ("k1", "k2", "k3")
REFERRALS = ("r1", "r2")
ORGS = (h.OULU, h.WBA, "municipality:139")
# A few instants only, so corrections often tie on occurred_at and the event id decides.
INSTANTS = ("2023-01-01T10:00:00+00:00", "2023-01-01T12:00:00+02:00",
            "2023-02-01T08:00:00+00:00", "2023-03-01T08:00:00+00:00")


@st.composite
def one_event(draw: st.DrawFn, n: int) -> dict[str, Any]:
    def day() -> date:
        return BASE + timedelta(days=draw(st.integers(0, 270)))

    kw = {"client": draw(st.sampled_from(CLIENTS)), "occurred_at": draw(st.sampled_from(INSTANTS)),
          "event_id": str(uuid.UUID(int=n + 1))}
    k = draw(st.sampled_from(CONTRACTS[:1] * 3 + CONTRACTS))
    r = draw(st.sampled_from(REFERRALS))
    kind = draw(st.integers(0, 13))
    maybe = st.none() | st.integers(1, 5)
    if kind == 0:
        return h.registered(day(), **kw)
    if kind in (1, 2):
        return h.signed(k, day(), service=draw(st.sampled_from(("KTT", "SOSKU", "NUPA"))),
                        organizer=draw(st.sampled_from(ORGS)),
                        kind=draw(st.sampled_from(("municipal", "company", "third_sector"))),
                        planned_end=draw(st.none() | st.just(day())),
                        days=draw(maybe), hours=draw(st.none() | st.integers(1, 8)), **kw)
    if kind == 3:
        return h.amended(k, day(), planned_end=day(), days=draw(maybe), **kw)
    if kind == 4:
        return h.suspended(k, day(), **kw)
    if kind == 5:
        return h.resumed(k, day(), **kw)
    if kind == 6:
        reason = draw(st.sampled_from(("education", "completed", "interrupted", "moved_away")))
        return h.ended(k, day(), reason=reason, **kw)
    if kind == 7:
        return h.transferred(k, day(), to=draw(st.sampled_from(ORGS)), **kw)
    if kind == 8:
        return h.assigned(draw(st.sampled_from(("w1", "w2"))), draw(st.sampled_from(ORGS)),
                          day(), **kw)
    if kind == 9:
        return h.unassigned(draw(st.sampled_from(("w1", "w2"))), draw(st.sampled_from(ORGS)),
                            day(), **kw)
    if kind in (10, 11):
        # a handful of days, so that two records for one contract and day are common
        return h.attendance(k, BASE + timedelta(days=draw(st.integers(100, 103))),
                            draw(st.booleans()), **kw)
    if kind == 12:
        return h.referral_made(r, day(), target=draw(st.sampled_from(
            ("mental_health", "education"))), **kw)
    if draw(st.booleans()):
        return h.referral_started(r, day(), **kw)
    return h.referral_closed(r, day(), **kw)


@st.composite
def scenario(draw: st.DrawFn, max_events: int = 30) -> tuple[list[dict[str, Any]], date | None]:
    size = draw(st.integers(1, max_events))
    events = [draw(one_event(n)) for n in range(size)]
    # Corrections: a second version of some facts, with another occurred_at and event id.
    for e in list(events):
        if draw(st.integers(0, 2)) == 0:
            events.append(_correction(e, draw(st.sampled_from(INSTANTS)), len(events), draw))
    as_of = draw(st.none() | st.builds(lambda n: BASE + timedelta(days=n), st.integers(60, 300)))
    return events, as_of


def _correction(e: dict[str, Any], at: str, n: int, draw: st.DrawFn) -> dict[str, Any]:
    c = {**e, "payload": dict(e["payload"]), "occurred_at": at,
         "event_id": str(uuid.UUID(int=n + 1))}
    p = c["payload"]
    if "present" in p:
        p["present"] = not p["present"]
    elif "end_date" in p:
        p["end_date"] = (BASE + timedelta(days=draw(st.integers(0, 270)))).isoformat()
        p["reason"] = draw(st.sampled_from(("employment", "other")))
    elif "to_organizer" in p:
        p["to_organizer"] = draw(st.sampled_from(ORGS))
    elif "target" in p:
        p["target"] = draw(st.sampled_from(("substance_abuse", "health")))
    elif "organizer" in p:
        p["organizer"] = draw(st.sampled_from(ORGS))
    return c


def shuffled_with_duplicates(events: list[dict[str, Any]], rnd: random.Random
                             ) -> list[dict[str, Any]]:
    out = events + [dict(e) for e in rnd.choices(events, k=rnd.randint(1, len(events)))]
    rnd.shuffle(out)
    return out


def core_relations(events: list[dict[str, Any]], as_of: date | None) -> tuple[Any, ...]:
    r = h.run_core(events, as_of)
    return (r.gaps, r.contracts, r.handoffs, r.violations, r.issues)


@settings(max_examples=250, deadline=None)
@given(scenario(), st.randoms(use_true_random=False))
def test_shuffling_and_duplicating_events_never_changes_the_core_results(
        sc: tuple[list[dict[str, Any]], date | None], rnd: random.Random) -> None:
    events, as_of = sc
    assert core_relations(shuffled_with_duplicates(events, rnd), as_of) == core_relations(
        events, as_of)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(max_events=40), st.randoms(use_true_random=False))
def test_shuffling_and_duplicating_events_never_changes_any_duckdb_relation(
        sc: tuple[list[dict[str, Any]], date | None], rnd: random.Random) -> None:
    events, as_of = sc
    with tempfile.TemporaryDirectory() as tmp:
        first = h.replay_db(Path(tmp), events, as_of, name="ordered")
        second = h.replay_db(Path(tmp), shuffled_with_duplicates(events, rnd), as_of,
                             name="shuffled")
    assert first == second
    assert len(first["events"]) == len(events)


def test_a_fixed_rich_scenario_replays_to_the_same_relations_in_reverse_order(
        tmp_path: Path) -> None:
    rnd = random.Random(20230101)
    events = _fixed_scenario(rnd)
    first = h.replay_db(tmp_path, events, "2023-05-31", name="forward")
    second = h.replay_db(tmp_path, list(reversed(events)) + events[:10], "2023-05-31",
                         name="reverse")
    assert first == second
    assert first["continuity_gaps"] and first["handoff_status"]


def _fixed_scenario(rnd: random.Random) -> list[dict[str, Any]]:
    evs: list[dict[str, Any]] = []
    for i in range(20):
        c = f"c{i}"
        start = BASE + timedelta(days=rnd.randint(0, 60))
        evs += [h.signed("k1", start, client=c), h.assigned("w1", h.OULU, start, client=c),
                h.attendance("k1", start + timedelta(days=3), client=c)]
        if rnd.random() < 0.7:
            evs.append(h.transferred("k1", date(2023, 1, 1) + timedelta(days=rnd.randint(-5, 40)),
                                     client=c))
        if rnd.random() < 0.5:
            evs.append(h.ended("k1", date(2023, 3, 1) + timedelta(days=rnd.randint(0, 30)),
                               reason=rnd.choice(("completed", "education")), client=c))
        if rnd.random() < 0.5:
            evs.append(h.referral_made("r1", date(2023, 2, 1), client=c))
    return evs


def test_a_parallel_replay_leaves_the_same_relations_as_an_inline_one(tmp_path: Path) -> None:
    events: list[Any] = _fixed_scenario(random.Random(7))
    events += ["not json", h.ended("k1", "2023-03-01", client="c3")]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    inline = h.replay_db(tmp_path / "a", events, "2023-05-31", workers=1)
    parallel = h.replay_db(tmp_path / "b", events, "2023-05-31", workers=2)
    strip = [(raw, reason, origin.replace("/b/", "/a/")) for raw, reason, origin in
             parallel.pop("dead_letters")]
    assert strip == inline.pop("dead_letters")
    assert parallel == inline


@pytest.mark.parametrize("workers", [1, 2])
def test_an_event_id_seen_before_for_another_client_is_one_event(tmp_path: Path, workers: int
                                                                 ) -> None:
    """SPEC.md 1.4: the later occurred_at is taken, whichever came first and in whichever
    partition; the other content is a data issue."""
    first = h.signed("k1", "2022-09-01", client="c1")
    again = h.signed("k7", "2022-09-01", client="c2", event_id=first["event_id"],
                     occurred_at="2023-01-01T13:00:00+00:00")
    rel = h.replay_db(tmp_path, [first, again], "2023-03-31", workers=workers)
    assert [(e[0], e[5]) for e in rel["events"]] == [(first["event_id"], "c2")]
    assert [c[:2] for c in rel["contracts"]] == [("k7", "c2")]
    assert rel["data_issues"] == [(first["event_id"], "conflicting_event_id")]
