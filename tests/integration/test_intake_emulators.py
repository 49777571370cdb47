"""The intake service with its real adapters, over the wire to Google's Firestore and Pub/Sub emulators."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore, pubsub_v1  # type: ignore[attr-defined]  # namespace package

from bahagia import errors
from bootstrap import build_intake_context
from intake import service
from intake.handlers import accept
from settings import Settings
from tests import samples

TOPIC = "submission-events"
SUBSCRIPTION = "intake-test-pull"


@pytest.fixture
def events(clean_emulators):
    """The submission-events topic with a pull subscription that sees everything published to it."""
    project = clean_emulators.project_id
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(project, TOPIC)
    with contextlib.suppress(AlreadyExists):  # already created by a running stack's topology
        publisher.create_topic(name=topic)
    subscription = subscriber.subscription_path(project, SUBSCRIPTION)
    subscriber.create_subscription(name=subscription, topic=topic, ack_deadline_seconds=10)

    def pull(expect: int, wait: float = 10.0) -> list[dict]:
        received: list[dict] = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            response = subscriber.pull(subscription=subscription, max_messages=100, timeout=5)
            if response.received_messages:
                subscriber.acknowledge(
                    subscription=subscription, ack_ids=[m.ack_id for m in response.received_messages]
                )
                for m in response.received_messages:
                    body = json.loads(m.message.data)
                    assert m.message.attributes["type"] == body["type"]
                    received.append(body)
            if len(received) >= expect:
                # One more short pull so that a duplicate would be caught too.
                time.sleep(0.5)
                extra = subscriber.pull(subscription=subscription, max_messages=100, timeout=2)
                received.extend(json.loads(m.message.data) for m in extra.received_messages)
                break
        return received

    yield pull
    subscriber.close()


@pytest.fixture
def ctx(clean_emulators):
    settings = Settings(
        project_id=clean_emulators.project_id,
        environment="test",
        secret_key="integration-secret",
        publish_timeout_seconds=2.0,
        outbox_relay_min_age_seconds=0,
    )
    return build_intake_context(settings)


def _docs(project: str, collection: str) -> list[dict]:
    return [snap.to_dict() or {} for snap in firestore.Client(project=project).collection(collection).stream()]


def _outbox_drains(project: str, within: float = 5.0) -> bool:
    """Published entries are deleted in background batches (functions/outbox.py), a moment after the answer."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _docs(project, "outbox"):
            return True
        time.sleep(0.1)
    return False


def test_a_submission_commits_one_document_set_and_publishes_one_event(ctx, events, clean_emulators):
    accepted = accept(ctx, "application", samples.application(), "first-key-123")
    project = clean_emulators.project_id
    [stored] = _docs(project, "submissions")
    assert stored["tracking_code"] == accepted.response["tracking_code"]
    assert stored["applicant"]["phone"] == "+6281234567890"
    assert len(_docs(project, "open_applications")) == 1
    assert len(_docs(project, "idempotency_keys")) == 1
    assert _outbox_drains(project)  # published, so the relay has nothing left to do
    [event] = events(expect=1)
    assert event["tracking_code"] == stored["tracking_code"]
    assert event["type"] == "submission.received"
    assert samples.NIK_WOMAN_1985 not in json.dumps(event)


def test_twenty_concurrent_posts_with_one_key_store_one_submission(ctx, events, clean_emulators):
    barrier = threading.Barrier(20)

    def post(_: int) -> dict:
        barrier.wait()
        return accept(ctx, "complaint", samples.complaint(), "same-key-for-all").body()

    with ThreadPoolExecutor(20) as pool:
        bodies = list(pool.map(post, range(20)))
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) == 1
    assert len(_docs(clean_emulators.project_id, "submissions")) == 1
    # The report's counters were written with the one commit that won, not by the 19 that replayed.
    assert sum(doc.get("new", 0) for doc in _docs(clean_emulators.project_id, "report_counters")) == 1
    assert len(events(expect=1)) == 1


