"""The map's numerator where a part of its sum is hidden (services/web/pages/service_map.py
at_least): the least the published parts allow, never a figure of its own."""

from typing import Any

from services.web.pages.service_map import at_least


class Cells:
    """The three things at_least reads of a cube (a fake of the published cube's port)."""

    def __init__(self, texts: dict[tuple[str, ...], str], scope: set[tuple[str, ...]]) -> None:
        self.k, self.texts, self.scope = 5, texts, scope

    def in_scope(self, key: tuple[str, ...]) -> bool:
        return key in self.scope

    def text(self, *key: str) -> str:
        return self.texts[key]


def bound(*texts: str, outside: int = 0) -> str:
    keys = [(str(i),) for i in range(len(texts))]
    cube: Any = Cells(dict(zip(keys, texts, strict=True)), set(keys[outside:]))
    return at_least(cube, keys)


def test_the_least_of_each_hidden_part() -> None:
    assert bound("534", "<5", "3", "0", "–") == "≥ 538"
    assert bound("534", "..", "3") == "≥ 542"
    assert bound("–", "–") == "≥ 0"


def test_a_part_outside_the_scope_says_nothing() -> None:
    assert bound("534", "<5", outside=1) == "–"


def test_a_municipality_name_from_the_data_is_text_not_markup() -> None:
    """formats.place writes a name the relations hold; an unknown or hostile one stays the
    text it is (the page escapes it), and a code it does not know falls back as given."""
    from markupsafe import Markup

    from services.web.formats import place

    hostile = '<script>alert("x")</script>'
    assert place(hostile, lang="sv") == hostile and not isinstance(place(hostile), Markup)
    assert place("564", lang="sv") == "Uleåborg" and place("Oulu", lang="sv") == "Uleåborg"
    assert place("999", "Muu", lang="sv") == "Muu" and place(None) == ""
