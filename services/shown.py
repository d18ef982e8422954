"""A path or other text a user gave, as a message on the console shows it: identity codes
masked (a file may be named after its client, SPEC.md 1.2; only stderr was masked as a whole,
and stdout carries data that must stay as it is) and rich's markup escaped (a file named
`x[bold]y.duckdb` was printed as `xy.duckdb`)."""

from rich.markup import escape

from schemas.hetu import mask_codes


def shown(value: object) -> str:
    return escape(mask_codes(str(value)))
