"""Fetchers of SNS signing certificates for edge.sms_signatures.CertificateCache.

Production: a plain HTTPS GET of the SigningCertURL (already checked to be `https://sns.<region>.amazonaws.com/
SimpleNotificationService-*.pem`), TLS-verified by httpx, no redirects, a size cap.

Locally and in tests (`BAHAGIA_SNS_ENDPOINT_URL` set): moto signs the notifications it posts to HTTP subscribers with
a real key and serves the certificate at the same path on its own server. moto's server picks the service by the
request's AWS signature, so the GET is SigV4-signed for `sns` (with moto's dummy credentials), as boto3 would sign it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

MAX_CERTIFICATE_BYTES = 16 * 1024


def _checked(response: httpx.Response) -> bytes:
    response.raise_for_status()
    body = response.content
    if len(body) > MAX_CERTIFICATE_BYTES or b"-----BEGIN CERTIFICATE-----" not in body:
        raise ValueError("not a PEM certificate")
    return body


def https_fetcher(timeout_seconds: float) -> Callable[[str], bytes]:
    client = httpx.Client(timeout=timeout_seconds, follow_redirects=False)

    def fetch(url: str) -> bytes:
        return _checked(client.get(url))

    return fetch


def moto_fetcher(endpoint_url: str, region: str, timeout_seconds: float) -> Callable[[str], bytes]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    client = httpx.Client(timeout=timeout_seconds, follow_redirects=False)
    base = endpoint_url.rstrip("/")

    def fetch(url: str) -> bytes:
        request = AWSRequest(method="GET", url=base + urlsplit(url).path)
        SigV4Auth(Credentials("local", "local"), "sns", region).add_auth(request)
        return _checked(client.get(str(request.url), headers=dict(request.headers.items())))

    return fetch
