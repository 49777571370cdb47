"""SmsProvider on a generic HTTP SMS gateway, the kind Indonesian providers offer.

Contract assumed (docs/SMS.md): `POST {url}` with JSON `{"to": "+62...", "text": "...", "sender": "..."}` and
`Authorization: Bearer {credential}`; a 2xx answers JSON with `message_id` (or `id`). 429 and 5xx are transient; a 4xx
with `{"error": "invalid_number" | "opted_out"}` is that; any other 4xx is a permanent rejection, except 401/403,
which are our credential and so are retried (then dead-lettered) rather than recorded against the citizen.
"""

from __future__ import annotations

import httpx

from bahagia.notifications import FailureReason
from ports import PermanentSmsError, TransientSmsError


class HttpGatewaySms:
    name = "http"

    def __init__(self, client: httpx.Client, url: str, credential: str, sender: str | None = None) -> None:
        self._client = client
        self._url = url
        self._headers = {"Authorization": f"Bearer {credential}"}
        self._sender = sender

    def warm(self) -> None:
        """Nothing to load: the gateway reports an opted-out number in its answer to the send itself."""

    def send(self, phone: str, text: str) -> str:
        body = {"to": phone, "text": text, **({"sender": self._sender} if self._sender else {})}
        try:
            response = self._client.post(self._url, json=body, headers=self._headers)
        except httpx.TimeoutException:
            raise TransientSmsError(FailureReason.PROVIDER_TIMEOUT, "http") from None
        except httpx.TransportError as error:
            raise TransientSmsError(FailureReason.PROVIDER_UNAVAILABLE, type(error).__name__) from None
        status = response.status_code
        if status == 429:
            raise TransientSmsError(FailureReason.PROVIDER_THROTTLED, "429")
        if status >= 500 or status in (401, 403):
            raise TransientSmsError(FailureReason.PROVIDER_UNAVAILABLE, str(status))
        if status >= 400:
            error_code = _json(response).get("error")
            if error_code == "invalid_number":
                raise PermanentSmsError(FailureReason.INVALID_NUMBER, str(status))
            if error_code == "opted_out":
                raise PermanentSmsError(FailureReason.OPTED_OUT, str(status))
            raise PermanentSmsError(FailureReason.REJECTED_BY_PROVIDER, str(status))
        answer = _json(response)
        return str(answer.get("message_id") or answer.get("id") or "")


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
