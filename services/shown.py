"""A path or other text a user gave, as a message on the console shows it: identity codes
masked (a file may be named after its client, SPEC.md 1.2; only stderr was masked as a whole,
and stdout carries data that must stay as it is), control and formatting characters written as
escapes (schemas.types.readable: an ESC sequence in a payload key reached the terminal), and
never read as rich's markup (a file named `x[bold]y.duckdb` was printed as `xy.duckdb`, and a
payload key `[/x]` in a dead letter's reason crashed replay's summary)."""

from rich.markup import escape
from rich.text import Text

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
