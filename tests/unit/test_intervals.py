"""streams.core.intervals against a naive model: a set of day numbers."""

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.core import intervals as iv
from streams.core.intervals import Spans

span = st.tuples(st.integers(0, 60), st.integers(0, 60))
raw_spans = st.lists(span, max_size=8)
day_sets = st.frozensets(st.integers(0, 60), max_size=40)


def days(spans: Spans) -> set[int]:
    return {d for s, e in spans for d in range(s, e)}


def is_normal(spans: Spans) -> bool:
    """Sorted, non-empty, disjoint and not touching."""
    return all(s < e for s, e in spans) and all(
        spans[i][1] < spans[i + 1][0] for i in range(len(spans) - 1))


def test_normalize_merges_overlapping_and_touching_spans_and_drops_empty_ones() -> None:
    assert iv.normalize([(5, 7), (1, 3), (3, 4), (6, 9), (10, 10), (12, 11)]) == [(1, 4), (5, 9)]


def test_intersect_keeps_common_days() -> None:
    assert iv.intersect([(1, 5), (8, 12)], [(3, 9), (11, 20)]) == [(3, 5), (8, 9), (11, 12)]


def test_subtract_cuts_holes_and_edges() -> None:
    assert iv.subtract([(1, 10), (12, 20)], [(0, 2), (4, 5), (9, 13), (19, 30)]) == [
        (2, 4), (5, 9), (13, 19)]


def test_from_days_makes_runs_of_consecutive_days() -> None:
    assert iv.from_days([7, 3, 4, 4, 5, 9, 10]) == [(3, 6), (7, 8), (9, 11)]


def test_step_spans_turn_on_off_changes_into_spans_cut_at_the_end() -> None:
    changes = [(2, True), (4, True), (6, False), (8, True), (8, False), (10, True)]
    assert iv.step_spans(changes, 12) == [(2, 6), (10, 12)]
    assert iv.step_spans([(3, True)], 3) == []
    assert iv.step_spans([(5, False), (6, True)], 9) == [(6, 9)]


@given(raw_spans)
def test_normalize_keeps_the_same_days_in_normal_form(spans: Spans) -> None:
    out = iv.normalize(spans)
    assert is_normal(out)
    assert days(out) == days(spans)


@given(raw_spans, raw_spans, raw_spans)
def test_union_is_the_set_union(a: Spans, b: Spans, c: Spans) -> None:
    out = iv.union(iv.normalize(a), iv.normalize(b), iv.normalize(c))
    assert is_normal(out)
    assert days(out) == days(a) | days(b) | days(c)


@given(raw_spans, raw_spans)
def test_intersect_is_the_set_intersection(a: Spans, b: Spans) -> None:
    out = iv.intersect(iv.normalize(a), iv.normalize(b))
    assert is_normal(out)
    assert days(out) == days(a) & days(b)


@given(raw_spans, raw_spans)
def test_subtract_is_the_set_difference(a: Spans, b: Spans) -> None:
    out = iv.subtract(iv.normalize(a), iv.normalize(b))
    assert is_normal(out)
    assert days(out) == days(a) - days(b)


@given(raw_spans, st.integers(0, 60), st.integers(0, 60))
def test_clip_keeps_the_days_within_bounds(a: Spans, lo: int, hi: int) -> None:
    assert days(iv.clip(iv.normalize(a), lo, hi)) == {d for d in days(a) if lo <= d < hi}


@given(day_sets)
def test_from_days_covers_exactly_the_given_days(ds: frozenset[int]) -> None:
    out = iv.from_days(list(ds) + list(ds))
    assert is_normal(out)
    assert days(out) == set(ds)


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 40), st.booleans()), max_size=10), st.integers(0, 45))
def test_step_spans_match_a_day_by_day_model(changes: list[tuple[int, bool]], end: int) -> None:
    changes = sorted(changes, key=lambda c: c[0])  # stable: the last change of a day holds
    state: dict[int, bool] = {}
    for day, on in changes:
        state[day] = on
    model, on = set(), False
    for day in range(end):
        on = state.get(day, on)
        if on:
            model.add(day)
    out = iv.step_spans(changes, end)
    assert is_normal(out)
    assert days(out) == model


@given(raw_spans, day_sets)
def test_without_days_is_subtracting_the_runs_of_those_days(a: Spans, ds: frozenset[int]) -> None:
    out = iv.without_days(iv.normalize(a), sorted(ds))
    assert out == iv.subtract(iv.normalize(a), iv.from_days(ds))
    assert is_normal(out)
