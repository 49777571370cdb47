"""Parse at the edge: a `report-requests` message, in either shape it reaches us, into the date to report on.

functions-framework turns a raw Pub/Sub push body into a CloudEvent whose data is `{"message": {...}}`; Eventarc
sends a binary CloudEvent whose data is the push JSON itself (`{"message": {...}, "subscription": ...}`). The
message data is `{"date": "YYYY-MM-DD"}` or empty (Cloud Scheduler's daily run): then the report is of yesterday in
WIB. Anything else is a BadReportRequest: no retry can fix it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bahagia.calendar import yesterday
from edge import pubsub_push

EARLIEST = dt.date(2020, 1, 1)


class BadReportRequest(ValueError):
    """A message that names no report we can build. The text never echoes the message's content."""


def report_date(data: Any, now: dt.datetime) -> dt.date:
    """The business date a report request asks for (default: yesterday in WIB)."""
    try:
        raw = pubsub_push.message_bytes(pubsub_push.push_message(data))
    except pubsub_push.MalformedPush as exc:
        raise BadReportRequest(str(exc)) from None
    if not raw.strip():
        return yesterday(now)
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadReportRequest("message data is not JSON") from None
    if not isinstance(payload, dict):
        raise BadReportRequest("message data is not a JSON object")
    if payload.get("date") is None:
        return yesterday(now)
    return parse_date(payload["date"], now)


def parse_date(value: Any, now: dt.datetime) -> dt.date:
    """A YYYY-MM-DD business date that has begun in WIB (today's report may be built early, for a preview)."""
    if not isinstance(value, str) or len(value) != 10:
        raise BadReportRequest("date must be YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise BadReportRequest("date must be YYYY-MM-DD") from None
    if day < EARLIEST or day > yesterday(now) + dt.timedelta(days=1):
        raise BadReportRequest("date is outside the range of reports")
    return day
