"""What a citizen's request carries besides its body, parsed at the edge: the Idempotency-Key, bound to the body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bahagia import channels, errors, submissions

FORM_FIELD = "idempotency_key"
"""The hidden field a static form sends its key in (web/static/forms.js), for browsers that post without JavaScript."""


@dataclass(frozen=True)
class IdempotencyKey:
    kind: str
    key: str
    fingerprint: str
    """Of the body as sent (bahagia.submissions.request_fingerprint): the same key with another body is a 409."""


def idempotency_key(
    kind: str, body: dict[str, Any], header: str | None, channel: str = channels.DEFAULT_CHANNEL
) -> IdempotencyKey | None:
    """The key of the `Idempotency-Key` header, or else of the form field, which leaves `body` either way; 422 for a
    key that is not 8-128 printable characters."""
    form_key = body.pop(FORM_FIELD, None)
    key = header if header is not None else form_key if isinstance(form_key, str) else None
    if key is None:
        return None
    if not 8 <= len(key) <= 128 or not key.isprintable():
        raise errors.validation_failed(
            [errors.FieldError("idempotency_key", "invalid_idempotency_key", "Kunci idempotensi harus 8-128 karakter.")]
        )
    return IdempotencyKey(kind, key, submissions.request_fingerprint(kind, body, channel))
