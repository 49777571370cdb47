"""Is this inbound SMS webhook call really from our provider? Two ways in, each checked before anything is stored.

**Amazon SNS** (HTTPS subscription of the topics that AWS End User Messaging SMS publishes inbound texts and delivery
events to). As AWS documents ("Verifying the signatures of Amazon SNS messages"): the string to sign is the
name-newline-value-newline list of `Message, MessageId, Subject (if any), Timestamp, TopicArn, Type` for a
Notification and `Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type` for a
(Un)SubscriptionConfirmation;
the signature is RSA PKCS#1 v1.5 over SHA1 (`SignatureVersion` 1) or SHA256 (2) with the key of the X.509 certificate
at `SigningCertURL`. That URL must be https on a host `sns.<region>.amazonaws.com` of the topic's own region, with
the path AWS uses; the certificate comes through an injected fetcher (HTTPS, TLS-verified) and is cached per URL. The
`TopicArn` must be one we subscribed. The crypto is `cryptography`'s, not ours.

**The HTTP gateway** (the same kind of provider adapters/sms_http.py sends through) signs each call with the shared
secret `BAHAGIA_SMS_HTTP_INBOUND_SECRET`:

    X-Bahagia-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

A timestamp more than five minutes off is refused (a captured call cannot be replayed later); the same message id
twice is recognised by the service. docs/SMS.md describes both for the people who configure the provider.

Every failure raises SignatureError with a reason code only: a forged body may carry anything, and it is not logged.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Bahagia-Signature"
GATEWAY_TOLERANCE_SECONDS = 300

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"

_SIGNED_FIELDS = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    SUBSCRIPTION_CONFIRMATION: ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    UNSUBSCRIBE_CONFIRMATION: ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
_OPTIONAL_FIELDS = frozenset({"Subject"})
_SNS_HOST = re.compile(r"^sns\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$")
_CERT_PATH = re.compile(r"^/SimpleNotificationService-[0-9A-Za-z]+\.pem$")
_TOPIC_ARN = re.compile(r"^arn:aws:sns:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:[A-Za-z0-9_-]{1,256}$")
MAX_ENVELOPE_BYTES = 256 * 1024
"""SNS messages are at most 256 KiB; anything larger is not from SNS."""


class SignatureError(Exception):
    """The call is not provably from our provider. `reason` is a short code, safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- SNS -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnsMessage:
    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    subscribe_url: str | None = None


