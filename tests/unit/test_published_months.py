"""The transfers table of a handoff lists every month from the handoff's to the as-of date's,
transfers in it or not: a month listed only where some contract was transferred told a reader
that its withdrawn ('–') cells held at least one (a hunt, 2026-12-06)."""

from collections import defaultdict
from datetime import date
from typing import Any

from services.web.published import _handoff_cells
from streams.core.rules import Handoff

H = Handoff("2023", frozenset({"KTT", "SOSKU"}), "municipality", "wellbeing_area",
            date(2023, 1, 1))


def months(rows: list[Any], as_of: date | None) -> list[str]:
    counts: dict[Any, int] = defaultdict(int)
    parts = _handoff_cells(rows, (H,), counts, [], {}, {"Oulu": {"564"}}, as_of)
    return parts["2023"].months


def test_every_month_to_the_as_of_date_is_listed_with_transfers_or_without() -> None:
    expected = [f"2023-{m:02d}" for m in range(1, 13)] + ["2024-01", "2024-02"]
    assert months([], date(2024, 2, 10)) == expected
    one = [("2023", "Oulu", "564", "Oulu", "transferred", date(2023, 3, 5), 2)]
    assert months(one, date(2024, 2, 10)) == expected
    # a transfer dated before the handoff's month lists its month too
    early = [("2023", "Oulu", "564", "Oulu", "transferred", date(2022, 12, 20), 1)]
    assert months(early, date(2023, 2, 1)) == ["2022-12", "2023-01", "2023-02"]
