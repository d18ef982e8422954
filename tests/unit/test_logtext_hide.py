"""Client ids typed into text a user writes (an SQL query, a note on an alert) are kept as
references however they are written: glued to punctuation or a Finnish case ending after a
colon, one or two characters long (SPEC.md 1.1 allows 1-64), or the 700th of a list (a hunt,
2026-12-06, found each kept as typed)."""

from schemas.hetu import MASK
from services.web.logtext import KnownClients, hide

KNOWN = KnownClients.of({"sim-000045": "r45", "sim-000085": "r85", "c1": "rc1", "c7": "rc7",
                         "a.b": "rab", "sim-000045-x": "r45x"})


def test_an_id_glued_to_punctuation_or_an_ending_is_hidden() -> None:
    assert hide(KNOWN, "Soitettu asiakkaalle sim-000045. Myös sim-000085: ei vastannut.") == (
        "Soitettu asiakkaalle ref:r45. Myös ref:r85: ei vastannut.")
    assert hide(KNOWN, "tarkistettu sim-000045. ja sim-000085:ssa, sim-000045:lle") == (
        "tarkistettu ref:r45. ja ref:r85:ssa, ref:r45:lle")
    assert hide(KNOWN, "-sim-000045- (sim-000045)") == "-ref:r45- (ref:r45)"


def test_the_longest_id_from_a_place_wins_and_other_words_stay() -> None:
    assert hide(KNOWN, "sim-000045-x sim-000045-lle a.b.c") == "ref:r45x ref:r45-lle ref:rab.c"
    # not an id: a longer word, an id inside a word without a separator
    assert hide(KNOWN, "sim-0000450 xsim-000045 c12") == "sim-0000450 xsim-000045 c12"


def test_short_ids_and_long_lists_are_hidden() -> None:
    assert hide(KNOWN, "WHERE client_id IN ('c1','c12','c7')") == (
        "WHERE client_id IN ('ref:rc1','c12','ref:rc7')")
    many = KnownClients.of({f"sim-{i:06d}": f"r{i}" for i in range(2_000)})
    text = " ".join(f"'sim-{i:06d}'" for i in range(2_000))
    assert "sim-" not in hide(many, text)


def test_codes_and_pseudonyms_still_go() -> None:
    got = hide(KNOWN, "131052-308T p:0123456789abcdef sim-000045")
    assert got == f"{MASK} [client] ref:r45"


def test_a_long_run_of_separators_is_read_whole() -> None:
    """A request's 256 KiB of `-a`, every place the head of an id: each id found, the
    longest first (the search looks only as far as an id can reach from each place)."""
    adversary = KnownClients.of({"a": "ra", "a-a": "raa"})
    got = hide(adversary, "-a" * 131_071)
    assert got.count("ref:raa") == 65_535 and got.endswith("-ref:ra")


def test_an_id_written_in_other_case_is_hidden() -> None:
    assert hide(KNOWN, "WHERE client_id ILIKE 'SIM-000045' OR x = 'Sim-000085'") == (
        "WHERE client_id ILIKE 'ref:r45' OR x = 'ref:r85'")


def test_ids_that_differ_in_case_keep_their_own_references() -> None:
    known = KnownClients.of({"ABC": "r1", "abc": "r2", "Xyz-1": "r3"})
    assert hide(known, "ABC abc Abc XYZ-1") == "ref:r1 ref:r2 Abc ref:r3"


def test_a_pseudonym_is_hidden_whole_even_when_an_id_is_part_of_it() -> None:
    known = KnownClients.of({"p": "r1"})
    assert hide(known, "'p:0123456789abcdef' p") == "'[client]' ref:r1"
