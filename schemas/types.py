"""Constrained field types shared by the event models (SPEC.md 1.1 and 1.3)."""

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    Strict,
    StringConstraints,
)

from schemas.reference import is_municipality

_ORGANIZER = re.compile(r"^(municipality:(\d{3})|wellbeing_area:[^\W_][\w-]{0,63})$")


def _check_municipality(code: str) -> str:
    if not is_municipality(code):
        raise ValueError(f"unknown municipality code {code!r} (not in the 2023 reference list)")
    return code


def _check_organizer(value: str) -> str:
    # fullmatch: with match, `$` also matched before a final line feed, and
    # "municipality:564\n" (a JSON escape) was taken as an organiser of its own
    m = _ORGANIZER.fullmatch(value)
    if m is None:
        raise ValueError("organiser id must be municipality:NNN or wellbeing_area:NAME")
    if m.group(2) is not None:
        _check_municipality(m.group(2))
    return value


# Characters that show nothing, or move or break the text around them, where jatkumo shows a
# user's text (a dead letter's reason and origin, a summary, `jatkumo sql`): control
# characters (Cc: NUL, ESC, DEL, the C1 range), format characters (Cf: bidirectional
# overrides, zero-width spaces and joiners, the soft hyphen), and the line and paragraph
# separators (Zl, Zp). They are written as escapes there, not refused in events: SPEC.md 1.1
# makes an id or a source any string of 1 to 100 characters (a review, 2026-12-04: a soft
# hyphen that Word puts in a workshop's name, or a leading BOM, is a valid event).
_HIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp"))


def readable(text: str) -> str:
    """`text` as valid, visible text: every character of _HIDDEN_CATEGORIES, and every
    lone surrogate (a byte of a file name that is not UTF-8, as Python hands it over: no
    UTF-8 writer, Arrow or DuckDB or Kafka, takes one), written as an escape, \\x1b, \\u202e,
    \\xff. For what jatkumo itself puts together from a user's text: a dead letter's reason
    (which quotes the key it refused) and origin (a file's name), and what a summary prints."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape's stand-in for the byte code - 0xDC00
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF or unicodedata.category(char) in _HIDDEN_CATEGORIES:
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
                       if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


MunicipalityCode = Annotated[
    str, StringConstraints(pattern=r"^\d{3}$"), AfterValidator(_check_municipality)
]
OrganizerId = Annotated[str, AfterValidator(_check_organizer)]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=100)]
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
Source = Annotated[str, StringConstraints(min_length=1, max_length=100)]
# A UUID in its canonical 8-4-4-4-12 form, kept as text: it is the idempotency key and is only
# ever compared, so turning it into a uuid.UUID and back would cost time and change nothing.
EventId = Annotated[str, StringConstraints(
    pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    to_lower=True)]
# SPEC.md 1.4: an impossible date is a dead letter. No fact about a young person's service in
# this system lies before 1900 or after 2100; the bound also keeps date arithmetic (an as-of date
# plus thresholds, a timeline's axis) far from the calendar's end at 9999-12-31.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)


# pydantic also reads a date or a timestamp out of a number of seconds since 1970, as a number
# or as text ("1672876800", "0"), and a timestamp whose date and time are joined by any
# character ("2023-01-01_10:00:00+02:00"). SPEC.md 1.1 and 1.3 take ISO 8601 text only: these
# checks of the text's frame come first, and the parser checks the rest (digits, the calendar,
# the offset). A validator before the parser hands it a Python string, which strict mode
# refuses to read as a date: hence strict=False on these fields, with the validator letting
# only text (or, from Python, a date) through. Plain indexing: they run for every date of
# every event.
def is_date_text(text: str) -> bool:
    """Whether `text` has the frame of YYYY-MM-DD (a parser checks the digits and the
    calendar): not 20230331, 2023-W13-5 or 1672876800."""
    return len(text) == 10 and text[4] == text[7] == "-"


def _iso_date_text(value: object) -> object:
    if isinstance(value, str):
        if is_date_text(value):
            return value
    elif isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


def _iso_timestamp_text(value: object) -> object:
    # ISO 8601's extended form: the date, then T (t and a space as RFC 3339 allows them),
    # then the time; the parser checks the time and the offset
    if isinstance(value, str):
        if (len(value) >= 16 and value[4] == value[7] == "-" and value[10] in "Tt "
                and value[13] == ":"):
            return value
    elif isinstance(value, datetime):
        return value
    raise ValueError("a timestamp is written YYYY-MM-DDTHH:MM:SS with its UTC offset, "
                     "e.g. 2023-01-05T09:30:00+02:00")


Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY), Strict(False),
                BeforeValidator(_iso_date_text)]
Timestamp = Annotated[AwareDatetime, Strict(False), BeforeValidator(_iso_timestamp_text)]
# SPEC.md 1.3 says only "int"; a person born outside these years is no client of KTT or SOSKU,
# and the bound keeps the value inside the relation's INTEGER (1099511627776 crashed a replay).
BirthYear = Annotated[int, Field(ge=1900, le=2100)]
DaysPerWeek = Annotated[int, Field(ge=1, le=5)]
HoursPerDay = Annotated[int, Field(ge=1, le=8)]

Service = Literal["KTT", "SOSKU", "NUPA"]
ProducerKind = Literal["municipal", "third_sector", "wellbeing_area", "company"]
ReferredBy = Literal[
    "te_office", "social_work", "outreach_youth_work", "ohjaamo", "education", "self", "other"
]
SuspensionReason = Literal["illness", "leave", "other"]
EndReason = Literal["education", "employment", "moved_away", "completed", "interrupted", "other"]
ReferralTarget = Literal[
    "mental_health", "substance_abuse", "education", "employment", "health", "other"
]
ReferralOutcome = Literal["declined", "cancelled", "not_needed"]


def is_municipal(organizer: str) -> bool:
    return organizer.startswith("municipality:")


def is_wellbeing_area(organizer: str) -> bool:
    return organizer.startswith("wellbeing_area:")


def municipality_of(organizer: str) -> str | None:
    return organizer.split(":", 1)[1] if is_municipal(organizer) else None
