"""A path or other text a user gave, as a message on the console shows it: identity codes
masked (a file may be named after its client, SPEC.md 1.2; only stderr was masked as a whole,
and stdout carries data that must stay as it is), control and formatting characters written as
escapes (schemas.types.readable: an ESC sequence in a payload key reached the terminal), and
never read as rich's markup (a file named `x[bold]y.duckdb` was printed as `xy.duckdb`, and a
payload key `[/x]` in a dead letter's reason crashed replay's summary)."""

from datetime import date
from decimal import Decimal

from rich.markup import escape
from rich.text import Text

from schemas.door import UUID
from schemas.hetu import mask_codes
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


def masked_value(value: object) -> object:
    """A value of an answer as a person is given it (a page, a download, `jatkumo sql`):
    text with identity codes masked, other values as they are save a list, a struct or bytes,
    whose text is masked where it holds one. The relations hold no code (SPEC.md 1.2), but an
    answer echoes what its query typed: a literal, a string built from one (attack,
    2026-12-05). Text shorter than any code and a UUID are not searched (one random UUID in
    some 300,000 holds a valid code of digits by chance, and the door does not search an
    event_id either)."""
    if value.__class__ is str:
        return value if len(value) < 11 or UUID.match(value) else mask_codes(value)
    if value is None or isinstance(value, int | float | Decimal | date):
        return value
    text = str(value)
    masked = mask_codes(text)
    return value if masked == text else masked
