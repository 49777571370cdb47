"""Service levels: when each step of a case is due, whether it is late, and what the citizen is told to expect.

Each open status of data/lifecycles.json has `due_working_days`: the next step is due by the end (23:59:59 WIB) of
that many working days after the status was reached, on the Indonesian government calendar (bahagia.calendar).
Submitted on a Friday evening, a 3-day step is due Wednesday night.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bahagia import calendar, lifecycle


def due_at(kind: str, status: str, since: dt.datetime) -> dt.datetime | None:
    """When the step after `status` is due, counted from `since` (when the status was reached); None when closed."""
    days = lifecycle.lifecycle(kind).status(status).due_working_days
    if days is None:
        return None
    return calendar.add_working_days(since, days)


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
        "expected_by": calendar.business_date(due),
        "late": due < now,
    }
