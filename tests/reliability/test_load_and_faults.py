"""Issue 7, items 1 and 2: a registration morning, then the same with every fault at once.

Fast part (make test): 100 submissions from 10 clients, 2 s freezes. `make reliability` (--full): 1,000 from 50
clients, 5 s freezes. Every figure is printed at the end of the run and goes into RELIABILITY.md.
"""

# A property is clearer as one compound assertion.
# ruff: noqa: PT018

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from devstack.pubsub_setup import push_endpoint
from tests.privacy import PersonalData
from tests.reliability import harness
from tests.reliability.conftest import DEAD_LETTER_HOLD, PROJECT, TAP, ReliabilityStack, Sizes
from tests.reliability.plugin import record_figures

# --full runs for minutes on a 2-core machine: past the suite's default 300 s per test.
pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.timeout(1800)]

TWIN = "send-sms-notification-twin"


def _settle(rs: ReliabilityStack, expected_sms: dict[str, str], timeout: float, extra: Any = None) -> bool:
    """Wait until every expected SMS is out and the outbox is empty (and `extra()` holds), then a little more, so
    that a late duplicate would still be counted."""

    def done() -> bool:
        extra_done = extra() if extra is not None else True  # every round: it may be what moves things along
        if not set(expected_sms) <= harness.sms_codes(rs.emulators.sms_messages()):
            return False
        if any(True for _ in rs.db.collection("outbox").limit(1).stream()):
            return False
        return extra_done

    settled = harness.wait_until(done, timeout)
    time.sleep(4.0)
    return settled


def _check(rs: ReliabilityStack, result: harness.LoadResult, personal_data: PersonalData,
           extra: Any = None, timeout: float = 120.0) -> tuple[harness.Ledger, harness.Accounting, bool]:  # fmt: skip
    book = harness.ledger(result)
    settled = _settle(rs, book.expected_sms, timeout, extra)
    events = rs.pubsub.drain(TAP)
    for event in events:
        personal_data.scan(event["text"], "an event on submission-events")
    documents = harness.stored_documents(rs.db)
    accounting = harness.account(book, documents, events, rs.emulators.sms_messages())
    anonymous = [s for s in documents.get("submissions", {}).values() if s.get("privacy") == "anonymous"]
    assert not any("reporter" in s for s in anonymous)
    return book, accounting, settled


def _assert_nothing_lost(book: harness.Ledger, accounting: harness.Accounting, settled: bool) -> None:
    assert not book.unclear, f"answers other than 201/409/422: {[o.status for o in book.unclear][:10]}"
    assert not book.wrong_answer, [(o.planned.expect, o.status, o.error_code) for o in book.wrong_answer][:10]
    assert book.key_mismatch == 0
    figures = accounting.as_dict()
    for name in ("lost_submissions", "phantom_submissions", "duplicate_submissions", "half_written", "outbox_left",
                 "events_lost", "sms_lost", "sms_duplicated", "sms_wrong_recipient"):  # fmt: skip
        assert figures[name] == 0, (name, figures)
    assert settled


def test_a_registration_morning_stores_each_submission_once_and_sends_one_sms_each(
    reliability_stack: ReliabilityStack, sizes: Sizes, personal_data: PersonalData, pytestconfig: pytest.Config
) -> None:
    rs = reliability_stack
    rs.reset()
    planned = harness.plan_load(sizes.submissions, seed=2026)
    harness.register_people(planned, personal_data.register)

    result = harness.run_load(rs.base_url, planned, sizes.clients)
    book, accounting, settled = _check(rs, result, personal_data, timeout=sizes.drain_timeout)
    sms_done = time.monotonic()

    statuses = result.final_statuses()
    record_figures(pytestconfig, "load", {
        "submissions planned (+ repeats with same key)": f"{len(planned)} (+{sum(p.send_twice for p in planned)})",
        "concurrent clients": sizes.clients,
        **harness.latency_figures(result),
        "answers 201 / 409 / 422 / other": f"{statuses[201]} / {statuses[409]} / {statuses[422]} / "
        f"{sum(n for s, n in statuses.items() if s not in (201, 409, 422))}",
        "all SMS out after load ended s": round(sms_done - result.finished - 4.0, 1),
        **accounting.as_dict(),
    })  # fmt: skip
    _assert_nothing_lost(book, accounting, settled)
    assert statuses[409] >= 1 and statuses[422] >= 1  # the plan's same-person repeats and invalid phones answered
    stored = harness.stored_documents(rs.db).get("submissions", {})
    flagged = [d for d in stored.values() if d.get("possible_duplicate_of")]
    assert flagged, "the plan's NIK reuse by other people was accepted as possible duplicates"


