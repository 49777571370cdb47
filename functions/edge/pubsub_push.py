"""The Pub/Sub push body, in either shape it reaches a CloudEvent target: the one parser notify and reports share.

functions-framework turns a raw push body into a CloudEvent whose data is `{"message": {...}}`; Eventarc sends a
binary CloudEvent whose data is the push JSON itself (`{"message": {...}, "subscription": ...}`).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


class MalformedPush(ValueError):
    """Not a Pub/Sub push message. The text names what was wrong, never the content."""


def push_message(data: Any) -> dict[str, Any]:
    """The `message` object of a push body, from either CloudEvent shape."""
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise MalformedPush("CloudEvent data is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
        raise MalformedPush("CloudEvent data has no Pub/Sub message")
    message: dict[str, Any] = data["message"]
    return message


def message_bytes(message: dict[str, Any]) -> bytes:
    """The decoded `data` of a message (empty when it has none)."""
    try:
        return base64.b64decode(message.get("data") or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise MalformedPush("message data is not base64") from None
