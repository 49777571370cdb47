"""Google's ID-token certificates are fetched once per max-age, not once per staff request (issue 11).

A real google-auth verification (verify_oauth2_token) of RS256 tokens signed with a key made here, over an injected
transport that serves the certificate as Google does and counts the fetches."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from staff import auth

AUD = "1234-staff.apps.googleusercontent.com"
CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate_pem() -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-google-certs")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(KEY.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(KEY, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


CERTS = json.dumps({"k1": _certificate_pem()}).encode()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    data: bytes


@dataclass
class CountingTransport:
    """google.auth.transport.Request's shape: serves the certificates like Google, counts every fetch."""

    cache_control: str = "public, max-age=19800, must-revalidate, no-transform"
    status: int = 200
    fetches: list[str] = field(default_factory=list)

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> Response:
        self.fetches.append(url)
        return Response(self.status, {"Cache-Control": self.cache_control}, CERTS if self.status == 200 else b"")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def google_token(email: str = "kadis@jambikota.go.id") -> str:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": AUD,
        "sub": "1",
        "email": email,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})


def test_certificates_are_fetched_once_while_their_max_age_lasts() -> None:
    transport, clock = CountingTransport(), Clock()
    verify = auth.google_id_token_verifier(transport, clock)
    for email in ("a@jambikota.go.id", "b@jambikota.go.id", "c@jambikota.go.id"):
        assert verify(google_token(email), AUD)["email"] == email
    assert transport.fetches == [CERTS_URL]
    clock.now += 19_799
    verify(google_token(), AUD)
    assert len(transport.fetches) == 1
    clock.now += 2  # past max-age: Google may have rotated its keys
    verify(google_token(), AUD)
    assert len(transport.fetches) == 2


@pytest.mark.parametrize("cache_control", ["no-store", "no-cache", "public"])
def test_an_answer_without_a_usable_max_age_is_not_kept(cache_control: str) -> None:
    transport = CountingTransport(cache_control=cache_control)
    verify = auth.google_id_token_verifier(transport, Clock())
    verify(google_token(), AUD)
    verify(google_token(), AUD)
    assert len(transport.fetches) == 2


def test_a_failed_fetch_is_not_kept() -> None:
    from google.auth import exceptions

    transport = CountingTransport(status=503)
    verify = auth.google_id_token_verifier(transport, Clock())
    for _ in range(2):
        with pytest.raises(exceptions.TransportError):
            verify(google_token(), AUD)
    assert len(transport.fetches) == 2


def test_a_token_for_another_audience_is_still_refused_with_cached_certificates() -> None:
    transport = CountingTransport()
    verify = auth.google_id_token_verifier(transport, Clock())
    verify(google_token(), AUD)
    with pytest.raises(ValueError, match="audience"):
        verify(google_token(), "another-client.apps.googleusercontent.com")