def test_every_fault_at_once_loses_nothing_and_duplicates_nothing(
    reliability_stack: ReliabilityStack, sizes: Sizes, personal_data: PersonalData, pytestconfig: pytest.Config
) -> None:
    """Pub/Sub delivering every event twice (a second push subscription to the same function), SNS failing 30% of
    calls, the Firestore emulator frozen mid-load, then the Pub/Sub emulator, and a poison event in the stream."""
    rs = reliability_stack
    rs.reset()
    notify_url = rs.stack.target_url("send_sms_notification")
    rs.pubsub.create_push(TWIN, "submission-events", push_endpoint(notify_url, PROJECT, "submission-events"),
                          "submission-events-dead-letter")  # fmt: skip
    rs.sns.failure_rate = 0.30
    planned = harness.plan_load(sizes.submissions, seed=7007)
    harness.register_people(planned, personal_data.register)
    jobs = len(planned) + sum(p.send_twice for p in planned)

    triggers = {name: threading.Event() for name in ("firestore", "poison", "pubsub")}
    thresholds = {"firestore": 0.25, "poison": 0.40, "pubsub": 0.55}

    def progress(done: int) -> None:
        for name, fraction in thresholds.items():
            if done >= fraction * jobs:
                triggers[name].set()

    freezes: list[harness.Freeze] = []
    load_over = threading.Event()

    def faults() -> None:
        if triggers["firestore"].wait(300) and not load_over.is_set():
            freezes.append(harness.freeze_for(rs.process("firestore"), sizes.freeze_seconds))
        if triggers["poison"].wait(300):
            rs.pubsub.publish("submission-events", b"\x00not an event{", {"type": "submission.received"})
        if triggers["pubsub"].wait(300) and not load_over.is_set():
            freezes.append(harness.freeze_for(rs.process("pubsub"), sizes.freeze_seconds))

    controller = threading.Thread(target=faults, name="faults", daemon=True)
    controller.start()
    try:
        result = harness.run_load(rs.base_url, planned, sizes.clients, progress=progress)
    finally:
        load_over.set()
        for event in triggers.values():
            event.set()
        controller.join(timeout=60)
    assert len(freezes) == 2, "the load ended before both freezes"

    # After the faults: a new citizen is served at once.
    with httpx.Client(base_url=rs.base_url, timeout=30) as client:
        started = time.monotonic()
        later = client.get("/v1/programs")
        later_seconds = time.monotonic() - started
    assert later.status_code == 200

    dead_letters: list[dict[str, Any]] = []
    redriven: list[str] = []

    def redrive_and_check_poison() -> bool:
        """What staff do with the dead-letter topic: a submission event that ran out of its 5 deliveries (SNS kept
        failing) is published again (notify is idempotent on event_id); the poison event stays where it is."""
        for message in rs.pubsub.drain(DEAD_LETTER_HOLD):
            dead_letters.append(message)
            if "_raw" not in message["data"]:
                redriven.append(message["data"]["event_id"])
                rs.pubsub.publish("submission-events", message["text"].encode(), {"type": message["data"]["type"]})
        return any("_raw" in d["data"] for d in dead_letters)

    try:
        book, accounting, settled = _check(rs, result, personal_data, redrive_and_check_poison, sizes.drain_timeout)
    finally:
        rs.pubsub.delete_subscription(TWIN)
        rs.sns.failure_rate = 0.0

    firestore_freeze = freezes[0]
    during = [a for o in result.outcomes for a in o.attempts
              if firestore_freeze.at - 0.5 <= a.started <= firestore_freeze.until]  # fmt: skip
    unavailable = [a for a in during if a.status == 503]
    statuses = result.final_statuses()
    record_figures(pytestconfig, "faults", {
        "submissions planned (+ repeats with same key)": f"{len(planned)} (+{jobs - len(planned)})",
        "concurrent clients": sizes.clients,
        "faults": f"every event pushed twice; SNS {rs.sns.failed()} of {rs.sns.total()} calls failed (30% asked); "
        f"Firestore frozen {sizes.freeze_seconds:g} s; Pub/Sub frozen {sizes.freeze_seconds:g} s; 1 poison event",
        **harness.latency_figures(result),
        "answers 201 / 409 / 422 / other (final, after client retries)": f"{statuses[201]} / {statuses[409]} / "
        f"{statuses[422]} / {sum(n for s, n in statuses.items() if s not in (201, 409, 422))}",
        "requests answered 503 while Firestore was frozen": len(unavailable),
        "slowest 503 during the Firestore freeze s": round(max((a.seconds for a in unavailable), default=0.0), 1),
        "slowest answer during the Firestore freeze s": round(max((a.seconds for a in during), default=0.0), 1),
        "first request after the faults s": round(later_seconds, 2),
        "poison event dead-lettered (not redelivered)": any("_raw" in d["data"] for d in dead_letters),
        "events dead-lettered after 5 failed deliveries, redriven": f"{len(redriven)} "
        f"({len(set(redriven))} distinct events, either subscription)",
        **accounting.as_dict(),
    })  # fmt: skip
    _assert_nothing_lost(book, accounting, settled)
    # Timely: nobody waited on the frozen database much longer than its deadline (4 s per call, plus retries).
    assert max((a.seconds for a in unavailable), default=0.0) < 15.0
    assert rs.stack.supervisor.first_exited() is None, "a function process died"
