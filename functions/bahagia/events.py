"""Events on `submission-events` (contract section 4). No personal data: consumers read the submission if they must."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bahagia.calendar import iso_utc

RECEIVED = "submission.received"
STATUS_CHANGED = "submission.status_changed"
TYPES = (RECEIVED, STATUS_CHANGED)


def submission_event(event_type: str, document: dict[str, Any], event_id: str, now: dt.datetime) -> dict[str, Any]:
    if event_type not in TYPES:
        raise ValueError(f"unknown event type {event_type}")
    event: dict[str, Any] = {
        "event_id": event_id,
        "type": event_type,
        "occurred_at": iso_utc(now),
        "tracking_code": document["tracking_code"],
        "kind": document["kind"],
    }
    if document["kind"] == "application":
        event["program"] = document["program"]
    else:
        event["category"] = document["category"]
    event["status"] = document["status"]
    return event
