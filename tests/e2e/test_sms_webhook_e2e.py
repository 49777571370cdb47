"""Two-way SMS through the running stack: moto's SNS posts signed notifications (a real RSA signature, the certificate
served by moto at the SigningCertURL path) to the gateway's /v1/sms/inbound and /v1/sms/receipts, exactly as an SNS
HTTPS subscription does; the HTTP gateway variant is signed with the local shared secret."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import boto3
import httpx
import pytest
from google.cloud import firestore

from bahagia import codes
from edge.sms_signatures import SIGNATURE_HEADER, gateway_signature
from tests import samples
from tests.sns_signing import SnsSigner, sms_event, two_way_sms

REPORTER = "+6281311112222"  # samples.COMPLAINT's reporter, as stored
STRANGER = "+6285799990001"
REGION = "ap-southeast-3"
LOCAL_GATEWAY_SECRET = b"local-sms-gateway-secret"  # devstack's BAHAGIA_SMS_HTTP_INBOUND_SECRET


@pytest.fixture
def client(stack: Any, clean_emulators: Any) -> Any:
    with httpx.Client(base_url=stack.base_url, timeout=30) as http:
        yield http


@pytest.fixture
def db(stack: Any) -> firestore.Client:
    return firestore.Client(project=stack.project_id)


@pytest.fixture
def sns(stack: Any, client: Any) -> Any:
    """moto's SNS with the two topics AWS End User Messaging would publish to, subscribed to our webhook paths."""
    sns = boto3.client("sns", region_name=REGION, endpoint_url=stack.emulators.sns_url)
    topics = {}
    for name, path in (("bahagia-sms-inbound", "/v1/sms/inbound"), ("bahagia-sms-events", "/v1/sms/receipts")):
        arn = sns.create_topic(Name=name)["TopicArn"]
        sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=f"{stack.base_url}{path}")
        topics[name] = arn
    sns.topics = topics
    return sns


def _texts(stack: Any, phone: str) -> list[str]:
    return [m["message"] for m in stack.sms_messages() if m["phone_number"] == phone]


def _wait_for(stack: Any, phone: str, count: int, timeout: float = 30) -> list[str]:
    started = time.monotonic()
    while len(_texts(stack, phone)) < count and time.monotonic() - started < timeout:
        time.sleep(0.3)
    return _texts(stack, phone)


def _complaint(client: Any, stack: Any) -> str:
    response = client.post("/v1/complaints", json=samples.complaint())
    assert response.status_code == 201, response.text
    assert len(_wait_for(stack, REPORTER, 1)) == 1  # the receipt
    return str(response.json()["tracking_code"])


def test_status_by_sms_through_sns_answers_the_filer_in_moto(client: Any, stack: Any, sns: Any, db: Any) -> None:
    code = _complaint(client, stack)
    sns.publish(TopicArn=sns.topics["bahagia-sms-inbound"], Message=json.dumps(two_way_sms(REPORTER, f"status {code}")))
    texts = _wait_for(stack, REPORTER, 2)
    assert (
        texts[-1] == f"Pemkot Jambi: Status {codes.format_tracking_code(code)}: Diterima. Info: {stack.base_url}/status"
    )
    [audit] = [d.to_dict() for d in db.collection("sms_inbound").stream()]
    assert audit["command"] == "status"
    assert audit["tracking_code"] == code
    assert audit["known_sender"] is True
    assert audit["outcome"] == "replied"


def test_a_stranger_gets_the_neutral_answer_and_leaves_no_text_behind(
    client: Any, stack: Any, sns: Any, db: Any, personal_data: Any
) -> None:
    personal_data.register(phone=STRANGER)
    code = _complaint(client, stack)
    sns.publish(TopicArn=sns.topics["bahagia-sms-inbound"], Message=json.dumps(two_way_sms(STRANGER, f"STATUS {code}")))
    [text] = _wait_for(stack, STRANGER, 1)
    assert "Kode tidak ditemukan" in text
    assert code not in text.replace("-", "")
    [audit] = [d.to_dict() for d in db.collection("sms_inbound").stream()]
    assert audit["body"] is None
    assert audit["known_sender"] is False


