"""The inbound store and the Open311 reader on Google's Firestore emulator: audits once, receipts move records and
the report counters together, and the public reader pages newest first within the date range."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from google.cloud import firestore

from adapters.inbound_firestore import FirestoreInboundStore
from adapters.open311_firestore import FirestorePublicComplaints
from bahagia import report_counters
from bahagia.sms_inbound import DeliveryOutcome, DeliveryReceipt, receipt_update

NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(clean_emulators: Any) -> firestore.Client:
    return firestore.Client(project=clean_emulators.project_id)


def _counters(db: firestore.Client) -> dict[str, int]:
    total: dict[str, int] = {}
    for snapshot in db.collection(report_counters.COLLECTION).stream():
        for name, value in (snapshot.to_dict() or {}).items():
            if name.startswith("sms__"):
                total[name] = total.get(name, 0) + int(value)
    return {name: value for name, value in total.items() if value}


def test_an_audit_is_created_once_and_history_and_opt_in_work(db: firestore.Client) -> None:
    store = FirestoreInboundStore(db, 5.0)
    assert store.create_audit("k1", {"command": "help", "outcome": None})
    assert not store.create_audit("k1", {"command": "stop"})
    store.finish_audit("k1", {"outcome": "replied"})
    assert db.collection("sms_inbound").document("k1").get().to_dict() == {"command": "help", "outcome": "replied"}

    assert not store.has_history("r" * 64)
    db.collection("notifications").document("e:r").set({"recipient_key": "r" * 64, "status": "sent"})
    assert store.has_history("r" * 64)

    db.collection("sms_opt_outs").document("r" * 64).set({"source": "sms"})
    store.opt_in("r" * 64)
    assert not db.collection("sms_opt_outs").document("r" * 64).get().exists


def test_a_receipt_moves_the_record_and_the_counters_in_one_commit_once(db: firestore.Client) -> None:
    record = {
        "tracking_code": "ABCDEFGH2",
        "provider": "sns",
        "provider_message_id": "m-1",
        "status": "sent",
        "segments": 1,
        "business_date": "2026-12-02",
    }
    db.collection("notifications").document("e:r").set(record)
    store = FirestoreInboundStore(db, 5.0)
    delivered = DeliveryReceipt("sns", "m-1", DeliveryOutcome.DELIVERED, None)

    def decide(notification_id: str, before: Any) -> Any:
        return receipt_update(notification_id, before, delivered, NOW)

    assert store.apply_receipt("sns", "m-1", decide) == "updated"
    assert store.apply_receipt("sns", "m-1", decide) == "unchanged"
    assert store.apply_receipt("http", "m-1", decide) == "unknown"
    assert store.apply_receipt("sns", "m-404", decide) == "unknown"
    stored = db.collection("notifications").document("e:r").get().to_dict() or {}
    assert stored["status"] == "delivered"
    # The record was counted as sent when it was sent (not here): the receipt moves one record and its segment.
    assert _counters(db) == {
        "sms__sent": -1,
        "sms__delivered": 1,
        "sms__segments__sent": -1,
        "sms__segments__delivered": 1,
    }


def test_the_public_reader_pages_newest_first_within_the_range(db: firestore.Client) -> None:
    for i in range(7):
        db.collection("submissions").document(f"C{i}").set(
            {
                "tracking_code": f"C{i}",
                "category": "lingkungan" if i % 2 else "pungli",
                "submitted_at": NOW - dt.timedelta(days=i),
            }
        )
    reader = FirestorePublicComplaints(db, 5.0, page_size=2)
    got = [d["tracking_code"] for d in reader.newest_first(["lingkungan"], NOW - dt.timedelta(days=5), NOW)]
    assert got == ["C1", "C3", "C5"]  # start inclusive, end exclusive, three pages of at most two
    assert reader.get("C1") is not None
    assert reader.get("NOPE") is None
