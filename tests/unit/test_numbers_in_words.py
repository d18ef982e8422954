"""Numbers inside sentences are written as the language writes them, as in the tables: an
alert 1,794 days over its threshold read "ylitetty 1794 pv", and the overview's began-before
note "414/1022" (a review, 2026-12-07)."""

from datetime import date

import pytest

from services.web.pages.alerts import described

ROW = {"state": "firing", "started_on": date(2020, 1, 1), "threshold_days": 1000,
       "municipality": "564", "organizer": "wellbeing_area:pohjois-pohjanmaa",
       "gap_type": "SERVICE_BREAK", "ack_by": None, "ack_at": None, "ack_comment": None,
       "silence_by": None, "silence_at": None, "silenced_until": None}


@pytest.mark.parametrize(("lang", "words"), [("fi", "ylitetty 1\u00a0533 pv"),
                                             ("sv", "överskriden med 1\u00a0533 dagar"),
                                             ("en", "over it by 1\u00a0533 days")])
def test_an_alerts_days_over_are_written_the_languages_way(lang: str, words: str) -> None:
    r = described(dict(ROW), date(2026, 12, 7), lang)
    assert r["over_days"] == 1533  # 2,533 days open, 1,000 the threshold
    assert words in r["sentence"].replace("\u202f", "\u00a0"), r["sentence"]
    assert "1\u00a0000" in r["sentence"].replace("\u202f", "\u00a0")  # the threshold too
