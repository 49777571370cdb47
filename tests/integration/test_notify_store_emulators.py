"""The notification store's optimistic writes on the real Firestore emulator: concurrent claims never create two
records for one (event, recipient) nor overshoot the daily cap, and finish() moves the report's counters once."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from google.cloud import firestore

from adapters.notifications_firestore import FirestoreNotificationStore
from bahagia import notifications as n
from bahagia.calendar import business_date
from ports import TransientSmsError

NOW = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)
RECIPIENT = "r" * 64


def _request(event_id: str, cap: int = 3, now: dt.datetime = NOW) -> n.ClaimRequest:
    lease = now + dt.timedelta(seconds=60)
    notification_id = n.notification_id(event_id, RECIPIENT)
    return n.ClaimRequest(
        notification_id=notification_id,
        recipient=RECIPIENT,
        counter_id=n.daily_counter_id(RECIPIENT, business_date(now)),
        fresh=n.fresh_record(
            event_id=event_id,
            event_type="submission.received",
            tracking_code="ABCDEFGH2",
            submission_status="diterima",
            recipient=RECIPIENT,
            role="applicant",
            template="received",
            segments=1,
            provider="sns",
            now=now,
            lease_until=lease,
        ),
        now=now,
        lease_until=lease,
        daily_cap=cap,
    )


def _at_once(calls: list[Any]) -> list[Any]:
    """Run the calls in threads released together, so that their reads and writes interleave."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        start.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_concurrent_claims_of_different_events_to_one_number_stop_at_the_cap(clean_emulators: Any) -> None:
    db = firestore.Client(project=clean_emulators.project_id)
    store = FirestoreNotificationStore(db)
    decisions = _at_once([lambda i=i: store.claim(_request(f"evt-{i}")) for i in range(6)])
    outcomes = sorted(d.outcome.value for d in decisions)
    assert outcomes == ["blocked"] * 3 + ["claimed"] * 3
    counter = db.collection("sms_daily_counts").document(_request("x").counter_id).get().to_dict()
    assert counter is not None
    assert counter["count"] == 3
    records = [doc.to_dict() or {} for doc in db.collection("notifications").stream()]
    assert sorted(r["status"] for r in records) == ["failed"] * 3 + ["queued"] * 3


def test_concurrent_deliveries_of_one_event_make_one_record_and_one_claim(clean_emulators: Any) -> None:
    db = firestore.Client(project=clean_emulators.project_id)
    store = FirestoreNotificationStore(db)
    decisions = _at_once([lambda: store.claim(_request("evt-same")) for _ in range(4)])
    assert sorted(d.outcome.value for d in decisions) == ["claimed", "in_progress", "in_progress", "in_progress"]
    assert len(list(db.collection("notifications").stream())) == 1


def test_finish_writes_once_from_the_claim_and_reads_again_when_another_delivery_took_over(
    clean_emulators: Any,
) -> None:
    db = firestore.Client(project=clean_emulators.project_id)
    store = FirestoreNotificationStore(db)
    notification_id = _request("evt-1").notification_id
    first = store.claim(_request("evt-1"))
    assert first.outcome is n.ClaimOutcome.CLAIMED
    assert first.version is not None
    # The first delivery's lease runs out; a second one takes the record over (attempt 2) and fails transiently.
    later = NOW + dt.timedelta(seconds=61)
    second = store.claim(_request("evt-1", now=later))
    assert second.outcome is n.ClaimOutcome.CLAIMED
    assert second.attempts == 2
    timeout = TransientSmsError(n.FailureReason.PROVIDER_TIMEOUT)
    store.finish(n.failed_update(notification_id, timeout, later), second)
    # Now the first delivery finishes with the version it claimed, which is no longer current: the store reads the
    # record again and moves the counters from what it finds (failed), not from what the first claim wrote (queued).
    store.finish(n.sent_update(notification_id, "m-1", later), first)
    record = db.collection("notifications").document(notification_id).get().to_dict() or {}
    assert record["status"] == "sent"
    assert record["attempts"] == 2
    counters: dict[str, int] = {}
    for doc in db.collection("report_counters").stream():
        for name, value in (doc.to_dict() or {}).items():
            counters[name] = counters.get(name, 0) + value
    assert counters.get("sms__sent") == 1
    assert counters.get("sms__queued", 0) == 0
    assert counters.get("sms__failed", 0) == 0


def test_the_lookup_reads_the_contact_but_not_the_rest_of_the_personal_data(clean_emulators: Any) -> None:
    from adapters.notifications_firestore import FirestoreSubmissionLookup

    db = firestore.Client(project=clean_emulators.project_id)
    applicant = {"nik": "1571015708850003", "name": "Siti Contoh", "phone": "+6281234567890", "address": {"rt": "3"}}
    db.collection("submissions").document("ABCDEFGH2").set(
        {
            "kind": "application",
            "privacy": "private",
            "status": "diterima",
            "program": "kartu-bahagia",
            "applicant": applicant,
            "details": {"penghasilan_bulanan": 1500000},
        }
    )
    doc = FirestoreSubmissionLookup(db).get("ABCDEFGH2")
    assert doc == {
        "kind": "application",
        "privacy": "private",
        "status": "diterima",
        "program": "kartu-bahagia",
        "applicant": {"phone": "+6281234567890"},
    }
    assert FirestoreSubmissionLookup(db).get("ABCDEFGH3") is None
