"""SPEC.md 1.4: events that share an event_id count as one, in any order, whichever clients or
partitions they belong to. Each case runs through the in-process replay and through the worker
processes (forced, with the clients of one id in different partitions), and both must equal the
replay of the file that holds only the versions taken, plus a data issue per losing content."""

import json
import random
import zlib
from pathlib import Path
from typing import Any

import duckdb
import pytest

from services.config import Settings
from services.replay import ReplayReport, replay
from streams.core.event_ids import CONFLICT
from tests.helpers import KEY, attendance, new_id, registered, signed

RELATIONS = ("as_of", "events", "contracts", "continuity_gaps", "handoff_status",
             "compliance_violations", "data_issues", "clients", "referrals")
MODES = {"one process": {"workers": 1}, "two workers": {"workers": 2, "partitions": 2},
         "five partitions": {"workers": 2, "partitions": 5}}
T10, T11 = "2023-01-10T10:00:00+00:00", "2023-01-10T11:00:00+00:00"


def _clients_apart() -> tuple[str, str]:
    """Two client ids whose lines land in different partitions of two (services/partition)."""
    names = [f"c{i}" for i in range(20)]
    a = names[0]
    b = next(n for n in names if zlib.crc32(n.encode()) % 2 != zlib.crc32(a.encode()) % 2)
    return a, b


A, B = _clients_apart()


def relations(db: Path, *, as_stored: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every relation's rows, sorted; the events' payloads as JSON values (an event taken
    from one line keeps that line's text: its key order and spaces), unless `as_stored`."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = {name: con.execute(f"SELECT * FROM {name}").fetchall() for name in RELATIONS}
        at = [d[0] for d in con.execute("SELECT * FROM events LIMIT 0").description].index(
            "payload")
    finally:
        con.close()
    if not as_stored:
        got["events"] = [(*r[:at], json.dumps(json.loads(r[at]), sort_keys=True), *r[at + 1:])
                         for r in got["events"]]
    return {name: sorted(rows, key=repr) for name, rows in got.items()}


def run(tmp: Path, name: str, lines: list[str], *, as_stored: bool = False, **kw: Any
        ) -> tuple[ReplayReport, dict[str, list[tuple[Any, ...]]]]:
    src = tmp / f"{name}.jsonl"
    src.write_text("".join(x + "\n" for x in lines))
    db = tmp / f"{name}.duckdb"
    report = replay(src, db, Settings(pseudonym_key=KEY), None, **kw)
    return report, relations(db, as_stored=as_stored)


def background(client: str) -> list[dict[str, Any]]:
    """A client with a contract and attendance, so that every relation has rows."""
    return [registered("2022-01-01", client=client),
            signed(f"k-{client}", "2022-10-03", client=client),
            attendance(f"k-{client}", "2022-12-01", client=client),
            attendance(f"k-{client}", "2023-01-09", client=client)]


def case_lines() -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]], int, int]]:
    """name -> (every line, the lines taken, duplicates, losing contents)."""
    out = {}
    i = new_id()
    v = attendance(f"k-{A}", "2023-01-05", client=A, event_id=i, occurred_at=T10)
    out["identical"] = ([v, v, dict(v)], [v], 2, 0)

    i = new_id()
    early = attendance(f"k-{A}", "2023-01-05", client=A, event_id=i, occurred_at=T10)
    late = attendance(f"k-{A}", "2023-01-05", present=False, client=A, event_id=i,
                      occurred_at=T11)
    out["later occurred_at wins"] = ([early, late, early], [late], 1, 1)

    i = new_id()
    x = attendance(f"k-{A}", "2023-01-05", client=A, event_id=i, occurred_at=T10)
    y = attendance(f"k-{A}", "2023-01-06", client=A, event_id=i, occurred_at=T10)
    winner = max((x, y), key=lambda e: json.dumps(e, sort_keys=True, separators=(",", ":")))
    out["tie: greatest canonical text"] = ([x, y], [winner], 0, 1)

    i = new_id()
    v1 = attendance(f"k-{A}", "2023-01-04", client=A, event_id=i, occurred_at=T10)
    v2 = attendance(f"k-{A}", "2023-01-05", client=A, event_id=i, occurred_at=T11)
    v3 = attendance(f"k-{A}", "2023-01-03", client=A, event_id=i,
                    occurred_at="2023-01-10T12:00:00+00:00")
    out["three versions"] = ([v1, v2, v3, v1, v2], [v3], 2, 2)

    i = new_id()
    a = signed("k-x", "2022-11-01", client=A, event_id=i, occurred_at=T10)
    b = signed("k-x", "2022-11-01", client=B, event_id=i, occurred_at=T11)
    out["one id under two clients"] = ([a, b], [b], 0, 1)

    i = new_id()
    a = signed("k-y", "2022-11-01", client=A, event_id=i, occurred_at=T11)
    b = signed("k-y", "2022-11-01", client=B, event_id=i, occurred_at=T10)
    out["one id under two clients, the first client's taken"] = ([b, a, b], [a], 1, 1)

    i = new_id()  # the losing version held the latest effective date: the as-of date moves
    lose = attendance(f"k-{B}", "2023-03-01", client=B, event_id=i, occurred_at=T10)
    win = attendance(f"k-{B}", "2023-01-08", client=B, event_id=i, occurred_at=T11)
    out["the loser held the latest date"] = ([lose, win], [win], 0, 1)
    return out


