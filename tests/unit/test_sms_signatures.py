"""Inbound webhook authentication: SNS message signatures (versions 1 and 2) and the HTTP gateway's HMAC."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from edge.sms_signatures import (
    CertificateCache,
    SignatureError,
    SnsVerifier,
    gateway_signature,
    signing_cert_url_region,
    verify_gateway_signature,
)
from tests.sns_signing import CERT_URL, INBOUND_TOPIC, RECEIPTS_TOPIC, SnsSigner, new_key, two_way_sms

OTHER_TOPIC = "arn:aws:sns:ap-southeast-3:999999999999:someone-elses-topic"


@pytest.fixture
def signer() -> SnsSigner:
    return SnsSigner()


def verifier_for(signer: SnsSigner, topics: frozenset[str] = frozenset({INBOUND_TOPIC, RECEIPTS_TOPIC})) -> SnsVerifier:
    return SnsVerifier(CertificateCache(signer.fetch), topics)


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_notification_signed_by_sns_is_accepted_in_both_signature_versions(signer: SnsSigner, version: str) -> None:
    payload = two_way_sms("+6281234567890", "STATUS ABCD-EFGH2")
    message = verifier_for(signer).verify(signer.notification(payload, version=version))
    assert message.type == "Notification"
    assert message.topic_arn == INBOUND_TOPIC
    assert json.loads(message.message) == payload
    assert signer.fetched == [CERT_URL]


def test_a_subject_is_part_of_what_is_signed(signer: SnsSigner) -> None:
    body = json.loads(signer.notification("hello", Subject="Subjek"))
    verifier_for(signer).verify(json.dumps(body).encode())
    body["Subject"] = "Subjek lain"
    with pytest.raises(SignatureError) as raised:
        verifier_for(signer).verify(json.dumps(body).encode())
    assert raised.value.reason == "bad_signature"


@pytest.mark.parametrize("field", ["Message", "MessageId", "Timestamp", "Type"])
def test_any_change_to_a_signed_field_is_refused(signer: SnsSigner, field: str) -> None:
    body = json.loads(signer.notification(two_way_sms("+6281234567890", "STOP")))
    body[field] = "UnsubscribeConfirmation" if field == "Type" else body[field] + "x"
    with pytest.raises(SignatureError):
        verifier_for(signer).verify(json.dumps(body).encode())


def test_a_signature_by_another_key_is_refused(signer: SnsSigner) -> None:
    forged = SnsSigner(key=new_key()).notification(two_way_sms("+6281234567890", "STOP"))
    with pytest.raises(SignatureError) as raised:
        verifier_for(signer).verify(forged)
    assert raised.value.reason == "bad_signature"


def test_a_topic_we_did_not_subscribe_is_refused_before_any_certificate_is_fetched(signer: SnsSigner) -> None:
    with pytest.raises(SignatureError) as raised:
        verifier_for(signer).verify(signer.notification("x", topic=OTHER_TOPIC))
    assert raised.value.reason == "unexpected_topic"
    assert signer.fetched == []


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.ap-southeast-3.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.ap-southeast-3.amazonaws.com.evil.example/SimpleNotificationService-abc.pem",
        "https://evil.example/sns.ap-southeast-3.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.ap-southeast-3.amazonaws.com@evil.example/SimpleNotificationService-abc.pem",
        "https://user@sns.ap-southeast-3.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.ap-southeast-3.amazonaws.com:8443/SimpleNotificationService-abc.pem",
        "https://sqs.ap-southeast-3.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.ap-southeast-3.amazonaws.com/other.pem",
        "https://sns.ap-southeast-3.amazonaws.com/SimpleNotificationService-abc.pem?x=1",
        "https://sns.ap-southeast-3.amazonaws.com/../SimpleNotificationService-abc.pem",
        "not a url",
    ],
)
def test_a_certificate_url_off_the_sns_hosts_is_refused_without_fetching(signer: SnsSigner, url: str) -> None:
    assert signing_cert_url_region(url) is None
    body = json.loads(signer.notification("x"))
    body["SigningCertURL"] = url
    with pytest.raises(SignatureError) as raised:
        verifier_for(signer).verify(json.dumps(signer.sign(body)).encode())
    assert raised.value.reason == "untrusted_certificate_url"
    assert signer.fetched == []


def test_the_certificate_must_be_of_the_topic_region(signer: SnsSigner) -> None:
    body = json.loads(signer.notification("x"))
    body["SigningCertURL"] = CERT_URL.replace("ap-southeast-3", "us-east-1")
    with pytest.raises(SignatureError) as raised:
        verifier_for(signer).verify(json.dumps(signer.sign(body)).encode())
    assert raised.value.reason == "untrusted_certificate_url"


def test_the_certificate_is_fetched_once_and_then_cached(signer: SnsSigner) -> None:
    verifier = verifier_for(signer)
    for _ in range(3):
        verifier.verify(signer.notification("x"))
    assert signer.fetched == [CERT_URL]


def test_an_unreachable_or_expired_certificate_is_refused() -> None:
    def broken(url: str) -> bytes:
        raise OSError("down")

    signer = SnsSigner()
    with pytest.raises(SignatureError) as raised:
        SnsVerifier(CertificateCache(broken), frozenset({INBOUND_TOPIC})).verify(signer.notification("x"))
    assert raised.value.reason == "certificate_unavailable"

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
    cache = CertificateCache(signer.fetch, clock=lambda: later)
    with pytest.raises(SignatureError) as raised:
        SnsVerifier(cache, frozenset({INBOUND_TOPIC})).verify(signer.notification("x"))
    assert raised.value.reason == "certificate_expired"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "malformed"),
        (b"[1, 2]", "not_sns"),
        (json.dumps({"Type": "Notification"}).encode(), "missing_field"),
        (json.dumps({"Type": "Something"}).encode(), "not_sns"),
        (b" " * (300 * 1024), "too_large"),
    ],
)
def test_bodies_that_are_not_sns_messages_are_refused(signer: SnsSigner, body: bytes, reason: str) -> None:
    with pytest.raises(SignatureError) as raised:
        verifier_for(signer).verify(body)
    assert raised.value.reason == reason


def test_an_unknown_signature_version_is_refused(signer: SnsSigner) -> None:
    body = json.loads(signer.notification("x"))
    body["SignatureVersion"] = "3"
    with pytest.raises(SignatureError) as raised:
        verifier_for(signer).verify(json.dumps(body).encode())
    assert raised.value.reason == "unsupported_signature_version"


def test_a_subscription_confirmation_carries_its_subscribe_url(signer: SnsSigner) -> None:
    message = verifier_for(signer).verify(signer.subscription_confirmation())
    assert message.type == "SubscriptionConfirmation"
    assert message.subscribe_url is not None
    assert message.subscribe_url.startswith("https://sns.ap-southeast-3.amazonaws.com/?Action=ConfirmSubscription")


def test_a_subscription_confirmation_pointing_elsewhere_is_refused(signer: SnsSigner) -> None:
    forged = signer.subscription_confirmation(subscribe_url="https://evil.example/?Action=ConfirmSubscription")
    with pytest.raises(SignatureError) as raised:
        verifier_for(signer).verify(forged)
    assert raised.value.reason == "untrusted_subscribe_url"


# --- the HTTP gateway ----------------------------------------------------------------------------------------------

SECRET = b"gateway-test-secret"
NOW = dt.datetime(2026, 12, 2, 7, 0, tzinfo=dt.UTC)


def _header(body: bytes, at: dt.datetime = NOW, secret: bytes = SECRET) -> str:
    return gateway_signature(secret, int(at.timestamp()), body)


def test_a_gateway_call_signed_with_our_secret_is_accepted() -> None:
    body = json.dumps({"message_id": "m-1", "from": "+6281234567890", "text": "STOP"}).encode()
    verify_gateway_signature(_header(body), body, SECRET, NOW)
    verify_gateway_signature(_header(body, NOW - dt.timedelta(seconds=299)), body, SECRET, NOW)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "unsigned"),
        ("", "unsigned"),
        ("v1=abc", "malformed_signature"),
        ("t=soon,v1=abc", "malformed_signature"),
        ("STALE", "stale_signature"),
        ("OTHER_SECRET", "bad_signature"),
        ("OTHER_BODY", "bad_signature"),
    ],
)
def test_unsigned_stale_or_forged_gateway_calls_are_refused(header: Any, reason: str) -> None:
    body = b'{"message_id": "m-1"}'
    if header == "STALE":
        header = _header(body, NOW - dt.timedelta(seconds=301))
    elif header == "OTHER_SECRET":
        header = _header(body, secret=b"another-secret")
    elif header == "OTHER_BODY":
        header = _header(b'{"message_id": "m-2"}')
    with pytest.raises(SignatureError) as raised:
        verify_gateway_signature(header, body, SECRET, NOW)
    assert raised.value.reason == reason


def test_a_gateway_rotating_its_secret_may_send_two_signatures() -> None:
    body = b"{}"
    old, new = _header(body, secret=b"old"), _header(body)
    verify_gateway_signature(f"{old},v1={new.split('v1=')[1]}", body, SECRET, NOW)
