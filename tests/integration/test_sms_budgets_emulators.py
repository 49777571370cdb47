"""The SMS budgets on the Firestore emulator: parallel receipts from one address never overdraw its budget."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

from google.cloud import firestore

from adapters.notifications_firestore import FirestoreNotificationStore, FirestoreSubmissionLookup
from bahagia import sms
from bahagia.catalogue import catalogue
from bahagia.codes import new_tracking_code
from notify.events import SubmissionEvent
from notify.service import Notifier, Outcome, notify_citizen
from tests.fakes import FakeSms

RECEIPTS = 12
BUDGET = 4


def test_parallel_receipts_from_one_address_send_exactly_its_budget(clean_emulators, personal_data) -> None:
    db = firestore.Client(project=clean_emulators.project_id)
    now = dt.datetime.now(dt.UTC)
    events = []
    for index in range(RECEIPTS):
        code = new_tracking_code(lambda n, i=index: (i * 7 + 3) % n)
        phone = f"+62812111{index:05d}"
        personal_data.register(phone=phone, name="Warga Contoh")
        db.collection("submissions").document(code).set(
            {
                "tracking_code": code,
                "kind": "complaint",
                "category": "infrastruktur",
                "status": "diterima",
                "privacy": "public",
                "reporter": {"name": "Warga Contoh", "phone": phone},
                "client_key": "one-address-today",
            }
        )
        events.append(
            SubmissionEvent.model_validate(
                {
                    "event_id": f"budget-{index}",
                    "type": sms.RECEIVED,
                    "occurred_at": now.isoformat(),
                    "tracking_code": code,
                    "kind": "complaint",
                    "category": "infrastruktur",
                    "status": "diterima",
                }
            )
        )
    c = catalogue()
    provider = FakeSms()
    notifier = Notifier(
        store=FirestoreNotificationStore(db),
        submissions=FirestoreSubmissionLookup(db),
        provider=provider,
        names=sms.names_from_catalogue(c.programs, c.categories, c.opd),
        status_url="http://127.0.0.1:8080/status",
        secret=b"budget-emulator",
        daily_cap=5,
        client_daily_budget=BUDGET,
    )
    barrier = threading.Barrier(RECEIPTS)

    def deliver(event: SubmissionEvent) -> Outcome:
        barrier.wait()
        return notify_citizen(event, notifier, now).outcome

    with ThreadPoolExecutor(RECEIPTS) as pool:
        outcomes = list(pool.map(deliver, events))
    assert outcomes.count(Outcome.SENT) == BUDGET == len(provider.sent)
    assert outcomes.count(Outcome.BLOCKED) == RECEIPTS - BUDGET
    reasons = [snap.get("failure_reason") for snap in db.collection("notifications").stream()]
    assert reasons.count("client_budget_reached") == RECEIPTS - BUDGET
    # The city's counter counts only what was sent: the refused receipts gave their share back.
    city = [snap.to_dict() or {} for snap in db.collection("sms_budgets").stream() if snap.id.startswith("city_")]
    assert sum(doc["count"] for doc in city) == BUDGET
