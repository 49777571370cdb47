"""Who is calling the staff API: a bearer JWT turned into an Actor (e-mail, role, OPD), or a 401.

Production (`staff_auth=google`): a Google-signed ID token for the configured audience, with a verified e-mail; the
role and OPD come from Firestore `staff/{sha256(email)}` (written by an admin through PUT /v1/staff/users/{email}), so
revoking someone takes effect on their next request. A valid Google account that is not an active staff member is 403.

Local and tests (`staff_auth=local`): HS256 tokens printed by `make staff-token`, signed with settings.keys.staff_token
(derived from the development secret; never a key in the repository), carrying role and OPD as claims. Settings
refuse this mode in production, and an unset environment is production.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from bahagia import errors
from bahagia.errors import BahagiaError
from bahagia.lifecycle import Actor
from ports import StaffDirectory

ROLES = ("verifikator", "opd", "integritas", "pimpinan", "admin", "operator")
"""The roles of lifecycles.json; `operator` (Call Center Bahagia) files complaints for callers and reads no case."""
LOCAL_ISSUER = "bahagia-local"
_LEEWAY_SECONDS = 30


def unauthorized() -> BahagiaError:
    return BahagiaError(
        "unauthorized",
        "Token tidak ada, tidak sah, atau sudah kedaluwarsa. Silakan masuk kembali.",
        401,
        headers={"WWW-Authenticate": 'Bearer realm="bahagia-staff"'},
    )


def not_staff() -> BahagiaError:
    return BahagiaError("forbidden", "Akun ini tidak terdaftar sebagai petugas aktif.", 403)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header, or a 401."""
    if not authorization:
        raise unauthorized()
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or len(token) > 8192:
        raise unauthorized()
    return token


def normalize_email(email: str) -> str:
    return email.strip().lower()


def staff_id(email: str) -> str:
    """The `staff/` document id: a hash, so that paths, logs and audit exports do not spell out addresses."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def check_role(role: object, opd: object, opd_ids: set[str]) -> tuple[str, str | None] | None:
    """(role, opd) when they make a valid staff assignment: an `opd` member needs a known OPD, nobody else has one."""
    if role not in ROLES:
        return None
    assert isinstance(role, str)
    if role == "opd":
        return (role, opd) if isinstance(opd, str) and opd in opd_ids else None
    return (role, None) if opd in (None, "") else None


# --- local tokens --------------------------------------------------------------------------------------------------


def issue_local_token(
    key: bytes, audience: str, email: str, role: str, opd: str | None, now: dt.datetime, ttl: dt.timedelta
) -> str:
    claims: dict[str, Any] = {
        "iss": LOCAL_ISSUER,
        "aud": audience,
        "sub": normalize_email(email),
        "email": normalize_email(email),
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if opd is not None:
        claims["opd"] = opd
    return jwt.encode(claims, key, algorithm="HS256")


class LocalTokenVerifier:
    def __init__(self, key: bytes, audience: str, opd_ids: set[str]) -> None:
        self._key = key
        self._audience = audience
        self._opd_ids = opd_ids

    def verify(self, token: str) -> Actor:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],  # fixed: never the algorithm the token names
                audience=self._audience,
                issuer=LOCAL_ISSUER,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "email", "role"]},
            )
        except jwt.PyJWTError:
            raise unauthorized() from None
        assignment = check_role(claims.get("role"), claims.get("opd"), self._opd_ids)
        email = claims.get("email")
        if assignment is None or not isinstance(email, str) or "@" not in email:
            raise unauthorized()
        return Actor(email=normalize_email(email), role=assignment[0], opd=assignment[1])


# --- Google ID tokens ----------------------------------------------------------------------------------------------


class CachedGetRequest:
    """A google-auth transport Request that keeps each successful GET for as long as its Cache-Control max-age allows.

    google-auth's verify_oauth2_token fetches Google's public certificates on every call; Google serves them with a
    max-age of hours, so an instance fetches them once per rotation instead of once per staff request.
    """

    def __init__(self, transport: Callable[..., Any], clock: Callable[[], float] = time.monotonic) -> None:
        self._transport = transport
        self._clock = clock
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        if method != "GET" or body is not None:
            return self._transport(url, method=method, body=body, headers=headers, **kwargs)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None and now < cached[0]:
            return cached[1]
        response = self._transport(url, method=method, headers=headers, **kwargs)
        max_age = _max_age(response)
        if response.status == 200 and max_age > 0:
            with self._lock:
                self._cache[url] = (now + max_age, response)
        return response


def _max_age(response: Any) -> int:
    from werkzeug.datastructures import ResponseCacheControl
    from werkzeug.http import parse_cache_control_header

    control = parse_cache_control_header(response.headers.get("Cache-Control"), cls=ResponseCacheControl)
    if control.no_store or control.no_cache or control.max_age is None:
        return 0
    return int(control.max_age)


def google_id_token_verifier(
    transport: Callable[..., Any] | None = None, clock: Callable[[], float] = time.monotonic
) -> Callable[[str, str], Mapping[str, Any]]:
    """google-auth's verifier over a certificate cache; built on first use (`transport`: tests inject one)."""
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token

    request = CachedGetRequest(transport or google_requests.Request(), clock)

    def verify(token: str, audience: str) -> Mapping[str, Any]:
        claims: Mapping[str, Any] = id_token.verify_oauth2_token(  # type: ignore[no-untyped-call]
            token, request, audience, clock_skew_in_seconds=_LEEWAY_SECONDS
        )
        return claims

    return verify


class GoogleTokenVerifier:
    def __init__(
        self,
        audience: str,
        directory: StaffDirectory,
        verify_id_token: Callable[[str, str], Mapping[str, Any]],
    ) -> None:
        self._audience = audience
        self._directory = directory
        self._verify_id_token = verify_id_token

    def verify(self, token: str) -> Actor:
        from google.auth import exceptions as google_exceptions

        try:
            claims = self._verify_id_token(token, self._audience)
        except google_exceptions.TransportError:
            raise errors.unavailable() from None  # Google's certificates could not be fetched: not the caller's fault
        except (ValueError, google_exceptions.GoogleAuthError):  # bad, expired or foreign tokens
            raise unauthorized() from None
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is not True:
            raise unauthorized()
        member = self._directory.get(email)
        if member is None or not member.active:
            raise not_staff()
        return Actor(email=normalize_email(email), role=member.role, opd=member.opd)