def test_fifty_concurrent_distinct_posts_store_fifty(ctx, events, clean_emulators):
    def post(i: int) -> str:
        body = samples.complaint(description=f"Laporan nomor {i}: lampu jalan padam sejak minggu lalu.")
        return accept(ctx, "complaint", body, None).response["tracking_code"]

    with ThreadPoolExecutor(25) as pool:
        codes = list(pool.map(post, range(50)))
    assert len(set(codes)) == 50
    assert len(_docs(clean_emulators.project_id, "submissions")) == 50
    assert sorted(e["tracking_code"] for e in events(expect=50, wait=30)) == sorted(codes)


def test_a_duplicate_nik_is_409_and_nothing_new_is_stored(ctx, clean_emulators):
    accept(ctx, "application", samples.application(), None)
    with pytest.raises(errors.BahagiaError) as caught:
        accept(ctx, "application", samples.application(), None)
    assert caught.value.status == 409
    assert caught.value.code == "duplicate_application"
    assert len(_docs(clean_emulators.project_id, "submissions")) == 1
    assert sum(doc.get("new", 0) for doc in _docs(clean_emulators.project_id, "report_counters")) == 1


def test_a_publish_failure_after_the_commit_still_delivers_the_event(ctx, events, clean_emulators):
    pubsub = next(p for p in clean_emulators.supervisor.processes if p.name == "pubsub")
    pubsub.signal_group(signal.SIGSTOP)
    try:
        accepted = accept(ctx, "complaint", samples.complaint(), None)
    finally:
        pubsub.signal_group(signal.SIGCONT)
    code = accepted.response["tracking_code"]
    # The citizen was told "diterima", the event waits in the outbox.
    assert accepted.response["status"] == "diterima"
    [pending] = _docs(clean_emulators.project_id, "outbox")
    assert pending["tracking_code"] == code
    relayed = service.relay_outbox(build_intake_context(ctx.settings))
    assert relayed["published"] == 1
    delivered = [e for e in events(expect=1) if e["tracking_code"] == code]
    # At least once; the publisher's own background retry may also get through after SIGCONT, which consumers
    # deduplicate by event_id.
    assert delivered
    assert {e["event_id"] for e in delivered} == {pending["event"]["event_id"]}
    assert _outbox_drains(clean_emulators.project_id)


def test_a_frozen_firestore_gives_a_timely_503_and_nothing_half_written(clean_emulators):
    settings = Settings(
        project_id=clean_emulators.project_id, environment="test", secret_key="s", firestore_timeout_seconds=1.5
    )
    ctx = build_intake_context(settings)
    firestore_process = next(p for p in clean_emulators.supervisor.processes if p.name == "firestore")
    firestore_process.signal_group(signal.SIGSTOP)
    started = time.monotonic()
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011 -- which one is the point: asserted just below
            accept(ctx, "application", samples.application(), "frozen-key-0001")
    finally:
        firestore_process.signal_group(signal.SIGCONT)
    elapsed = time.monotonic() - started
    from edge.http import _is_unavailable

    assert _is_unavailable(caught.value), type(caught.value)
    assert elapsed < 10
    # A deadline on the client does not withdraw a commit already on the wire: the emulator may apply it once it
    # runs again. Whatever happened, it happened whole: all of the batch or none of it.
    time.sleep(1.0)
    project = clean_emulators.project_id
    written = {
        name: len(_docs(project, name)) for name in ("submissions", "outbox", "open_applications", "idempotency_keys")
    }
    assert set(written.values()) in ({0}, {1}), written
    # And the citizen's retry with the same key (the web forms keep one per form) is answered, stored once.
    retried = accept(ctx, "application", samples.application(), "frozen-key-0001")
    assert retried.response["status"] == "diterima"
    assert len(_docs(project, "submissions")) == 1


def test_track_round_trip_on_the_emulator(ctx, clean_emulators):
    accepted = accept(ctx, "application", samples.application(), None)
    code = accepted.response["tracking_code"]
    assert service.track(ctx, code, accepted.pin, "127.0.0.1")["status"] == "diterima"
    with pytest.raises(errors.BahagiaError) as caught:
        service.track(ctx, code, "999999" if accepted.pin != "999999" else "888888", "127.0.0.1")
    assert caught.value.status == 404
    assert os.environ["FIRESTORE_EMULATOR_HOST"].startswith("127.0.0.1:")
