"""Text a person typed into the dashboard (a note on an alert, a filter, an SQL query, as
the access log keeps them): identity codes masked however they were typed. An attack
(2026-12-07) had these kept as typed in notes, on the alert's page, in what Alertmanager
received and in the access log: a doubled or spaced dash, two dots, brackets, a blank inside
the date or the individual number, a blank as the sign, an ISO date's order, no check
character. The door reads events more narrowly (an amount and its unit is no code there);
in typed text, masking too much costs nothing."""

import pytest

from schemas.hetu import MASK, mask_typed

TYPED = ["050395--912K", "050395 -- 912K", "050395 - - 912K", "050395..912K",
         "(050395)-912K", "050395-(912)K", "1310 52 308T", "050395 912 K", "131052-3 08T",
         "131052-30 8T", "1995-03-05-912K", "95-03-05 912K", "13.10.1952 308T",
         "hetu 050395-912", "050395\u200b--912K", "\uff10\uff15\uff10\uff13\uff19\uff15--912K",
         "131052-308T", "050395;912K"]


@pytest.mark.parametrize("text", TYPED)
def test_a_code_however_typed_is_masked(text: str) -> None:
    got = mask_typed(f"soitettu {text}, ei vastannut")
    assert MASK in got and got.startswith("soitettu ") and got.endswith(", ei vastannut"), got
    assert "912" not in got and "308" not in got, got


@pytest.mark.parametrize("text", [
    "puh 040 123 4567", "kävi 3 kertaa, 2 poissa", "area=Oulu&from=2023-05-12&to=2023-06-01",
    "SELECT * FROM continuity_gaps WHERE started_on BETWEEN DATE '2023-01-01' AND "
    "'2023-03-31' LIMIT 100", "Oulu, Kempele ja Liminka", "sopimus k-001",
])
def test_ordinary_text_is_kept(text: str) -> None:
    assert mask_typed(text) == text
