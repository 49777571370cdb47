"""The local stack on the real emulators, with stand-in handlers (tests/integration/standin/main.py) so the wiring
(processes, routes, push subscriptions, resets) is tested whatever state the real handlers are in."""

from __future__ import annotations

import base64
import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.harness import EmulatorHandle, StackHandle, start_test_stack
from devstack.pubsub_setup import admin_clients, push_endpoint
from devstack.topology import DEFAULT_TOPOLOGY, load_topology

STANDIN_SOURCE = Path(__file__).resolve().parent / "standin" / "main.py"
# Its own project, so this stack's subscriptions never meet those of the `stack` fixture in the same session.
STANDIN_PROJECT = "demo-bahagia-devstack"


@pytest.fixture(scope="module")
def standin(emulators: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    work = tmp_path_factory.mktemp("standin")
    topology_path = work / "topology.json"
    shutil.copy(DEFAULT_TOPOLOGY, topology_path)
    events = work / "events"
    events.mkdir()
    handle = start_test_stack(
        emulators,
        topology_path=topology_path,
        source=STANDIN_SOURCE,
        log_dir=work / "logs",
        project_id=STANDIN_PROJECT,
        extra_env={"STANDIN_TOPOLOGY": str(topology_path), "STANDIN_EVENTS_DIR": str(events)},
    )
    handle.events_dir = events  # type: ignore[attr-defined]
    yield handle
    handle.stop()


def _wait_for(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"nothing after {timeout} s")


def _received(stack: StackHandle, target: str) -> list[dict[str, Any]]:
    events_dir: Path = stack.events_dir  # type: ignore[attr-defined]
    return [json.loads(path.read_text()) for path in sorted(events_dir.glob(f"{target}-*.json"))]


def _publish(emulators: EmulatorHandle, project: str, topic: str, data: dict[str, Any], **attributes: str) -> str:
    body = {"messages": [{"data": base64.b64encode(json.dumps(data).encode()).decode(), "attributes": attributes}]}
    response = httpx.post(f"http://{emulators.pubsub_host}/v1/projects/{project}/topics/{topic}:publish", json=body)
    response.raise_for_status()
    return str(response.json()["messageIds"][0])


def test_every_route_reaches_its_target_through_the_gateway(standin: StackHandle) -> None:
    for route in standin.topology.routes:
        path = route.path.replace("*", "K7PX-M3QD")
        answer = httpx.get(f"{standin.base_url}{path}?pin=123456")
        assert answer.status_code == 200, path
        assert answer.json()["target"] == route.target
        assert (answer.json()["path"], answer.json()["query"]) == (path, "pin=123456")
    assert httpx.get(f"{standin.base_url}/v1/not-a-route").json()["target"] == standin.topology.default_target


def test_every_target_was_called_once_to_warm_up_before_the_stack_was_ready(standin: StackHandle) -> None:
    from devstack.warmup import WARMUP_EVENT_TYPE, WARMUP_PATH

    events_dir: Path = standin.events_dir  # type: ignore[attr-defined]
    for target, signature in standin.topology.targets.items():
        if signature == "http":
            calls = (events_dir / f"{target}.calls").read_text().splitlines()
            assert calls[0] == f"GET {WARMUP_PATH}", target
            assert calls.count(f"GET {WARMUP_PATH}") == 1, target
        else:
            warmups = [e for e in _received(standin, target) if e["type"] == WARMUP_EVENT_TYPE]
            assert len(warmups) == 1, target


def test_internal_targets_answer_only_on_their_own_port(standin: StackHandle) -> None:
    for target in standin.topology.internal_http_targets:
        assert httpx.post(standin.target_url(target), json={}).json()["target"] == target
        # the gateway sends /v1/<internal> to the default target, never to the internal one
        assert httpx.post(f"{standin.base_url}/v1/{target}", json={}).json()["target"] != target


def test_functions_get_the_stack_settings(standin: StackHandle, emulators: EmulatorHandle) -> None:
    env = httpx.get(f"{standin.base_url}/v1/programs").json()["env"]
    assert env == {
        "BAHAGIA_PROJECT_ID": STANDIN_PROJECT,
        "BAHAGIA_ENVIRONMENT": "test",
        "BAHAGIA_PUBLIC_BASE_URL": standin.base_url,
        "FIRESTORE_EMULATOR_HOST": emulators.firestore_host,
    }


def test_subscriptions_follow_the_topology(standin: StackHandle, emulators: EmulatorHandle) -> None:
    topology = load_topology(DEFAULT_TOPOLOGY)
    with admin_clients(emulators.pubsub_host) as admin:
        topics = {t.name for t in admin.publisher.list_topics(request={"project": f"projects/{STANDIN_PROJECT}"})}
        assert topics == {f"projects/{STANDIN_PROJECT}/topics/{name}" for name in topology.topics}
        for sub in topology.subscriptions:
            got = admin.subscriber.get_subscription(
                request={"subscription": f"projects/{STANDIN_PROJECT}/subscriptions/{sub.name}"}
            )
            assert got.topic == f"projects/{STANDIN_PROJECT}/topics/{sub.topic}"
            if sub.push_target:
                url = standin.target_url(sub.push_target)
                assert got.push_config.push_endpoint == push_endpoint(url, STANDIN_PROJECT, sub.topic)
            else:
                assert got.push_config.push_endpoint == ""
            if sub.dead_letter_topic:
                assert got.dead_letter_policy.dead_letter_topic.endswith(f"/topics/{sub.dead_letter_topic}")
                assert got.dead_letter_policy.max_delivery_attempts == sub.max_delivery_attempts
            if sub.retry_minimum_backoff:
                assert got.retry_policy.minimum_backoff.total_seconds() == sub.retry_minimum_backoff
                assert got.retry_policy.maximum_backoff.total_seconds() == sub.retry_maximum_backoff
            if sub.ack_deadline_seconds:
                assert got.ack_deadline_seconds == sub.ack_deadline_seconds


def test_a_submission_event_is_pushed_to_send_sms_notification(standin: StackHandle, emulators: EmulatorHandle) -> None:
    data = {"event_id": "evt-1", "type": "submission.received", "tracking_code": "K7PX-M3QD"}
    message_id = _publish(emulators, STANDIN_PROJECT, "submission-events", data, type="submission.received")
    (event,) = _wait_for(lambda: [e for e in _received(standin, "send_sms_notification") if e["id"] == message_id])
    assert event["type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert event["source"] == f"//pubsub.googleapis.com/projects/{STANDIN_PROJECT}/topics/submission-events"
    message = event["data"]["message"]
    assert json.loads(base64.b64decode(message["data"])) == data
    assert message["attributes"] == {"type": "submission.received"}
    assert not [e for e in _received(standin, "build_nightly_report") if e["id"] == message_id]


def test_a_report_request_is_pushed_to_build_nightly_report(standin: StackHandle, emulators: EmulatorHandle) -> None:
    message_id = _publish(emulators, STANDIN_PROJECT, "report-requests", {"date": "2026-11-28"})
    _wait_for(lambda: [e for e in _received(standin, "build_nightly_report") if e["id"] == message_id])


def test_firestore_and_sms_emulators_answer_the_client_libraries(emulators: EmulatorHandle) -> None:
    import boto3
    from google.cloud import firestore

    client = firestore.Client(project=emulators.project_id)  # finds the emulator through FIRESTORE_EMULATOR_HOST
    client.collection("devstack_probe").document("one").set({"ok": True})
    assert client.collection("devstack_probe").document("one").get().to_dict() == {"ok": True}

    sns = boto3.client("sns", endpoint_url=emulators.sns_url)  # region and fake keys come from the environment
    sns.publish(PhoneNumber="+6281234567890", Message="Pengajuan Anda diterima")
    assert {"phone_number": "+6281234567890", "message": "Pengajuan Anda diterima"}.items() <= (
        emulators.sms_messages()[-1].items()
    )

    emulators.reset()
    assert client.collection("devstack_probe").document("one").get().exists is False
    assert emulators.sms_messages() == []


def test_clean_emulators_keeps_a_running_stack_subscribed(standin: StackHandle, emulators: EmulatorHandle) -> None:
    with admin_clients(emulators.pubsub_host) as admin:
        admin.publisher.create_topic(request={"name": f"projects/{STANDIN_PROJECT}/topics/left-over"})
    emulators.reset_pubsub(STANDIN_PROJECT)
    with admin_clients(emulators.pubsub_host) as admin:
        topics = {t.name for t in admin.publisher.list_topics(request={"project": f"projects/{STANDIN_PROJECT}"})}
    assert f"projects/{STANDIN_PROJECT}/topics/left-over" not in topics
    message_id = _publish(emulators, STANDIN_PROJECT, "submission-events", {"event_id": "evt-2"})
    _wait_for(lambda: [e for e in _received(standin, "send_sms_notification") if e["id"] == message_id])


def test_clean_emulators_fixture_starts_empty(clean_emulators: EmulatorHandle) -> None:
    from google.cloud import firestore

    client = firestore.Client(project=clean_emulators.project_id)
    assert list(client.collection("devstack_probe").stream()) == []
    assert clean_emulators.sms_messages() == []
    client.collection("devstack_probe").document("dirty").set({"left": "behind"})  # the next user must not see it
