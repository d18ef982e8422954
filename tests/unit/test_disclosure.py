"""analytics.disclosure: primary, secondary and withdrawn cells on small linked tables, the cases
that per-table subtraction checks miss."""

from analytics.disclosure import Relation, suppress


def test_small_counts_are_hidden_and_a_lone_hidden_part_gets_a_partner() -> None:
    counts = {"total": 30, "a": 3, "b": 12, "c": 15}
    out = suppress(counts, [Relation("total", ("a", "b", "c"))], 5)
    assert out.text == {"total": "30", "a": "<5", "b": "..", "c": "15"}
    assert out.value("b") is None and out.value("c") == 15


def test_a_partner_equal_to_k_is_avoided_where_it_would_pin_both() -> None:
    # '<5' + '..' = 6 with '..' >= 5 pins both (1 and 5): take the 7 instead of the 5.
    counts = {"total": 20, "a": 1, "b": 5, "c": 7, "d": 7}
    out = suppress(counts, [Relation("total", ("a", "b", "c", "d"))], 5)
    assert out.text["a"] == "<5" and out.text["b"] == "5" and ".." in (out.text["c"],
                                                                       out.text["d"])


def test_hiding_spreads_across_linked_tables() -> None:
    # A municipality's cell hidden in one table must not be the difference of another's.
    rels = [Relation("area", ("m1", "m2")), Relation("m1", ("m1_ktt", "m1_sosku")),
            Relation("m2", ("m2_ktt", "m2_sosku"))]
    counts = {"m1_ktt": 2, "m1_sosku": 10, "m2_ktt": 20, "m2_sosku": 30, "m1": 12, "m2": 50,
              "area": 62}
    out = suppress(counts, rels, 5)
    assert out.text["m1_ktt"] == "<5" and out.text["m1_sosku"] == ".."
    assert out.text["m1"] == "12" and out.text["area"] == "62"


def test_parts_a_small_total_pins_are_withdrawn() -> None:
    # A total of 4 over four areas of '<5': each is 1. No cell >= k is left to hide, so the
    # small parts are not published at all ('–'), and the total stays '<5'. The sum's zero is
    # withdrawn with them: shown as '0', it told a reader that every '–' was at least 1, and
    # four of them under a total below 5 were 1 each again (an attack, 2026-12-03).
    counts = {"region": 4, "a": 1, "b": 1, "c": 1, "d": 1, "e": 0}
    out = suppress(counts, [Relation("region", ("a", "b", "c", "d", "e"))], 5)
    assert out.text["region"] == "<5"
    assert [out.text[x] for x in "abcde"] == ["–"] * 5


def test_zeros_are_shown_and_missing_keys_are_zero() -> None:
    out = suppress({"t": 9, "a": 9}, [Relation("t", ("a", "b"))], 5)
    assert out.text == {"t": "9", "a": "9", "b": "0"}


def test_an_unpublished_sum_links_what_it_equals_and_is_never_shown() -> None:
    """The overview's 7 young people in an area are the map's municipalities summed (N, a sum
    no page shows as such): '<5' + 5 + '<5' = 7 pins the 5 and both small ones. Nothing in N's
    own sum is left to hide, so a cell of the sum N equals is hidden: the 7 (an attack,
    2026-12-03)."""
    rels = [Relation("shown", ("N",)), Relation("N", ("x", "y", "z"))]
    out = suppress({"shown": 7, "x": 1, "y": 5, "z": 1}, rels, 5, unpublished=["N"])
    assert "N" not in out.text
    assert out.text == {"shown": "..", "x": "<5", "y": "..", "z": "<5"}
