"""Trusted devices: the browsers and apps that filed a code or have shown its right PIN.

A device is trusted for a code by a signed cookie (`bahagia_device`, path /v1/, the cookie key, 180 days) set on the
answer to its submission and on every status answered with the right PIN. Its guesses on that code count against its own
budget (intake.service.track), so strangers spending the code's shared budget cannot lock the owner out. The cookie
can only be had by filing the code or by knowing its PIN, so it gives a guesser nothing new; a copied cookie still
guesses within that one device's budget.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import flask
from itsdangerous import BadSignature, URLSafeTimedSerializer

import bootstrap

DEVICE_COOKIE = "bahagia_device"
DEVICE_MAX_AGE = 180 * 24 * 3600
MAX_CODES = 20
"""The codes one device remembers, newest last: a household files a few, not hundreds."""


@dataclass(frozen=True)
class TrustedDevice:
    id: str
    codes: tuple[str, ...]

    def trusts(self, code: str) -> bool:
        return code in self.codes


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(bootstrap.settings().keys.cookie, salt="trusted-device")


def read(request: flask.Request) -> TrustedDevice | None:
    """The device a request's cookie names, or None (no cookie, a bad signature, expired, malformed)."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token or len(token) > 2048:
        return None
    try:
        data: Any = _serializer().loads(token, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    device_id, codes = data.get("d"), data.get("c")
    if not isinstance(device_id, str) or not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        return None
    return TrustedDevice(device_id, tuple(codes[-MAX_CODES:]))


def remember(response: flask.Response, device: TrustedDevice | None, code: str) -> None:
    """Trust the device that sent this request for `code` from now on (a new device gets a random id)."""
    device_id = device.id if device else secrets.token_urlsafe(16)
    earlier = [c for c in (device.codes if device else ()) if c != code]
    codes = [*earlier[-(MAX_CODES - 1) :], code]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps({"d": device_id, "c": codes}),
        max_age=DEVICE_MAX_AGE,
        # Sent with status look-ups and with submissions (so a device that files a second code keeps the first).
        path="/v1/",
        secure=bootstrap.settings().public_base_url.startswith("https://"),
        httponly=True,
        samesite="Strict",
    )