def test_unsigned_forged_or_stale_calls_are_401_and_store_nothing(client: Any, stack: Any, sns: Any, db: Any) -> None:
    payload = two_way_sms(REPORTER, "STOP")
    forged = SnsSigner().notification(payload, topic=sns.topics["bahagia-sms-inbound"])
    body = json.dumps({"message_id": "g-1", "from": REPORTER, "text": "STOP"}).encode()
    stale = gateway_signature(LOCAL_GATEWAY_SECRET, int(time.time()) - 3600, body)
    attempts = [
        client.post("/v1/sms/inbound", json=payload),
        client.post("/v1/sms/inbound", content=forged, headers={"Content-Type": "text/plain; charset=UTF-8"}),
        client.post("/v1/sms/inbound", content=body, headers={SIGNATURE_HEADER: "t=1,v1=00"}),
        client.post("/v1/sms/inbound", content=body, headers={SIGNATURE_HEADER: stale}),
        client.post("/v1/sms/receipts", json=sms_event("m-1")),
    ]
    assert [r.status_code for r in attempts] == [401] * 5
    assert all(r.json()["error"]["code"] == "unauthorized" for r in attempts)
    assert list(db.collection("sms_inbound").stream()) == []
    assert list(db.collection("sms_opt_outs").stream()) == []
    assert _texts(stack, REPORTER) == []


def test_stop_through_the_signed_gateway_opts_out_and_mulai_opts_back_in(client: Any, stack: Any, db: Any) -> None:
    def send(text: str) -> httpx.Response:
        body = json.dumps({"message_id": str(uuid.uuid4()), "from": "0813-1111-2222", "to": "1500123",
                           "text": text, "received_at": dt.datetime.now(dt.UTC).isoformat()}).encode()  # fmt: skip
        header = gateway_signature(LOCAL_GATEWAY_SECRET, int(time.time()), body)
        return client.post("/v1/sms/inbound", content=body, headers={SIGNATURE_HEADER: header,
                                                                      "Content-Type": "application/json"})  # fmt: skip

    assert send("stop").status_code == 200
    assert "MULAI" in _wait_for(stack, REPORTER, 1)[-1]
    assert len(list(db.collection("sms_opt_outs").stream())) == 1
    # Opted out: a new complaint's receipt is recorded as such and not sent.
    created = client.post("/v1/complaints", json=samples.complaint())
    assert created.status_code == 201
    query = db.collection("notifications").where(
        filter=firestore.FieldFilter("tracking_code", "==", created.json()["tracking_code"])
    )
    deadline = time.monotonic() + 30
    while not list(query.stream()) and time.monotonic() < deadline:
        time.sleep(0.3)
    [receipt] = [s.to_dict() for s in query.stream()]
    assert (receipt["status"], receipt["failure_reason"]) == ("failed", "opted_out")
    assert len(_texts(stack, REPORTER)) == 1
    assert send("MULAI").status_code == 200
    assert "BERHENTI" in _wait_for(stack, REPORTER, 2)[-1]
    assert list(db.collection("sms_opt_outs").stream()) == []


def test_a_delivery_event_marks_the_receipt_delivered(client: Any, stack: Any, sns: Any, db: Any) -> None:
    code = _complaint(client, stack)
    [record] = list(
        db.collection("notifications").where(filter=firestore.FieldFilter("tracking_code", "==", code)).stream()
    )
    # The SMS is in moto a moment before the notifier records `sent` with the provider's message id.
    deadline = time.monotonic() + 15
    while record.reference.get().to_dict()["status"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.2)
    message_id = record.reference.get().to_dict()["provider_message_id"]
    assert message_id
    sns.publish(TopicArn=sns.topics["bahagia-sms-events"], Message=json.dumps(sms_event(message_id, "TEXT_DELIVERED")))
    deadline = time.monotonic() + 15
    while record.reference.get().to_dict()["status"] != "delivered" and time.monotonic() < deadline:
        time.sleep(0.3)
    assert record.reference.get().to_dict()["status"] == "delivered"
