"""Service levels in working days on the Indonesian government calendar.

A working day in Kota Jambi's offices is Monday to Friday, minus the national holidays and the *cuti bersama* (joint
leave days fixed each year by the SKB 3 Menteri, on which ASN offices close). The `holidays` library keeps the two
apart: `country_holidays("ID")` alone returns only the public holidays; the cuti bersama are in its `government`
category ("... Joint Holiday"). Both are off here. For 2026 the library lists Nyepi on 19 March, Idul Fitri on
21-22 March and cuti bersama on 18, 20, 23 and 24 March, so nothing is due between 17 and 25 March.

Counting: the day a status is reached is day 0, whatever it is; a step due in N working days is due by the end
(23:59:59 WIB) of the N-th working day after it. Submitted on a Friday evening, a 3-day step is due Wednesday night.
The future years the library estimates (Islamic dates) are its best guess; a changed SKB needs a library update.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from bahagia import lifecycle

JAKARTA = ZoneInfo("Asia/Jakarta")
_END_OF_DAY = dt.time(23, 59, 59)


@lru_cache(maxsize=1)
def _indonesian_days_off() -> holidays.HolidayBase:
    # Years are filled in lazily by the library on first lookup of a date in them.
    return holidays.country_holidays("ID", categories=(holidays.PUBLIC, holidays.GOVERNMENT))


def is_working_day(day: dt.date, days_off: Callable[[dt.date], bool] | None = None) -> bool:
    """Monday to Friday and neither a national holiday nor cuti bersama."""
    if day.weekday() >= 5:
        return False
    if days_off is None:
        return day not in _indonesian_days_off()
    return not days_off(day)


def add_working_days(start: dt.datetime, working_days: int) -> dt.datetime:
    """The end (23:59:59 WIB) of the `working_days`-th working day after the WIB date of `start`."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    day = start.astimezone(JAKARTA).date()
    remaining = working_days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return dt.datetime.combine(day, _END_OF_DAY, tzinfo=JAKARTA)


def due_at(kind: str, status: str, since: dt.datetime) -> dt.datetime | None:
    """When the step after `status` is due, counted from `since` (when the status was reached); None when closed."""
    days = lifecycle.lifecycle(kind).status(status).due_working_days
    if days is None:
        return None
    return add_working_days(since, days)


def initial_due_at(kind: str, submitted_at: dt.datetime) -> dt.datetime:
    """The `due_at` intake stores on a new submission: verification is due 3 working days after it arrived."""
    life = lifecycle.lifecycle(kind)
    result = due_at(kind, life.initial, submitted_at)
    if result is None:  # pragma: no cover - the loader refuses an initial status without a due date
        raise ValueError(f"initial status of {kind} has no due date")
    return result


def is_overdue(doc: Mapping[str, Any], now: dt.datetime) -> bool:
    """True when an open status that counts for the SLA is past its `due_at` (auto-closed follow-ups do not count)."""
    kind, status, due = doc.get("kind"), doc.get("status"), doc.get("due_at")
    if not isinstance(kind, str) or not isinstance(status, str) or not isinstance(due, dt.datetime):
        return False
    try:
        info = lifecycle.lifecycle(kind).status(status)
    except KeyError:
        return False
    return info.counts_as_overdue and due < now


def expected_next_step(doc: Mapping[str, Any], now: dt.datetime) -> dict[str, Any] | None:
    """What the citizen's status page shows about the next step, or None when the submission is closed.

    `{"status": "diverifikasi", "label": "Diverifikasi", "expected_by": "2026-03-27", "late": false}`: the date is
    the WIB date by which the next step is due; `late` is true once that date has passed without it.
    """
    kind, status = doc.get("kind"), doc.get("status")
    if not isinstance(kind, str) or not isinstance(status, str):
        return None
    try:
        info = lifecycle.lifecycle(kind).status(status)
    except KeyError:
        return None
    if info.closed or info.next is None:
        return None
    due = doc.get("due_at")
    if not isinstance(due, dt.datetime):
        since = doc.get("status_changed_at") or doc.get("submitted_at")
        if not isinstance(since, dt.datetime):
            return None
        due = due_at(kind, status, since)
        if due is None:  # pragma: no cover - open statuses always have a due date (checked at load)
            return None
    next_info = lifecycle.lifecycle(kind).status(info.next)
    return {
        "status": info.next,
        "label": next_info.label,
        "expected_by": due.astimezone(JAKARTA).date().isoformat(),
        "late": due < now,
    }
