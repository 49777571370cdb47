"""SMS through the real path: Pub/Sub emulator push -> send_sms_notification process -> SNS on moto's server."""

from __future__ import annotations

import base64
import datetime as dt
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud import firestore

from bahagia.codes import format_tracking_code, new_tracking_code
from tests.integration.notify_harness import (
    NotifyFunction,
    PushPath,
    RecordingProxy,
    start_notify_function,
    wait_for,
)

PROJECT = "demo-bahagia-notify"  # its own project: the other suites' resets never touch this data
PHONE = "+6281234567890"
OPTED_OUT_AT_SNS = "+6281234567899"  # on the opt-out list the SNS proxy answers (the citizen replied STOP)


@pytest.fixture(scope="module")
def proxies(emulators: Any) -> Iterator[tuple[RecordingProxy, RecordingProxy]]:
    sns = RecordingProxy(emulators.sns_url, fail_action="Publish", opted_out=(OPTED_OUT_AT_SNS,)).start()
    push = RecordingProxy("http://127.0.0.1:9").start()  # upstream set once the function's port is known
    yield sns, push
    sns.stop()
    push.stop()


@pytest.fixture(scope="module")
def function(
    emulators: Any, proxies: tuple[RecordingProxy, RecordingProxy], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NotifyFunction]:
    sns, push = proxies
    process = start_notify_function(
        emulators.client_env(),
        {
            "BAHAGIA_PROJECT_ID": PROJECT,
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "BAHAGIA_SNS_ENDPOINT_URL": sns.url,
            "AWS_ENDPOINT_URL_SNS": sns.url,
            "BAHAGIA_SMS_DAILY_CAP_PER_NUMBER": "3",
            "BAHAGIA_PUBLIC_BASE_URL": "http://127.0.0.1:8080",
        },
        tmp_path_factory.mktemp("notify-logs"),
    )
    push.upstream = process.url
    yield process
    process.stop()


@pytest.fixture
def db(emulators: Any) -> firestore.Client:
    emulators.reset_firestore(PROJECT)
    return firestore.Client(project=PROJECT)


@pytest.fixture
def path(
    emulators: Any, function: NotifyFunction, proxies: tuple[RecordingProxy, RecordingProxy], db: firestore.Client
) -> Iterator[PushPath]:
    sns, push = proxies
    sns.clear()
    push.clear()
    emulators.reset_sms()
    created = PushPath(emulators.pubsub_host, PROJECT, push.url).create()
    yield created
    created.delete()


def _submission(
    db: firestore.Client, *, phone: str | None = PHONE, privacy: str = "private", kind: str = "application"
) -> str:
    code = new_tracking_code(random.SystemRandom().randrange)
    doc: dict[str, Any] = {"tracking_code": code, "kind": kind, "status": "diterima", "privacy": privacy}
    if kind == "application":
        doc |= {"program": "rumel", "applicant": {"name": "Siti Aminah", "phone": phone}}
    else:
        doc |= {"category": "lingkungan"}
        if privacy != "anonymous":
            doc["reporter"] = {"name": "Budi", "phone": phone}
    db.collection("submissions").document(code).set(doc)
    return code


def _received(code: str, kind: str = "application") -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "type": "submission.received",
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "tracking_code": code,
        "kind": kind,
        "program": "rumel" if kind == "application" else None,
        "category": "lingkungan" if kind == "complaint" else None,
        "status": "diterima",
    }


def _sms(emulators: Any, phone: str = PHONE) -> list[dict[str, Any]]:
    return [m for m in emulators.sms_messages() if m["phone_number"] == phone]


def _records(db: firestore.Client, code: str) -> list[dict[str, Any]]:
    return [
        s.to_dict() or {}
        for s in db.collection("notifications")
        .where(filter=firestore.FieldFilter("tracking_code", "==", code))
        .stream()
    ]


def _settle(push: RecordingProxy, seconds: float = 3.0) -> None:
    """Wait until no push has arrived for `seconds` (longer than the subscription's maximum backoff)."""
    last = -1
    while push.count() != last:
        last = push.count()
        time.sleep(seconds)


def test_one_submission_gives_exactly_one_sms_with_the_tracking_code(
    emulators: Any, db: firestore.Client, path: PushPath, proxies: tuple[RecordingProxy, RecordingProxy]
) -> None:
    code = _submission(db)
    path.publish(_received(code))
    [message] = wait_for(lambda: _sms(emulators))
    assert format_tracking_code(code) in message["message"]
    assert "http://127.0.0.1:8080/status" in message["message"]
    [record] = wait_for(lambda: [r for r in _records(db, code) if r["status"] == "sent"])
    assert record["provider"] == "sns"
    assert record["provider_message_id"] == message["message_id"]
    assert record["segments"] == 1
    assert record["template"] == "receipt"
    assert record["attempts"] == 1
    assert PHONE not in str(record)


