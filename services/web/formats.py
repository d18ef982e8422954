"""Numbers, dates and times as people in Finland write them, from CLDR through Babel: decimal
comma and a no-break space between thousands (`12 345,5`), `31.12.2024` in Finnish and in
Finland's Swedish (sv_FI, not Sweden's `2024-12-31`), and times on Helsinki's wall clock with
the zone shown (`31.12.2024 klo 14.05 EET`): the server runs in UTC, its readers do not.

The same functions are the dashboard's jinja filters (`|date`, `|num`, `|pct`, `|when`,
`|month`) and format the CSV and XLSX downloads. A filter takes the page's language from a
context variable that `render` sets around each (synchronous) render, so filters work in
imported macros too, which do not see the page's context."""

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from schemas.reference import municipalities

HELSINKI = ZoneInfo("Europe/Helsinki")
# English in Finland (en_FI) keeps Finland's separators and day-month order.
LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}
# The word before a clock time: "klo 14.05", "kl. 14.05".
CLOCK = {"fi": "klo ", "sv": "kl. ", "en": ""}

_lang: contextvars.ContextVar[str] = contextvars.ContextVar("jatkumo_lang", default="fi")


@contextlib.contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Format in `lang` inside the block (one page's render)."""
    token = _lang.set(lang if lang in LOCALES else "fi")
    try:
        yield
    finally:
        _lang.reset(token)


def _locale(lang: str | None) -> str:
    return LOCALES.get(lang or _lang.get(), "fi_FI")


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def day(value: Any, lang: str | None = None) -> str:
    """A calendar day: `31.12.2024`. None is empty; text that is not a date (a suppressed
    `..`, a `?`) passes unchanged."""
    if value is None or value == "":
        return ""
    d = _as_date(value)
    if d is None:
        return str(value)
    return format_date(d, "short", locale=_locale(lang))


def month(value: Any, lang: str | None = None) -> str:
    """A month (`2023-01` or a date): `tammikuu 2023`, `januari 2023`, `January 2023`."""
    d = _as_date(f"{value}-01" if isinstance(value, str) and len(value) == 7 else value)
    if d is None:
        return "" if value is None else str(value)
    return format_date(d, "LLLL y", locale=_locale(lang))


def _number(value: Any) -> int | float | Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, str) and value.isdigit():  # a published count arrives as text
        return int(value)
    return None


AT_LEAST = "≥ "


def num(value: Any, lang: str | None = None, digits: int | None = None) -> str:
    """A number: `1 234`, `12,5`. `digits` fixes the decimals (`12,50`). None is `–`; text
    that is not a number (a suppressed `<5` or `..`) passes unchanged."""
    if value is None:
        return "–"
    if isinstance(value, str) and value.startswith(AT_LEAST):  # a bound: `≥ 1 022`
        return AT_LEAST + num(value.removeprefix(AT_LEAST), lang, digits)
    n = _number(value)
    if n is None:
        return str(value)
    pattern = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(n, format=pattern, locale=_locale(lang))


def pct(value: Any, lang: str | None = None, digits: int = 1) -> str:
    """A share given in percent units (85.25 -> `85,3 %`): a no-break space before the sign,
    as Finnish and Swedish write it."""
    if value is None:
        return "–"
    if _number(value) is None:
        return str(value)
    return num(value, lang, digits) + "\u00a0%"


def when(value: Any, lang: str | None = None) -> str:
    """A moment on Helsinki's wall clock with its zone: `5.1.2024 klo 14.05 EET` (EEST in
    summer). A naive time is the server's UTC."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        return day(value, lang)
    lang = lang or _lang.get()
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    local = aware.astimezone(HELSINKI)
    clock = format_time(local, "short", locale=_locale(lang))
    return f"{day(local.date(), lang)} {CLOCK.get(lang, '')}{clock} {local.tzname()}"


def place(value: Any, fallback: Any = None, lang: str | None = None) -> str:
    """A municipality by name in the language (Swedish where it has a Swedish name): from
    its code, or from its Finnish name as the relations keep it. A review (2026-12-07) read
    Uleåborg on the map and the alerts, and Oulu on the overview, the Gaps page and its
    download, on one Swedish dashboard. `fallback`: what to write for an unknown code."""
    lang = lang or _lang.get()
    if not value:
        return "" if fallback is None else str(fallback)
    text = str(value)
    known = municipalities().get(text) or _by_finnish_name().get(text)
    if known is None:
        return str(fallback) if fallback else text
    return known.name_sv if lang == "sv" and known.name_sv else known.name_fi


@functools.cache
def _by_finnish_name() -> dict[str, Any]:
    return {m.name_fi: m for m in municipalities().values()}


FILTERS = {"date": day, "month": month, "num": num, "pct": pct, "when": when, "place": place}


def install(env: jinja2.Environment) -> jinja2.Environment:
    """Register the filters on the dashboard's template environment."""
    env.filters.update(FILTERS)
    return env
