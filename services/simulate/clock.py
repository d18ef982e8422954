"""Dates as the strings the events carry, computed once per day and reused: the simulator
writes tens of millions of dates, and formatting each one anew dominated its run time."""

from datetime import date, timedelta
from functools import cache


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() + 1) % 7)


@cache
def _summer(year: int) -> tuple[int, int]:
    # EU summer time (Finland: UTC+3) from the last Sunday of March to that of October.
    return _last_sunday(year, 3).toordinal(), _last_sunday(year, 10).toordinal()


@cache
def iso(day: int) -> str:
    """YYYY-MM-DD of a date ordinal."""
    return date.fromordinal(day).isoformat()


@cache
def stamp_prefix(day: int) -> tuple[str, str]:
    """(`YYYY-MM-DDT`, UTC offset) of a Finnish local day, for occurred_at timestamps."""
    d = date.fromordinal(day)
    start, end = _summer(d.year)
    return d.isoformat() + "T", "+03:00" if start <= day < end else "+02:00"


# Clock times of attendance records (15:00-17:07), indexed by 7 random bits.
AFTERNOON = tuple(f"{15 + m // 60}:{m % 60:02d}:00" for m in range(128))


@cache
def attendance_parts(day: int) -> tuple[str, str, str]:
    """(YYYY-MM-DD, `YYYY-MM-DDT`, UTC offset) of a day, in one cached lookup."""
    prefix, offset = stamp_prefix(day)
    return prefix[:-1], prefix, offset


def stamp(day: int, hour: int, minute: int) -> str:
    """An ISO 8601 timestamp with the Finnish UTC offset of that day."""
    prefix, offset = stamp_prefix(day)
    return f"{prefix}{hour:02d}:{minute:02d}:00{offset}"