def sns_region_of_url(url: str) -> str | None:
    """The region of an https URL on an SNS host (`sns.<region>.amazonaws.com`, no port, no user), else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or parts.username or parts.password or port not in (None, 443):
        return None
    match = _SNS_HOST.match(parts.hostname or "")
    return match.group(1) if match else None


def signing_cert_url_region(url: str) -> str | None:
    """The region of a SigningCertURL AWS could have sent, else None."""
    region = sns_region_of_url(url)
    parts = urlsplit(url)
    if region is None or parts.query or parts.fragment or not _CERT_PATH.match(parts.path):
        return None
    return region


def string_to_sign(envelope: dict[str, str]) -> bytes:
    """AWS's canonical form: each signed field present as `Name\\nValue\\n`, in AWS's (byte-sorted) order."""
    names = _SIGNED_FIELDS[envelope["Type"]]
    return "".join(f"{name}\n{envelope[name]}\n" for name in names if name in envelope).encode("utf-8")


def parse_sns_envelope(raw: bytes) -> dict[str, str]:
    """The JSON body SNS posts (sent as text/plain), with every signed field a string; else SignatureError."""
    if len(raw) > MAX_ENVELOPE_BYTES:
        raise SignatureError("too_large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SignatureError("malformed") from None
    if not isinstance(data, dict) or data.get("Type") not in _SIGNED_FIELDS:
        raise SignatureError("not_sns")
    for name in (*_SIGNED_FIELDS[data["Type"]], "Signature", "SignatureVersion", "SigningCertURL"):
        if name in _OPTIONAL_FIELDS and name not in data:
            continue
        if not isinstance(data.get(name), str):
            raise SignatureError("missing_field")
    return {key: value for key, value in data.items() if isinstance(value, str)}


CertificateFetcher = Callable[[str], bytes]
"""Takes a SigningCertURL (already checked), returns the PEM bytes; raises on any failure."""


class CertificateCache:
    """SNS signing certificates by URL, fetched once through `fetch` and kept (AWS rotates them rarely; a new one
    comes with a new URL). Bounded, so a flood of forged-but-plausible URLs cannot grow it without end."""

    def __init__(
        self,
        fetch: CertificateFetcher,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        max_entries: int = 16,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._max = max_entries
        self._keys: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def public_key(self, url: str) -> Any:
        from cryptography import x509

        with self._lock:
            cached = self._keys.get(url)
            if cached is not None:
                self._keys.move_to_end(url)
        if cached is None:
            try:
                pem = self._fetch(url)
                cached = x509.load_pem_x509_certificate(pem)
            except Exception:
                raise SignatureError("certificate_unavailable") from None
            with self._lock:
                self._keys[url] = cached
                while len(self._keys) > self._max:
                    self._keys.popitem(last=False)
        now = self._clock()
        if not cached.not_valid_before_utc <= now <= cached.not_valid_after_utc:
            raise SignatureError("certificate_expired")
        return cached.public_key()


class SnsVerifier:
    """Checks SNS envelopes against the certificate at their (checked) SigningCertURL and our topic list."""

    def __init__(self, certificates: CertificateCache, allowed_topic_arns: frozenset[str]) -> None:
        self._certificates = certificates
        self._topics = allowed_topic_arns

    def verify(self, raw: bytes) -> SnsMessage:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        envelope = parse_sns_envelope(raw)
        topic = _TOPIC_ARN.match(envelope["TopicArn"])
        if topic is None or envelope["TopicArn"] not in self._topics:
            # AWS: "Reject any message with an unexpected TopicArn". Checked before any certificate is fetched, so a
            # stranger cannot make us download anything.
            raise SignatureError("unexpected_topic")
        region = signing_cert_url_region(envelope["SigningCertURL"])
        if region is None or region != topic.group(1):
            raise SignatureError("untrusted_certificate_url")
        version = envelope["SignatureVersion"]
        if version == "1":
            algorithm: hashes.HashAlgorithm = hashes.SHA1()  # noqa: S303 -- AWS's SignatureVersion 1 is SHA1
        elif version == "2":
            algorithm = hashes.SHA256()
        else:
            raise SignatureError("unsupported_signature_version")
        try:
            signature = base64.b64decode(envelope["Signature"], validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("malformed_signature") from None
        key = self._certificates.public_key(envelope["SigningCertURL"])
        if not isinstance(key, rsa.RSAPublicKey):
            raise SignatureError("unexpected_key_type")
        try:
            key.verify(signature, string_to_sign(envelope), padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise SignatureError("bad_signature") from None
        subscribe_url = envelope.get("SubscribeURL")
        if envelope["Type"] != NOTIFICATION and (subscribe_url is None or sns_region_of_url(subscribe_url) != region):
            raise SignatureError("untrusted_subscribe_url")
        return SnsMessage(
            type=envelope["Type"],
            message_id=envelope["MessageId"],
            topic_arn=envelope["TopicArn"],
            message=envelope["Message"],
            timestamp=envelope["Timestamp"],
            subscribe_url=subscribe_url if envelope["Type"] != NOTIFICATION else None,
        )


# --- the HTTP gateway ----------------------------------------------------------------------------------------------


def gateway_signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The header value a gateway sends for `body` at `timestamp` (also what tests and docs use to sign)."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_gateway_signature(header: str | None, body: bytes, secret: bytes, now: dt.datetime) -> None:
    """Raise SignatureError unless `header` is a fresh HMAC of `body` under `secret`."""
    if not header:
        raise SignatureError("unsigned")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("malformed_signature") from None
    if abs(now.timestamp() - timestamp) > GATEWAY_TOLERANCE_SECONDS:
        raise SignatureError("stale_signature")
    expected = gateway_signature(secret, timestamp, body).split("v1=", 1)[1]
    # Several v1 values are allowed (a gateway rotating its secret signs with both); one must match.
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise SignatureError("bad_signature")
