"""Parse at the edge: a Pub/Sub message, in either shape it reaches us, into a SubmissionEvent.

Two shapes carry the same `{"message": {"data": base64, "attributes", "messageId", ...}, "subscription"}`:
- functions-framework converts a raw push body into a CloudEvent whose data is `{"message": {...}}`;
- Eventarc sends a binary CloudEvent whose data is the push JSON itself.
Anything else, or a message whose data is not a submission event of a known type, is a PoisonEvent.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bahagia.codes import normalize_tracking_code
from bahagia.sms import EVENT_TYPES
from edge import pubsub_push


class PoisonEvent(ValueError):
    """A message no retry can help. Its text names what was wrong, never the message's content."""


class SubmissionEvent(BaseModel):
    """The event of ARCHITECTURE.md, section Events (`submission-events`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: str = Field(pattern=r"^[A-Za-z0-9._~-]{1,128}$")
    type: Literal["submission.received", "submission.status_changed"]
    occurred_at: dt.datetime
    tracking_code: str
    kind: Literal["application", "complaint"]
    program: str | None = None
    benefit: str | None = None
    category: str | None = None
    status: str = Field(min_length=1, max_length=40)

    @field_validator("tracking_code")
    @classmethod
    def _known_code(cls, value: str) -> str:
        code = normalize_tracking_code(value)
        if code is None:
            raise ValueError("not a tracking code")
        return code


def push_message(data: Any) -> dict[str, Any]:
    """The `message` object of a push body, from either CloudEvent shape (edge.pubsub_push)."""
    try:
        return pubsub_push.push_message(data)
    except pubsub_push.MalformedPush as exc:
        raise PoisonEvent(str(exc)) from None


def parse_submission_event(data: Any) -> SubmissionEvent:
    """A SubmissionEvent from CloudEvent data, or PoisonEvent."""
    message = push_message(data)
    try:
        payload = json.loads(pubsub_push.message_bytes(message))
    except (pubsub_push.MalformedPush, ValueError, UnicodeDecodeError):
        raise PoisonEvent("message data is not base64 JSON") from None
    if not isinstance(payload, dict):
        raise PoisonEvent("message data is not a JSON object")
    if payload.get("type") not in EVENT_TYPES:
        raise PoisonEvent("unknown event type")
    try:
        return SubmissionEvent.model_validate(payload)
    except ValidationError as exc:
        # Field names only: the values could be anything a publisher put there.
        fields = sorted({".".join(str(p) for p in error["loc"]) for error in exc.errors()})
        raise PoisonEvent(f"invalid fields: {', '.join(fields)}") from None


def message_id(data: Any) -> str:
    """The Pub/Sub message id for logs, or '' when there is none."""
    try:
        return str(push_message(data).get("messageId") or push_message(data).get("message_id") or "")
    except PoisonEvent:
        return ""