def test_the_same_event_published_three_more_times_still_gives_one(
    emulators: Any, db: firestore.Client, path: PushPath, proxies: tuple[RecordingProxy, RecordingProxy]
) -> None:
    _, push = proxies
    code = _submission(db)
    event = _received(code)
    path.publish(event)
    wait_for(lambda: _sms(emulators))
    path.publish(event, event, event)
    wait_for(lambda: push.count(status=200) >= 4)
    _settle(push)
    assert len(_sms(emulators)) == 1
    assert len(_records(db, code)) == 1


def test_sns_failing_transiently_then_succeeding_gives_one(
    emulators: Any, db: firestore.Client, path: PushPath, proxies: tuple[RecordingProxy, RecordingProxy]
) -> None:
    sns, push = proxies
    sns.fail_next = 2
    code = _submission(db)
    path.publish(_received(code))
    wait_for(lambda: _sms(emulators), timeout=60)
    [record] = wait_for(lambda: [r for r in _records(db, code) if r["status"] == "sent"])
    assert record["attempts"] == 3
    assert sns.count("Publish", 503) == 2
    assert sns.count("Publish", 200) == 1
    assert push.count(status=503) == 2
    # The record is written before the function answers the push that sent it: wait for that answer too.
    wait_for(lambda: push.count(status=200) == 1)
    _settle(push)
    assert push.count(status=200) == 1
    assert len(_sms(emulators)) == 1


def test_an_invalid_number_is_recorded_as_failed_and_not_retried(
    emulators: Any, db: firestore.Client, path: PushPath, proxies: tuple[RecordingProxy, RecordingProxy]
) -> None:
    sns, push = proxies
    landline = _submission(db, phone="+62741123456")
    opted_out_at_sns = _submission(db, phone=OPTED_OUT_AT_SNS)
    path.publish(_received(landline), _received(opted_out_at_sns))
    [invalid] = wait_for(lambda: _records(db, landline))
    [opted] = wait_for(lambda: [r for r in _records(db, opted_out_at_sns) if r["status"] == "failed"])
    _settle(push)
    assert invalid["status"] == "failed"
    assert invalid["failure_reason"] == "invalid_number"
    assert invalid["retryable"] is False
    assert invalid["attempts"] == 0
    assert opted["failure_reason"] == "opted_out"
    assert opted["retryable"] is False
    assert push.count() == 2
    assert push.count(status=200) == 2
    assert sns.count("Publish") == 0
    assert emulators.sms_messages() == []


def test_a_poison_message_reaches_the_dead_letter_topic_and_the_next_event_is_still_delivered(
    emulators: Any,
    db: firestore.Client,
    path: PushPath,
    proxies: tuple[RecordingProxy, RecordingProxy],
    function: NotifyFunction,
) -> None:
    _, push = proxies
    code = _submission(db)
    path.publish(b"{not json")
    path.publish(_received(code))
    # the good event does not wait behind the poison one
    wait_for(lambda: _sms(emulators), timeout=30)
    assert push.count("poison") < 5
    dead = wait_for(path.pull_dead_letters, timeout=90)
    [message] = dead
    assert base64.b64decode(message["data"]) == b"{not json"
    assert message["attributes"]["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"
    assert message["attributes"]["CloudPubSubDeadLetterSourceSubscription"].startswith("send-sms-notification-")
    assert push.count("poison", 422) == 5
    assert push.count("poison", 500) == 0
    assert "sms poison event" in function.log()
    assert "Traceback" not in function.log()


def test_the_per_number_cap_holds(
    emulators: Any, db: firestore.Client, path: PushPath, proxies: tuple[RecordingProxy, RecordingProxy]
) -> None:
    _, push = proxies
    codes = [_submission(db) for _ in range(5)]  # the function runs with a cap of 3 per number per day
    path.publish(*[_received(code) for code in codes])
    wait_for(lambda: push.count(status=200) >= 5, timeout=60)
    _settle(push)
    assert len(_sms(emulators)) == 3
    records = [r for code in codes for r in _records(db, code)]
    assert sorted(r["status"] for r in records) == ["failed", "failed", "sent", "sent", "sent"]
    assert {r["failure_reason"] for r in records if r["status"] == "failed"} == {"daily_cap_reached"}


def test_an_anonymous_report_sends_none(
    emulators: Any, db: firestore.Client, path: PushPath, proxies: tuple[RecordingProxy, RecordingProxy]
) -> None:
    _, push = proxies
    code = _submission(db, kind="complaint", privacy="anonymous")
    path.publish(_received(code, kind="complaint"))
    wait_for(lambda: push.count(status=200) == 1)
    _settle(push)
    assert emulators.sms_messages() == []
    assert _records(db, code) == []


def test_the_receipt_for_a_public_complaint_goes_to_the_reporter(
    emulators: Any, db: firestore.Client, path: PushPath
) -> None:
    code = _submission(db, kind="complaint", privacy="public")
    path.publish(_received(code, kind="complaint"))
    [message] = wait_for(lambda: _sms(emulators))
    assert message["message"].startswith("Pemkot Jambi: Laporan Lingkungan Anda diterima.")
