"""NotificationStore and SubmissionLookup on Firestore.

Collections: `notifications/{event_id}:{recipient}` (the records staff read), `sms_opt_outs/{recipient}` and
`sms_daily_counts/{recipient}_{date}` (TTL on `expires_at`), where {recipient} is an HMAC of the number, never the
number. The decision itself is bahagia.notifications.decide_claim, and the report counts come with it (or with the
RecordUpdate of a finished send); this adapter only reads and writes atomically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from google.cloud import firestore

from adapters.counters import increment_and_read
from adapters.reports_firestore import add_counts
from bahagia.notifications import ClaimDecision, ClaimRequest, RecordUpdate, decide_claim

COUNTER_TTL = dt.timedelta(days=2)
BUDGETS = "sms_budgets"
"""Daily receipt budgets per client address and for the city (bahagia.notifications.receipt_budgets), TTL on
`expires_at`."""


class FirestoreNotificationStore:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._notifications = client.collection("notifications")
        self._opt_outs = client.collection("sms_opt_outs")
        self._counters = client.collection("sms_daily_counts")
        self._budgets = client.collection(BUDGETS)

    def claim(self, request: ClaimRequest) -> ClaimDecision:
        record_ref = self._notifications.document(request.notification_id)
        opt_out_ref = self._opt_outs.document(request.recipient)
        counter_ref = self._counters.document(request.counter_id)

        @firestore.transactional
        def run(transaction: firestore.Transaction) -> ClaimDecision:
            record = record_ref.get(transaction=transaction)
            if record.exists:
                decision = decide_claim(request, record.to_dict() or {}, opted_out=False, sent_today=0)
                count = 0
            else:
                opted_out = opt_out_ref.get(transaction=transaction).exists
                counter = counter_ref.get(transaction=transaction)
                count = int((counter.to_dict() or {}).get("count", 0)) if counter.exists else 0
                decision = decide_claim(request, None, opted_out=opted_out, sent_today=count)
            if decision.create is not None:
                # create() carries the exists=False precondition: a concurrent claim makes this commit fail and
                # the transaction run again, to find the record.
                transaction.create(record_ref, decision.create)
            if decision.update is not None:
                transaction.update(record_ref, decision.update)
            # The nightly report's counters (issue 5) move in the same commit as the record's status.
            add_counts(transaction, self._client, decision.counts)
            if decision.increment_counter:
                transaction.set(
                    counter_ref,
                    {"count": count + 1, "updated_at": request.now, "expires_at": request.now + COUNTER_TTL},
                    merge=True,
                )
            return decision

        result: ClaimDecision = run(self._client.transaction(max_attempts=10))
        return result

    def finish(self, update: RecordUpdate) -> None:
        """Record the outcome (sent / failed) and move the report's counters with it: read the record as it was, in
        a transaction, so that the counters leave its old status exactly once."""
        record_ref = self._notifications.document(update.notification_id)

        @firestore.transactional
        def run(transaction: firestore.Transaction) -> None:
            snapshot = record_ref.get(transaction=transaction)
            # update() keeps its precondition: a record that vanished fails as it did before, writing nothing.
            transaction.update(record_ref, update.fields)
            if snapshot.exists:
                add_counts(transaction, self._client, update.counts(snapshot.to_dict() or {}))

        run(self._client.transaction(max_attempts=10))

    def opt_out(self, recipient: str, source: str, now: dt.datetime) -> None:
        self._opt_outs.document(recipient).set({"source": source, "created_at": now}, merge=True)

    def spend_budgets(self, counters: Mapping[str, dt.datetime]) -> dict[str, int]:
        return increment_and_read(self._client, self._budgets, counters)

    def refund_budgets(self, counter_ids: list[str]) -> None:
        expires = dt.datetime.now(dt.UTC) + COUNTER_TTL
        increment_and_read(self._client, self._budgets, dict.fromkeys(counter_ids, expires), step=-1)


class FirestoreSubmissionLookup:
    """Reads `submissions/{tracking_code}`; only notify uses it, for the contact and the OPD."""

    def __init__(self, client: firestore.Client) -> None:
        self._submissions = client.collection("submissions")

    def get(self, tracking_code: str) -> Mapping[str, Any] | None:
        snapshot = self._submissions.document(tracking_code).get()
        return snapshot.to_dict() if snapshot.exists else None
