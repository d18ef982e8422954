"""The cells of a register export: dates as Finns write them (31.12.2024, 1.2.2024) or ISO,
yes/no in Finnish, Swedish or English, whole numbers. Each parser raises ValueError with words
a person can act on; the caller adds the line number."""

import re
from datetime import date

_FINNISH = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
YES = {"1", "k", "kyllä", "kylla", "x", "läsnä", "lasna", "true", "yes", "y", "ja", "närvarande"}
NO = {"0", "e", "ei", "false", "no", "n", "nej", "poissa", "frånvarande"}


def parse_date(text: str) -> date:
    t = text.strip()
    m = _FINNISH.fullmatch(t)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if _ISO.fullmatch(t):
            return date.fromisoformat(t)
    except ValueError:
        raise ValueError(f"{t!r} is not a day of the calendar") from None
    raise ValueError(f"{t!r} is not a date: write 31.12.2024 or 2024-12-31")


def parse_bool(text: str) -> bool:
    t = text.strip().lower()
    if t in YES:
        return True
    if t in NO:
        return False
    raise ValueError(f"{text!r} is not yes or no: write k/e, kyllä/ei, 1/0 or x/empty")


def parse_int(text: str) -> int:
    t = text.strip()
    if not re.fullmatch(r"\d{1,3}", t):
        raise ValueError(f"{text!r} is not a whole number")
    return int(t)
