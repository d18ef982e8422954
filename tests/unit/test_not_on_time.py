"""The overview's late-or-never figure (services/web/pages/overview.py not_on_time): shown
only where the headline hides the two apart, and only from figures the page shows."""

from services.web.pages.overview import not_on_time


def region(**cells: str) -> dict[str, str]:
    return {"cohort": "533", "transferred": "503", "transferred_late": "..",
            "ended_untransferred": "..", "pending": "0", **cells}


def test_late_and_never_together_where_the_headline_hides_them() -> None:
    assert not_on_time(region()) == 30
    assert not_on_time(region(ended_untransferred="9")) == 30  # one hidden: still the pair
    assert not_on_time(region(pending="4", transferred_late="<5")) == 26


def test_nothing_where_both_are_shown_or_a_term_is_hidden() -> None:
    assert not_on_time(region(transferred_late="21", ended_untransferred="9")) is None
    assert not_on_time(region(transferred="..")) is None
    assert not_on_time(region(pending="<5")) is None
    assert not_on_time(region(cohort="–")) is None
    assert not_on_time(None) is None
