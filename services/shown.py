"""A path or other text a user gave, as a message on the console shows it: identity codes
masked (a file may be named after its client, SPEC.md 1.2; only stderr was masked as a whole,
and stdout carries data that must stay as it is), control and formatting characters written as
escapes (schemas.types.readable: an ESC sequence in a payload key reached the terminal), and
never read as rich's markup (a file named `x[bold]y.duckdb` was printed as `xy.duckdb`, and a
payload key `[/x]` in a dead letter's reason crashed replay's summary)."""

import re
import time
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from rich.markup import escape
from rich.text import Text

from schemas.door import mask_seen, seen_code
from schemas.hetu import mask_codes, mask_cut_head, too_short
from schemas.types import readable


def said(value: object) -> str:
    """For plain text (an error message print() writes): codes masked, controls escaped."""
    return readable(mask_codes(str(value)))


def shown(value: object) -> str:
    """For a markup string (a message, a progress line): escaped."""
    return escape(said(value))


def shown_text(value: object, style: str = "") -> Text:
    """As a rich Text, which reads no markup (a table's cell, a column's name)."""
    return Text(said(value), style=style)


# What masked_value passes as it is: our own pseudonyms (`p:` and 16 lower-case hex digits: a
# code in such a run is none, schemas.hetu._LOWER_HEX) and a lower-case UUID (the door's event
# ids; one random UUID in some 300,000 holds a valid code of digits by chance). An upper-case
# one is searched: `00000000-0000-0000-0000-010203A912E0` is a code typed in a UUID's shape
# (review, 2026-12-05). The text of a pattern Arrow's RE2 reads too (services/web/export.py).
OWN_IDS = (r"p:[0-9a-f]{16}|"
           r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_OWN_IDS = re.compile(OWN_IDS)
# characters: ASCII text shorter holds no code (`131052308T`, no sign); other text may read
# longer (schemas.hetu.too_short: `⑬` is `13` to NFKC)
SHORTEST_CODE = 10


def masked_value(value: object) -> object:
    """A value of an answer as a person is given it (a page, a download, `jatkumo sql`):
    text with identity codes masked, other values as they are save a list, a struct or bytes,
    whose text is masked where it holds one. The relations hold no code (SPEC.md 1.2), but an
    answer echoes what its query typed: a literal, a string built from one (attack,
    2026-12-05). Text shorter than any code and our own ids (OWN_IDS) are not searched.

    Only text that holds a valid code as the door reads one (schemas.door.seen_code) is
    masked, and then as the masking masks (every code-shaped run): text the door takes is
    shown as stored. Masking every code-shaped run of any text showed two contracts
    `K-20240115-0001` and `K-20240115-0002` as one `K-20******-****` on every page and in
    `jatkumo sql`, while the file held them apart (an attack, 2026-12-07)."""
    if value.__class__ is str:
        if too_short(value) or _OWN_IDS.fullmatch(value):
            return value
        return _masked_if_coded(value)
    if value is None or isinstance(value, int | float | Decimal | date):
        return value
    text = str(value)
    masked = _masked_if_coded(text)
    return value if masked == text else masked


def _masked_if_coded(text: str) -> str:
    return mask_seen(text) if seen_code(text) else text


def masked_names(names: Iterable[str]) -> list[str]:
    """An answer's column names, masked: `AS "<a code>"` is a name too."""
    return [str(masked_value(n)) for n in names]


def masked_rows(rows: Iterable[Sequence[object]]) -> list[tuple[object, ...]]:
    """Rows of values, each masked_value'd; each distinct value once (an answer repeats its
    places, days and pseudonyms: a million cells took seconds one by one)."""
    seen: dict[tuple[type, object], object] = {}

    def one(v: object) -> object:
        key = (v.__class__, v)
        try:
            return seen[key]
        except KeyError:
            got = seen[key] = masked_value(v)
            return got
        except TypeError:  # unhashable: a list an analyst selected
            return masked_value(v)

    return [tuple(map(one, row)) for row in rows]


class Shown(str):
    """A value of an answer masked already, off the event loop (services/web/pages/sql.py):
    a page writes it as it is (still escaped), without masking it again."""


# A page shows this many characters of a value, and says how many it had: an analyst's query
# can answer a 320 KB text or blob, whose masking held the server's event loop, every user's
# pages with it, for 25 s (a review, 2026-12-07). A download keeps every character.
LONGEST_SHOWN = 4000
LOOKED_PAST = 256  # characters past the cut a code that straddles it may take


def shown_rows(rows: Iterable[Sequence[object]], deadline: float) -> list[list[object]]:
    """The rows of an answer as a page shows them: each value masked (masked_value), a text
    longer than LONGEST_SHOWN cut there (the head of a code at the cut masked too) with its
    length said. TimeoutError once time.monotonic() passes `deadline` (the query's limit)."""
    out = []
    for row in rows:
        if time.monotonic() > deadline:
            raise TimeoutError
        out.append([_shown(v) for v in row])
    return out


def _shown(value: object) -> object:
    if value is None or isinstance(value, int | float | Decimal | date):
        return value
    text = value if isinstance(value, str) else str(value)
    if len(text) <= LONGEST_SHOWN:
        shown = masked_value(value)
        return Shown(shown if isinstance(shown, str) else str(shown))
    # masked as any value (only where it holds a code), over more than is shown: a code the
    # cut falls in is masked whole first (a review, 2026-12-07: `O5O395-91 …` and
    # `K-20******-****` where the cut was masked after it)
    head = _masked_if_coded(text[:LONGEST_SHOWN + LOOKED_PAST])[:LONGEST_SHOWN]
    return Shown(f"{mask_cut_head(head)} … [{len(text)}]")
