"""streams.core.horizon against evaluate itself: where next_change says nothing can change
before day D, evaluating on D gives the rows of the earlier day with open gaps aged."""

import random
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from schemas.door import validate_json
from streams.core import horizon
from streams.core.evaluate import evaluate
from streams.core.rules import Handoff, Rules
from streams.core.state import ClientState, apply

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.replay import mixed_client, write_events

TWO_HANDOFFS = Rules(configured_handoffs=(
    Handoff("2023", frozenset({"KTT", "SOSKU"}), "municipality", "wellbeing_area",
            date(2023, 1, 1)),
    Handoff("2027", frozenset({"KTT"}), "wellbeing_area", "municipality", date(2024, 1, 1), 7)))


def states(n: int, seed: int) -> list[ClientState]:
    rng = random.Random(seed)
    out = []
    for c in range(n):
        first = date(2021, 1, 4) + timedelta(days=rng.randrange(900))
        state = ClientState(f"m{c}")
        for line in mixed_client(rng, c, first):
            apply(state, validate_json(line))
        out.append(state)
    return out


def attending(tmp: Path, n: int) -> list[ClientState]:
    """Clients of bench/replay.py's attendance-heavy shape (weekly attendance, transfers)."""
    path = tmp / "attending.jsonl"
    write_events(path, n, seed=4)
    out: dict[str, ClientState] = {}
    for line in path.read_bytes().splitlines():
        event = validate_json(line)
        assert event.client_id is not None
        apply(out.setdefault(event.client_id, ClientState(event.client_id)), event)
    return list(out.values())


@pytest.mark.parametrize("rules", [Rules(), TWO_HANDOFFS], ids=["default", "two-handoffs"])
@pytest.mark.parametrize("shape", ["mixed", "attending"])
def test_no_change_before_the_next_breakpoint(rules: Rules, shape: str, tmp_path: Path) -> None:
    rng = random.Random(5)
    skipped = checked = 0
    for state in states(120, seed=11) if shape == "mixed" else attending(tmp_path, 6000):
        for _ in range(12):
            a = date(2021, 1, 1) + timedelta(days=rng.randrange(1400))
            nxt = horizon.next_change(state, a.toordinal(), rules)
            later = min(nxt - 1 - a.toordinal(), rng.choice([1, 1, 2, 7, 40]))
            checked += 1
            if later < 1:
                continue
            skipped += 1
            d = a + timedelta(days=later)
            want = evaluate(state, d, rules)
            got = horizon.aged(evaluate(state, a, rules), later)
            assert got == want, (state.client_id, a, d, nxt)
    # The bound must also be useful: most client-days need no evaluation.
    assert skipped > checked // 2, (skipped, checked)


def test_a_breakpoint_really_changes_something_somewhere() -> None:
    """Offsets are not idle: with only fact days (no thresholds), aging misses gap openings."""
    rules = Rules()
    misses = 0
    for state in states(80, seed=3):
        for a_ord in range(date(2022, 1, 1).toordinal(), date(2024, 6, 1).toordinal(), 13):
            nxt = min(horizon.next_change(state, a_ord, rules, shifts=(0,)), a_ord + 200)
            if nxt - a_ord < 2:
                continue
            a = date.fromordinal(a_ord)
            d = date.fromordinal(nxt - 1)
            if horizon.aged(evaluate(state, a, rules), nxt - 1 - a_ord) != evaluate(
                    state, d, rules):
                misses += 1
    assert misses > 0
