"""Signs SNS envelopes the way AWS (and moto) do, with a throwaway key, for tests of the inbound webhook.

The envelopes have the fields and order of AWS's documented examples (tests/unit/events/sns_*.json hold the shapes);
only the key and certificate are ours. `SigningCertURL` points at an sns.<region>.amazonaws.com URL, and the test's
certificate fetcher answers that URL with our certificate.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

REGION = "ap-southeast-3"
ACCOUNT = "123456789012"
INBOUND_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:bahagia-sms-inbound"
RECEIPTS_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:bahagia-sms-events"
CERT_URL = f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"

_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}


def _certificate(key: rsa.RSAPrivateKey, valid_days: int) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@functools.cache
def _shared_key() -> rsa.RSAPrivateKey:
    # RSA key generation takes ~0.1 s; one key serves every test that does not need a second signer.
    return new_key()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class SnsSigner:
    valid_days: int = 30
    key: rsa.RSAPrivateKey = field(default_factory=_shared_key)
    fetched: list[str] = field(default_factory=list)

    @property
    def pem(self) -> bytes:
        return _certificate(self.key, self.valid_days)

    def fetch(self, url: str) -> bytes:
        """A CertificateFetcher that serves our certificate for any URL and records the call."""
        self.fetched.append(url)
        return self.pem

    def sign(self, envelope: dict[str, Any], version: str = "2") -> dict[str, Any]:
        signed = {**envelope, "SignatureVersion": version, "SigningCertURL": envelope.get("SigningCertURL", CERT_URL)}
        text = "".join(f"{name}\n{signed[name]}\n" for name in _SIGNED[signed["Type"]] if name in signed)
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 -- AWS's version 1
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), algorithm)
        signed["Signature"] = base64.b64encode(signature).decode()
        return signed

    def notification(self, message: Any, topic: str = INBOUND_TOPIC, version: str = "2", **extra: Any) -> bytes:
        envelope = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic,
            "Message": message if isinstance(message, str) else json.dumps(message),
            "Timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={topic}:x",
            **extra,
        }
        return json.dumps(self.sign(envelope, version)).encode()

    def subscription_confirmation(self, topic: str = INBOUND_TOPIC, subscribe_url: str | None = None) -> bytes:
        token = "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad0"
        envelope = {
            "Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": topic,
            "Message": f"You have chosen to subscribe to the topic {topic}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": subscribe_url
            or f"https://sns.{REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}",
            "Timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        return json.dumps(self.sign(envelope)).encode()


def two_way_sms(sender: str, body: str, message_id: str | None = None) -> dict[str, Any]:
    """The payload AWS End User Messaging SMS publishes to the two-way SNS topic (AWS's documented example shape)."""
    return {
        "originationNumber": sender,
        "destinationNumber": "+6281100001111",
        "messageKeyword": "KEYWORD_" + ACCOUNT,
        "messageBody": body,
        "inboundMessageId": message_id or str(uuid.uuid4()),
        "previousPublishedMessageId": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    }


def sms_event(message_id: str, event_type: str = "TEXT_DELIVERED", is_final: bool = True) -> dict[str, Any]:
    """An AWS End User Messaging SMS delivery event (the documented example shape)."""
    return {
        "eventType": event_type,
        "eventVersion": "1.0",
        "eventTimestamp": 1686975103470,
        "isFinal": is_final,
        "originationPhoneNumber": "+6281100001111",
        "destinationPhoneNumber": "+6281200000000",
        "isInternationalSend": False,
        "mcc": "510",
        "mnc": "10",
        "messageId": message_id,
        "messageRequestTimestamp": 1686975103170,
        "messageEncoding": "GSM",
        "messageType": "TRANSACTIONAL",
        "messageStatus": event_type.removeprefix("TEXT_"),
        "messageStatusDescription": "Message has been accepted by phone carrier",
        "totalMessageParts": 1,
        "totalMessagePrice": 0.0,
        "totalCarrierFee": 0.0,
    }
