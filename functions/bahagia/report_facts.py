"""What the nightly report needs to know about a transition, computed once when it is made.

The report counts with aggregation queries, never by reading every document, so the facts it filters on must already
be fields of the transition's audit entry: its WIB business date, what kind of case it is, whether it closed an SLA
step in time, and how many working days the case had been open. `transition_facts()` returns those fields; the staff
service merges them into the audit entry it writes (`audit |= transition_facts(doc, now)`), judged on the submission
as it was *before* the transition. Pure: no clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bahagia import calendar


def _counts_for_sla(kind: str, status: str) -> bool:
    from bahagia import lifecycle

    try:
        return lifecycle.lifecycle(kind).status(status).counts_as_overdue
    except KeyError:
        return False


def transition_facts(doc: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Fields for the audit entry of a transition of `doc` (the stored submission, before the change) made at `now`.

    `sla_due_at` is the deadline of the step this transition closes and `on_time` whether it beat it; both are None
    for a step without a service level (an auto-closing follow-up). `working_days` counts from the submission's
    business date to the transition's, so the report can take medians and percentiles with count queries.
    """
    stored_due = doc.get("due_at")
    kind, status = str(doc.get("kind")), str(doc.get("status"))
    due = stored_due if isinstance(stored_due, dt.datetime) and _counts_for_sla(kind, status) else None
    submitted = doc.get("business_date")
    submitted_day = dt.date.fromisoformat(submitted) if isinstance(submitted, str) else calendar.business_day(now)
    return {
        "business_date": calendar.business_date(now),
        "kind": kind,
        "program": doc.get("program"),
        "benefit": doc.get("benefit"),
        "category": doc.get("category"),
        "kecamatan": doc.get("kecamatan"),
        "sla_due_at": due,
        "on_time": None if due is None else now <= due,
        "working_days": calendar.working_days_between(submitted_day, calendar.business_day(now)),
    }
