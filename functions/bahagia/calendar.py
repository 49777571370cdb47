"""The city's calendar: its time zone, business dates, working days, and how dates are written. Pure: no clock.

Kota Jambi keeps Western Indonesian Time (WIB, Asia/Jakarta, UTC+7, no daylight saving). A moment belongs to the WIB
calendar date it falls on, its *business date*: 23:30 WIB is still that day, though UTC already says 16:30.

A working day in the city's offices is Monday to Friday, minus the national holidays and the *cuti bersama* (joint
leave days fixed each year by the SKB 3 Menteri, on which ASN offices close). The `holidays` library keeps the two
apart: `country_holidays("ID")` alone returns only the public holidays; the cuti bersama are in its `government`
category ("... Joint Holiday"). Both are off here. For 2026 the library lists Nyepi on 19 March, Idul Fitri on
21-22 March and cuti bersama on 18, 20, 23 and 24 March, so nothing is due between 17 and 25 March. The future years
the library estimates (Islamic dates) are its best guess; a changed SKB needs a library update.

Counting: the day something happens is day 0, whatever it is; N working days later is the end (23:59:59 WIB) of the
N-th working day after it. Machines get UTC ISO 8601 with `Z`; people get "Selasa, 17 Maret 2026".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import holidays

WIB = ZoneInfo("Asia/Jakarta")
END_OF_DAY = dt.time(23, 59, 59)

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


# --- business dates ------------------------------------------------------------------------------------------------


def business_day(moment: dt.datetime) -> dt.date:
    """The WIB calendar date a moment belongs to."""
    return moment.astimezone(WIB).date()


def business_date(moment: dt.datetime) -> str:
    """The business date as `YYYY-MM-DD`, as documents store it."""
    return business_day(moment).isoformat()


def yesterday(now: dt.datetime) -> dt.date:
    """The business date before the one `now` falls on (the nightly report's default)."""
    return business_day(now) - dt.timedelta(days=1)


def start_of(day: dt.date) -> dt.datetime:
    """00:00 WIB of `day`: the first moment that belongs to it."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=WIB)


def end_of(day: dt.date) -> dt.datetime:
    """23:59:59 WIB of `day`: the deadline of a step due that day."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=WIB)


# --- working days --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _indonesian_days_off() -> holidays.HolidayBase:
    # Imported here: the library takes about half a second to import, and only counting working days needs it (a
    # business date or a date format must not cost the notifier's cold start that). Years are filled in lazily by
    # the library on first lookup of a date in them.
    import holidays

    return holidays.country_holidays("ID", categories=(holidays.PUBLIC, holidays.GOVERNMENT))


def is_working_day(day: dt.date, days_off: Callable[[dt.date], bool] | None = None) -> bool:
    """Monday to Friday and neither a national holiday nor cuti bersama."""
    if day.weekday() >= 5:
        return False
    if days_off is None:
        return day not in _indonesian_days_off()
    return not days_off(day)


def add_working_days(start: dt.datetime, working_days: int) -> dt.datetime:
    """The end (23:59:59 WIB) of the `working_days`-th working day after the business date of `start`."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    day = business_day(start)
    remaining = working_days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return end_of(day)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (the start day is day 0)."""
    days, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days += 1
    return days


# --- writing dates -------------------------------------------------------------------------------------------------


def iso_utc(moment: dt.datetime) -> str:
    """`2026-03-17T03:00:00Z`: how every API answer, event and export writes a moment."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


Day = dt.date | dt.datetime | str
"""What the formatters below accept: a business date, a moment (aware), or either in ISO 8601 (`2026-03-17`,
`2026-03-16T23:30:00Z`, as the API and the stored documents write them)."""


def _as_date(day: Day) -> dt.date:
    """The WIB calendar date of `day`. A moment is converted to WIB first: cutting the UTC date of 23:30 UTC would
    show the previous day to someone in Jambi, where it is already 06:30 the next morning."""
    if isinstance(day, str):
        day = dt.datetime.fromisoformat(day) if "T" in day else dt.date.fromisoformat(day)
    if isinstance(day, dt.datetime):
        if day.tzinfo is None:
            raise ValueError("a moment shown to people must be timezone-aware")
        return business_day(day)
    return day


def indonesian_date(day: Day) -> str:
    """`17 Maret 2026`: the one way a date is written for people (pages, reports, texts)."""
    day = _as_date(day)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def long_date(day: Day) -> str:
    """`Selasa, 17 Maret 2026`."""
    day = _as_date(day)
    return f"{DAYS[day.weekday()]}, {indonesian_date(day)}"


def short_date(day: Day) -> str:
    """`17 Mar`, for chart axes."""
    day = _as_date(day)
    return f"{day.day} {MONTHS[day.month - 1][:3]}"
