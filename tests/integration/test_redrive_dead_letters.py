"""The dead-letter redrive (tools/redrive_dead_letters.py) against the Pub/Sub emulator: it lists without changing
anything or printing event content beyond its ids, republishes with the original attributes, acks only what was
published, and leaves everything in the hold when the publish fails."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.pubsub_setup import PubSubAdmin, admin_clients
from devstack.topology import load_topology
from tools.redrive_dead_letters import RedriveError, Route, dead_letter_routes, main, redrive

PROJECT = "demo-bahagia-redrive"  # its own project: the other suites' resets never touch it
OBSERVER = "redrive-observer"
(ROUTE,) = dead_letter_routes(load_topology())
DEAD_LETTER_TOPIC = next(s.topic for s in load_topology().subscriptions if s.name == ROUTE.subscription)


def test_the_hold_and_its_source_come_from_topology() -> None:
    assert dead_letter_routes(load_topology()) == [
        Route(subscription="submission-events-dead-letter-hold", topic="submission-events")
    ]


@pytest.fixture
def pubsub(emulators: Any) -> Iterator[PubSubAdmin]:
    route, dead_letter_topic = ROUTE, DEAD_LETTER_TOPIC
    with admin_clients(emulators.pubsub_host) as admin:
        for name in {route.topic, dead_letter_topic}:
            admin.publisher.create_topic(request={"name": f"projects/{PROJECT}/topics/{name}"})
        for sub, topic in ((route.subscription, dead_letter_topic), (OBSERVER, route.topic)):
            admin.subscriber.create_subscription(
                request={"name": _sub(sub), "topic": f"projects/{PROJECT}/topics/{topic}", "ack_deadline_seconds": 60}
            )
        yield admin
        emulators.reset_pubsub(PROJECT)


def _sub(name: str) -> str:
    return f"projects/{PROJECT}/subscriptions/{name}"


def _dead_letter(admin: PubSubAdmin, count: int) -> list[dict[str, Any]]:
    """Events as Pub/Sub leaves them in the dead-letter topic: their attributes plus CloudPubSubDeadLetter*."""
    events = []
    for _ in range(count):
        event = {
            "event_id": str(uuid.uuid4()),
            "type": "submission.received",
            "occurred_at": "2026-03-27T01:02:03+00:00",
            "tracking_code": "K7PXM2QRA",
            "kind": "application",
            "program": "balikat",
            "status": "diterima",
            # Not a field of bahagia.events; the dry run must not print what it does not know.
            "stray": "Jl. Contoh 1 RT 3",
        }
        events.append(event)
        admin.publisher.publish(
            request={
                "topic": f"projects/{PROJECT}/topics/{DEAD_LETTER_TOPIC}",
                "messages": [
                    {
                        "data": json.dumps(event).encode(),
                        "attributes": {
                            "type": "submission.received",
                            "CloudPubSubDeadLetterSourceDeliveryCount": "5",
                            "CloudPubSubDeadLetterSourceSubscription": "send-sms-notification",
                        },
                    }
                ],
            }
        )
    return events


def _drain(admin: PubSubAdmin, subscription: str) -> list[Any]:
    """Everything a subscription holds now, acknowledged."""
    messages: list[Any] = []
    for _ in range(5):
        response = admin.subscriber.pull(request={"subscription": _sub(subscription), "max_messages": 100}, timeout=1)
        if not response.received_messages:
            break
        messages += [r.message for r in response.received_messages]
        admin.subscriber.acknowledge(
            request={"subscription": _sub(subscription), "ack_ids": [r.ack_id for r in response.received_messages]}
        )
    return messages


def test_dry_run_lists_ids_only_and_changes_nothing_then_redrive_republishes_each_once(pubsub: PubSubAdmin) -> None:
    route = ROUTE
    events = _dead_letter(pubsub, 3)

    listed: list[str] = []
    outcome = redrive(
        pubsub.subscriber, pubsub.publisher, PROJECT, route, dry_run=True, report=listed.append, pull_timeout=1
    )
    assert outcome.republished == 0
    assert len(listed) == 3
    assert {line.split("event_id=")[1].split()[0] for line in listed} == {e["event_id"] for e in events}
    assert all("attempts=5" in line and "type=submission.received" in line for line in listed)
    assert not [line for line in listed if "Contoh" in line or "stray" in line]
    assert _drain(pubsub, OBSERVER) == []

    outcome = redrive(
        pubsub.subscriber, pubsub.publisher, PROJECT, route, dry_run=False, report=listed.append, pull_timeout=1
    )
    assert outcome.republished == 3
    republished = _drain(pubsub, OBSERVER)
    assert sorted(json.loads(m.data)["event_id"] for m in republished) == sorted(e["event_id"] for e in events)
    assert [dict(m.attributes) for m in republished] == [{"type": "submission.received"}] * 3
    assert _drain(pubsub, route.subscription) == []


def test_limit_redrives_that_many_and_leaves_the_rest(pubsub: PubSubAdmin) -> None:
    route = ROUTE
    _dead_letter(pubsub, 3)
    outcome = redrive(
        pubsub.subscriber, pubsub.publisher, PROJECT, route, dry_run=False, limit=1, report=print, pull_timeout=1
    )
    assert outcome.republished == 1
    assert len(_drain(pubsub, OBSERVER)) == 1
    assert len(_drain(pubsub, route.subscription)) == 2


def test_a_failed_publish_acks_nothing(pubsub: PubSubAdmin) -> None:
    route = ROUTE
    events = _dead_letter(pubsub, 2)
    pubsub.subscriber.delete_subscription(request={"subscription": _sub(OBSERVER)})
    pubsub.publisher.delete_topic(request={"topic": f"projects/{PROJECT}/topics/{route.topic}"})
    with pytest.raises(RedriveError, match="0 events redriven, the rest wait in submission-events-dead-letter-hold"):
        redrive(pubsub.subscriber, pubsub.publisher, PROJECT, route, dry_run=False, report=print, pull_timeout=1)
    held = _drain(pubsub, route.subscription)
    assert sorted(json.loads(m.data)["event_id"] for m in held) == sorted(e["event_id"] for e in events)


def test_the_command_line_lists_then_redrives(pubsub: PubSubAdmin, capsys: pytest.CaptureFixture[str]) -> None:
    # PUBSUB_EMULATOR_HOST is the session's emulator; a demo- project never leaves it.
    _dead_letter(pubsub, 2)
    assert main(["--project", PROJECT, "--dry-run", "--pull-timeout", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "2 events wait in submission-events-dead-letter-hold (nothing changed)"
    )
    assert main(["--project", PROJECT, "--pull-timeout", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "2 events redriven from submission-events-dead-letter-hold to submission-events"
    )
    assert len(_drain(pubsub, OBSERVER)) == 2
