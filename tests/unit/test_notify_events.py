"""The edge of notify: both CloudEvent shapes parse to one event; poison and retries map to the right HTTP status."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app

import bootstrap
import ports
from bahagia import notifications as n
from bahagia import sms
from bahagia.catalogue import catalogue
from notify.events import PoisonEvent, parse_submission_event
from notify.service import Notifier
from tests.fakes import FakeNotificationStore, FakeSms, FakeSubmissions

EVENTS = Path(__file__).parent / "events"
HANDLERS = Path(__file__).parents[2] / "functions" / "notify" / "handlers.py"
PUSH_PATH = "/projects/demo-bahagia/topics/submission-events"


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def _with_payload(push: dict[str, Any], payload: object) -> dict[str, Any]:
    body = copy.deepcopy(push)
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    body["message"]["data"] = base64.b64encode(raw).decode()
    return body


def _payload(push: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(push["message"]["data"]))
    return decoded


def test_functions_framework_conversion_and_eventarc_binary_give_the_same_event() -> None:
    push = _load("pubsub_push_received.json")
    converted = {"message": {"@type": "type.googleapis.com/google.pubsub.v1.PubsubMessage", **push["message"]}}
    eventarc = _load("eventarc_binary_received.json")["body"]
    assert parse_submission_event(converted) == parse_submission_event(eventarc)
    assert parse_submission_event(json.dumps(eventarc).encode()).tracking_code == "ABCD2345R"


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda p: b"not json", id="not-json"),
        pytest.param(lambda p: [1, 2], id="not-an-object"),
        pytest.param(lambda p: {**p, "type": "submission.deleted"}, id="unknown-type"),
        pytest.param(lambda p: {k: v for k, v in p.items() if k != "event_id"}, id="no-event-id"),
        pytest.param(
            lambda p: {**p, "tracking_code": "ABCD2345" + ("2" if p["tracking_code"][-1] != "2" else "3")},
            id="bad-check-character",
        ),
        pytest.param(lambda p: {**p, "event_id": "a/b"}, id="event-id-not-a-document-id"),
        pytest.param(lambda p: {**p, "kind": "petition"}, id="unknown-kind"),
    ],
)
def test_poison_messages_are_named_without_their_content(mutate: Any) -> None:
    push = _load("pubsub_push_received.json")
    poisoned = _with_payload(push, mutate(_payload(push)))
    with pytest.raises(PoisonEvent) as raised:
        parse_submission_event(poisoned)
    assert "ABCD2345" not in str(raised.value)


@pytest.mark.parametrize("data", [None, "", {"no": "message"}, {"message": "x"}, b"\xff"])
def test_cloud_event_data_without_a_pubsub_message_is_poison(data: object) -> None:
    with pytest.raises(PoisonEvent):
        parse_submission_event(data)


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeSms, FakeSubmissions]:
    provider, submissions = FakeSms(), FakeSubmissions()
    c = catalogue()
    notifier = Notifier(
        store=FakeNotificationStore(),
        submissions=submissions,
        provider=provider,
        names=sms.names_from_catalogue(c.programs, c.categories, c.opd),
        status_url="http://127.0.0.1:8080/status",
        secret=b"s",
        daily_cap=5,
    )
    # The composition root is the one seam: the handler asks bootstrap for its notifier.
    monkeypatch.setattr(bootstrap, "sms_notifier", lambda: notifier)
    submissions.docs["ABCD2345R"] = {
        "kind": "application",
        "program": "kartu-bahagia",
        "benefit": "pendidikan",
        "privacy": "private",
        "applicant": {"phone": "+6281234567890"},
    }
    return provider, submissions


@pytest.fixture
def client() -> Any:
    return create_app(target="send_sms_notification", source=str(HANDLERS), signature_type="cloudevent").test_client()


def test_a_raw_push_body_is_converted_and_sent_once(client: Any, fakes: tuple[FakeSms, FakeSubmissions]) -> None:
    provider, _ = fakes
    push = _load("pubsub_push_received.json")
    for _ in range(3):
        assert client.post(PUSH_PATH, json=push).status_code == 200
    assert len(provider.sent) == 1
    assert "ABCD-2345R" in provider.sent[0][1]


def test_an_eventarc_binary_cloud_event_is_handled(client: Any, fakes: tuple[FakeSms, FakeSubmissions]) -> None:
    provider, _ = fakes
    eventarc = _load("eventarc_binary_received.json")
    response = client.post("/", headers=eventarc["headers"], data=json.dumps(eventarc["body"]))
    assert response.status_code == 200
    assert len(provider.sent) == 1


def test_poison_answers_422_so_pubsub_dead_letters_it(
    client: Any, fakes: tuple[FakeSms, FakeSubmissions], caplog: pytest.LogCaptureFixture
) -> None:
    provider, _ = fakes
    response = client.post(PUSH_PATH, json=_load("pubsub_push_poison.json"))
    assert response.status_code == 422
    assert provider.calls == 0
    assert any(
        "poison" in r.getMessage() and getattr(r, "fields", {}).get("message_id") == "1715" for r in caplog.records
    )


def test_a_transient_failure_answers_503_and_the_redelivery_sends(
    client: Any, fakes: tuple[FakeSms, FakeSubmissions], caplog: pytest.LogCaptureFixture
) -> None:
    provider, _ = fakes
    provider.failures = [ports.TransientSmsError(n.FailureReason.PROVIDER_UNAVAILABLE, "503")]
    push = _load("pubsub_push_received.json")
    assert client.post(PUSH_PATH, json=push).status_code == 503
    assert client.post(PUSH_PATH, json=push).status_code == 200
    assert len(provider.sent) == 1
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "+62" not in logged
    assert "81234567890" not in logged
