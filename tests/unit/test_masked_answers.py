"""An answer's values as a person is given them (services/shown.py masked_value): the SQL
page's downloads mask them by Arrow (services/web/export.py), `jatkumo sql` row by row; the
two agree on every kind of text."""

import pyarrow as pa
import pytest

from schemas.door import seen_code
from services.shown import masked_names, masked_rows, masked_value
from services.web.export import _masked_texts, masked_columns

MASK = "******-****"
TEXTS = [
    None, "", "short", "010203A912E", "a 010203A912E b", "010203A912E\n",
    "p:0123456789abcdef", "p:0123456789abcdef\n", "p:0123456789ABCDEF",
    "d6f1d1c6-2f3a-4b55-9c1e-0b1f6f0f9a11", "D6F1D1C6-2F3A-4B55-9C1E-0B1F6F0F9A11",
    "00000000-0000-0000-0000-010203A912E0",  # a code typed in a UUID's shape (review)
    "00000000-0000-0000-0000-010203a912e0", "0102 03A912E", "Oulu, Kempele ja Liminka",
    "131052308T", "K-20240115-0001", "K-20240115-0002", "050395;912K", "010203-912X",
]
# A code as a hostile query may build it (chr(), concatenation): a zero-width space or a NUL
# inside, full-width characters, lower case, a right-to-left override writing it backwards,
# and one after 100,000 characters.
HOSTILE = ["010203\u200bA912E",
           "\uff10\uff11\uff10\uff12\uff10\uff13\uff21\uff19\uff11\uff12\uff25",
           "010203\x00A912E", "010203a912e", "\u202e E219A302010", "x" * 100_000 + "010203A912E"]


def test_arrow_and_python_mask_every_text_alike() -> None:
    texts = TEXTS + HOSTILE
    got = _masked_texts(pa.array(texts, pa.string())).to_pylist()
    assert got == [masked_value(v) for v in texts]


def test_no_code_a_query_can_build_survives() -> None:
    for text in HOSTILE:
        masked = str(masked_value(text))
        assert masked != text and not seen_code(masked), repr(text[-20:])
    deep = pa.table({"d": [[[["010203A912E"]]]], "b": [b"010203A912E"],
                     "m": pa.array([[("k", "010203A912E")]],
                                   pa.map_(pa.string(), pa.string()))})
    for value in masked_columns(deep, ["d", "b", "m"]).to_pylist()[0].values():
        assert MASK in value and not seen_code(value), value


def test_a_code_in_a_uuids_shape_is_masked_and_own_ids_pass() -> None:
    assert masked_value("00000000-0000-0000-0000-010203A912E0") == "00000000-0000-0000-0000-" \
        + MASK + "0"
    for own in ("p:0123456789abcdef", "d6f1d1c6-2f3a-4b55-9c1e-0b1f6f0f9a11"):
        assert masked_value(own) == own
    assert masked_value("010203A912E\n") == MASK + "\n"


def test_columns_keep_their_type_unless_a_value_is_masked() -> None:
    plain = pa.table({"a": ["Oulu", None], "l": [["x"], None], "n": [1, 2]})
    assert masked_columns(plain, ["a", "l", "n"]).equals(plain)
    coded = pa.table({"a": ["x 010203A912E", None], "l": [["010203A912E"], None]})
    out = masked_columns(coded, masked_names(["010203A912E", "l"]))
    assert out.column_names == [MASK, "l"]
    assert out.column(0).to_pylist() == [f"x {MASK}", None]
    assert out.column(1).to_pylist() == [f"['{MASK}']", None]


def test_rows_are_masked_once_per_distinct_value_and_keep_other_values() -> None:
    rows = [("010203A912E", 1, True, ["010203A912E"]), ("010203A912E", 1.0, 1, None)]
    got = masked_rows(rows)
    assert got == [(MASK, 1, True, f"['{MASK}']"), (MASK, 1.0, 1, None)]
    assert got[0][2] is True and got[1][2] == 1 and got[1][2] is not True


def test_what_the_door_takes_is_shown_as_stored_and_what_it_refuses_is_masked() -> None:
    """Contracts `K-20240115-0001` and `-0002` were both shown as `K-20******-****` on every
    page and in `jatkumo sql` (an attack, 2026-12-07): text that holds no valid code is shown
    as the file holds it, in rows and in Arrow's downloads alike. A code of ten characters
    (nothing in its sign's place) was shown whole, being shorter than the eleven looked at."""
    ids = ["K-20240115-0001", "K-20240115-0002", "c-111111-9111", "010203-912X"]
    assert masked_rows([(i,) for i in ids]) == [(i,) for i in ids]
    assert _masked_texts(pa.array(ids, pa.string())).to_pylist() == ids
    for code in ("131052308T", "x 131052-308T", "050395;912K", "05\u00b703\u00b795-912K"):
        assert MASK in str(masked_value(code)), code
        assert MASK in _masked_texts(pa.array([code], pa.string())).to_pylist()[0], code


def test_an_answer_is_masked_within_its_deadline() -> None:
    """Masking runs in a thread within the query's time limit (services/web/pages/sql.py):
    past it, the page says the query timed out rather than masking on."""
    import time

    import pyarrow as pa

    from services.shown import Shown, shown_rows
    from services.web.export import masked_columns

    late = time.monotonic() - 1
    with pytest.raises(TimeoutError):
        shown_rows([["131052-308T"]], late)
    with pytest.raises(TimeoutError):
        masked_columns(pa.table({"a": ["131052-308T"]}), ["a"], late)
    rows = shown_rows([["Asiakas 131052-308T", 7, None]], time.monotonic() + 60)
    assert rows == [[f"Asiakas {MASK}", 7, None]] and isinstance(rows[0][0], Shown)


def test_a_value_the_masking_misses_is_shown_without_digits() -> None:
    value = "93873900-26a9-4582-0809-03050101131a9853"
    assert seen_code(value) and not seen_code(str(masked_value(value)))


def test_a_long_value_is_cut_after_its_masking_and_masks_nothing_else() -> None:
    """A code the cut falls in is masked whole before the cut; ids are kept as they are (a
    review, 2026-12-07: `O5O395-91 …` and `K-20******-****`)."""
    import time

    from services.shown import LONGEST_SHOWN, shown_rows

    for code in ("O5O395-912K", "1 3 1 0 5 2 - 3 0 8 T",
                 "\uff11\uff13\uff11\uff10\uff15\uff12-308T"):
        text = "z" * (LONGEST_SHOWN - 6) + code + "z" * 5000
        (row,) = shown_rows([[text]], time.monotonic() + 60)
        assert not seen_code(row[0][:LONGEST_SHOWN + 20]) and "395-9" not in row[0], row[0][-60:]
        assert row[0].endswith(f" … [{len(text)}]")
    ids = "K-20240115-0001 " * 400
    (row,) = shown_rows([[ids]], time.monotonic() + 60)
    assert row[0].startswith("K-20240115-0001 K-20240115-0001") and "*" not in row[0]