CASES = case_lines()


@pytest.mark.parametrize("case", list(CASES))
def test_events_sharing_an_id_count_as_one_in_every_driver_and_order(
        tmp_path: Path, case: str) -> None:
    every, taken, duplicates, losers = CASES[case]
    base = background(A) + background(B)
    expected_report, expected = run(tmp_path, "taken", [json.dumps(e) for e in base + taken])
    issues = expected["data_issues"]
    expected["data_issues"] = sorted(issues + [
        (e["event_id"], e["client_id"], CONFLICT)
        for e in {json.dumps(x, sort_keys=True): x for x in every if x not in taken}.values()],
        key=repr)
    assert len(expected["data_issues"]) == len(issues) + losers
    rng = random.Random(case)
    for order in range(3):
        lines = [json.dumps(e) for e in base + every]
        if order:
            rng.shuffle(lines)
        for mode, kw in MODES.items():
            report, got = run(tmp_path, f"{order}-{mode.replace(' ', '-')}", lines, **kw)
            for name in RELATIONS:
                assert got[name] == expected[name], (case, order, mode, name)
            assert (report.taken, report.duplicates, report.conflicts, report.pending) == (
                expected_report.taken, duplicates, losers, 0), (case, order, mode)
            assert report.lines == report.taken + report.duplicates + report.conflicts + sum(
                report.dead_letters.values()) + report.blank
            assert report.clients == expected_report.clients


def test_identical_events_in_other_bytes_are_stored_alike_in_any_order(tmp_path: Path) -> None:
    """Found by a scenario audit (2026-12-04): two copies of an event, the same after parsing
    but with their keys in another order, were taken once (right), and the events relation
    kept the payload text of whichever came first. The text taken is the canonical one."""
    v = signed(f"k-{A}", "2022-11-01", client=A, event_id=new_id(), occurred_at=T10)
    reordered = {k: v[k] for k in reversed(v)} | {
        "payload": {k: v["payload"][k] for k in reversed(v["payload"])}}
    copies = [json.dumps(v), json.dumps(reordered, separators=(",", ":"), ensure_ascii=False)]
    base = [json.dumps(e) for e in background(A) + background(B)]
    seen = []
    for order, lines in enumerate((copies, copies[::-1])):
        for mode, kw in MODES.items():
            report, got = run(tmp_path, f"{order}-{mode.replace(' ', '-')}", base + lines,
                              as_stored=True, **kw)
            assert (report.duplicates, report.conflicts) == (1, 0), (order, mode)
            assert got["data_issues"] == [], (order, mode)
            seen.append(got["events"])
    assert all(events == seen[0] for events in seen)
    payload = next(r for r in seen[0] if r[0] == v["event_id"])[6]  # events.payload
    assert payload == json.dumps(v["payload"], sort_keys=True, separators=(",", ":"))


def test_the_clients_of_one_id_land_in_different_partitions() -> None:
    assert zlib.crc32(A.encode()) % 2 != zlib.crc32(B.encode()) % 2


def test_an_identity_code_and_its_pseudonym_are_the_same_text_after_the_door(
        tmp_path: Path) -> None:
    code = "131052-308T"
    plain = attendance("k1", "2023-01-05", client="x", event_id=new_id(), occurred_at=T10)
    coded = {k: v for k, v in plain.items() if k != "client_id"} | {"client_hetu": code}
    report, first = run(tmp_path, "coded", [json.dumps(signed("k1", "2022-12-01", hetu=code)),
                                            json.dumps(coded)])
    pseudonym = first["events"][0][5]
    same = dict(plain, client_id=pseudonym)
    for mode, kw in MODES.items():
        report, got = run(tmp_path, f"both-{mode.replace(' ', '-')}", [
            json.dumps(signed("k1", "2022-12-01", hetu=code)), json.dumps(coded),
            json.dumps(same)], **kw)
        assert (report.duplicates, report.conflicts) == (1, 0), mode
        assert got["data_issues"] == [] and len(got["events"]) == 2
