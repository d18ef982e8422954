"""A simulated file: every event valid per SPEC.md, noise only where the truth says, the same
seed gives the same bytes. Small cohorts keep these fast."""

from collections import Counter
from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from schemas.events import EVENT_ADAPTER, EVENT_TYPES
from services.simulate import RATES, SimConfig, simulate


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def test_without_noise_every_line_is_a_valid_event(tmp_path: Path) -> None:
    out = tmp_path / "e.jsonl"
    report = simulate(SimConfig(seed=3, clients=400, noise=False), out)
    types: Counter[str] = Counter()
    for line in _lines(out):
        event = EVENT_ADAPTER.validate_json(line)
        types[event.event_type] += 1
    assert sum(types.values()) == report.events == report.lines
    assert set(types) == set(EVENT_TYPES)  # the cohort exercises every event type


def test_with_noise_exactly_the_lines_named_in_the_truth_are_malformed(tmp_path: Path) -> None:
    out, truth = tmp_path / "e.jsonl", tmp_path / "t.jsonl"
    rates = dict.fromkeys(RATES, 0.0) | {"malformed_line": 0.01, "duplicate_delivery": 0.01}
    report = simulate(SimConfig(seed=4, clients=300, rates=rates), out, truth)
    rows = [orjson.loads(x) for x in _lines(truth)]
    bad = {r["line"] for r in rows if r.get("kind") == "malformed_line"}
    again = {r["line"]: r["event_id"] for r in rows if r.get("kind") == "duplicate_delivery"}
    assert len(bad) == report.malformed > 0 and len(again) == report.duplicates > 0
    seen: set[str] = set()
    for n, line in enumerate(_lines(out), start=1):
        if n in bad:
            with pytest.raises(ValidationError):
                EVENT_ADAPTER.validate_json(line)
            continue
        event_id = str(EVENT_ADAPTER.validate_json(line).event_id)
        assert (event_id in seen) == (n in again)  # a repeat only where a duplicate was sent
        seen.add(event_id)


def test_the_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    paths = []
    for name in ("a", "b"):
        out, truth = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.truth.jsonl"
        simulate(SimConfig(seed=11, clients=200), out, truth)
        paths.append((out.read_bytes(), truth.read_bytes()))
    assert paths[0] == paths[1]
    simulate(SimConfig(seed=12, clients=200), tmp_path / "c.jsonl")
    assert (tmp_path / "c.jsonl").read_bytes() != paths[0][0]


def test_identity_codes_are_synthetic_and_each_belongs_to_one_client(tmp_path: Path) -> None:
    out = tmp_path / "e.jsonl"
    report = simulate(SimConfig(seed=5, clients=1_500, noise=False), out)
    births: dict[str, set[int]] = {}
    for line in _lines(out):
        doc = orjson.loads(line)
        code = doc.get("client_hetu")
        if code is not None:
            assert 900 <= int(code[7:10]) <= 999
            if doc["event_type"] == "client.registered":
                births.setdefault(code, set()).add(doc["payload"]["birth_year"])
    assert len(births) == report.hetu_clients > 0
    assert all(len(years) == 1 for years in births.values())


def test_national_scale_covers_every_wellbeing_area(tmp_path: Path) -> None:
    out = tmp_path / "n.jsonl"
    simulate(SimConfig(seed=2, scale="national", clients=3_000, noise=False), out)
    organizers = set()
    for line in _lines(out):
        doc = orjson.loads(line)
        if doc["event_type"] == "responsibility.transferred":
            organizers.add(doc["payload"]["to_organizer"])
        elif doc["event_type"] == "contract.signed":
            organizers.add(doc["payload"]["organizer"])
    organizers = {o for o in organizers if o.startswith("wellbeing_area:")}
    assert len(organizers) == 22  # 21 wellbeing areas and the City of Helsinki
    assert "wellbeing_area:helsinki" in organizers
    assert "wellbeing_area:pohjois-pohjanmaa" in organizers
