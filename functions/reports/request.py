"""Parse at the edge: a `report-requests` message, in either shape it reaches us, into the date to report on.

functions-framework turns a raw Pub/Sub push body into a CloudEvent whose data is `{"message": {...}}`; Eventarc
sends a binary CloudEvent whose data is the push JSON itself (`{"message": {...}, "subscription": ...}`). The
message data is `{"date": "YYYY-MM-DD"}` or empty (Cloud Scheduler's daily run): then the report is of yesterday in
WIB. Anything else is a BadReportRequest: no retry can fix it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from reports.model import yesterday_in_wib

EARLIEST = dt.date(2020, 1, 1)


class BadReportRequest(ValueError):
    """A message that names no report we can build. The text never echoes the message's content."""


def _message(data: Any) -> dict[str, Any]:
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise BadReportRequest("CloudEvent data is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
        raise BadReportRequest("CloudEvent data has no Pub/Sub message")
    message: dict[str, Any] = data["message"]
    return message


def report_date(data: Any, now: dt.datetime) -> dt.date:
    """The business date a report request asks for (default: yesterday in WIB)."""
    encoded = _message(data).get("data") or ""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise BadReportRequest("message data is not base64") from None
    if not raw.strip():
        return yesterday_in_wib(now)
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadReportRequest("message data is not JSON") from None
    if not isinstance(payload, dict):
        raise BadReportRequest("message data is not a JSON object")
    if payload.get("date") is None:
        return yesterday_in_wib(now)
    return parse_date(payload["date"], now)


def parse_date(value: Any, now: dt.datetime) -> dt.date:
    """A YYYY-MM-DD business date that has begun in WIB (today's report may be built early, for a preview)."""
    if not isinstance(value, str) or len(value) != 10:
        raise BadReportRequest("date must be YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise BadReportRequest("date must be YYYY-MM-DD") from None
    if day < EARLIEST or day > yesterday_in_wib(now) + dt.timedelta(days=1):
        raise BadReportRequest("date is outside the range of reports")
    return day
