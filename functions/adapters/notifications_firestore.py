"""NotificationStore and SubmissionLookup on Firestore.

Collections: `notifications/{event_id}:{recipient}` (the records staff read), `sms_opt_outs/{recipient}` and
`sms_daily_counts/{recipient}_{date}` (TTL on `expires_at`), where {recipient} is an HMAC of the number, never the
number. The decision itself is bahagia.notifications.decide_claim, and the report counts come with it (or with the
RecordUpdate of a finished send); this adapter only reads and writes atomically.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from adapters.counters import increment_and_read
from adapters.reports_firestore import add_counts
from bahagia.notifications import ClaimDecision, ClaimRequest, RecordUpdate, decide_claim

COUNTER_TTL = dt.timedelta(days=2)
# A create() that found the document, or an update whose document changed since it was read.
_CHANGED_MEANWHILE = (gexc.AlreadyExists, gexc.Conflict, gexc.FailedPrecondition, gexc.Aborted)
BUDGETS = "sms_budgets"
"""Daily receipt budgets per client address and for the city (bahagia.notifications.receipt_budgets), TTL on
`expires_at`."""


class FirestoreNotificationStore:
    """Optimistic concurrency instead of transactions: read what the rule needs in one call, then write in one batch
    whose preconditions fail if any of it changed meanwhile (the record: create() or its update time; the day counter:
    create() or its update time), and start again. The same guarantees as a transaction (one record per (event,
    recipient), a cap that concurrent claims cannot overshoot) for 2 calls instead of 5, and no locks held."""

    def __init__(self, client: firestore.Client, max_attempts: int = 10) -> None:
        self._client = client
        self._notifications = client.collection("notifications")
        self._opt_outs = client.collection("sms_opt_outs")
        self._counters = client.collection("sms_daily_counts")
        self._max_attempts = max_attempts
        self._budgets = client.collection(BUDGETS)

    def claim(self, request: ClaimRequest) -> ClaimDecision:
        record_ref = self._notifications.document(request.notification_id)
        opt_out_ref = self._opt_outs.document(request.recipient)
        counter_ref = self._counters.document(request.counter_id)
        for attempt in range(1, self._max_attempts + 1):
            read = self._client.get_all([record_ref, opt_out_ref, counter_ref])
            snapshots = {snap.reference.path: snap for snap in read}
            record, counter = snapshots[record_ref.path], snapshots[counter_ref.path]
            before = (record.to_dict() or {}) if record.exists else None
            count = int((counter.to_dict() or {}).get("count", 0)) if counter.exists else 0
            if before is not None:
                decision = decide_claim(request, before, opted_out=False, sent_today=0)
            else:
                decision = decide_claim(request, None, opted_out=snapshots[opt_out_ref.path].exists, sent_today=count)
            if decision.create is None and decision.update is None:
                return decision
            batch = self._client.batch()
            if decision.create is not None:
                written = dict(decision.create)
                batch.create(record_ref, written)  # exists=False: a concurrent claim of the same record fails this
            else:
                assert before is not None  # an update is only decided for a record that exists
                assert decision.update is not None
                written = {**before, **decision.update}
                unchanged = self._client.write_option(last_update_time=record.update_time)
                batch.update(record_ref, decision.update, option=unchanged)
            # The nightly report's counters (issue 5) move in the same commit as the record's status.
            add_counts(batch, self._client, decision.counts)
            if decision.increment_counter:
                fields = {"count": count + 1, "updated_at": request.now, "expires_at": request.now + COUNTER_TTL}
                if counter.exists:
                    unchanged = self._client.write_option(last_update_time=counter.update_time)
                    batch.update(counter_ref, fields, option=unchanged)
                else:
                    batch.create(counter_ref, fields)
            try:
                results = batch.commit(retry=None)
            except _CHANGED_MEANWHILE:
                if attempt == self._max_attempts:
                    raise
                continue  # another delivery wrote the record or the counter first: read again, decide again
            return dataclasses.replace(decision, record=written, version=results[0].update_time)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def finish(self, update: RecordUpdate, claimed: ClaimDecision | None = None) -> None:
        """Record the outcome (sent / failed) and move the report's counters with it, exactly once: from the record as
        the claim left it when nothing changed it since (one write), else from the record as it is read now."""
        record_ref = self._notifications.document(update.notification_id)
        before: Mapping[str, Any] | None = claimed.record if claimed is not None else None
        version = claimed.version if claimed is not None else None
        for attempt in range(1, self._max_attempts + 1):
            if before is None:
                snapshot = record_ref.get()
                # update() keeps its precondition: a record that vanished fails as it did before, writing nothing.
                before, version = (snapshot.to_dict() or {}) if snapshot.exists else {}, snapshot.update_time
            batch = self._client.batch()
            option = self._client.write_option(last_update_time=version) if version is not None else None
            batch.update(record_ref, update.fields, option=option)
            if before:
                add_counts(batch, self._client, update.counts(before))
            try:
                batch.commit(retry=None)
            except _CHANGED_MEANWHILE:
                if attempt == self._max_attempts:
                    raise
                before = version = None  # the lease ran out and another delivery took over: read it as it is now
                continue
            return

    def opt_out(self, recipient: str, source: str, now: dt.datetime) -> None:
        self._opt_outs.document(recipient).set({"source": source, "created_at": now}, merge=True)

    def spend_budgets(self, counters: Mapping[str, dt.datetime]) -> dict[str, int]:
        return increment_and_read(self._client, self._budgets, counters)

    def refund_budgets(self, counter_ids: list[str]) -> None:
        expires = dt.datetime.now(dt.UTC) + COUNTER_TTL
        increment_and_read(self._client, self._budgets, dict.fromkeys(counter_ids, expires), step=-1)


class FirestoreSubmissionLookup:
    """Reads `submissions/{tracking_code}` for the SMS functions: notify (the contact, programme, category, OPD) and
    sms_webhook (the status a citizen asks for by SMS)."""

    # Only what the SMS need: the NIK, the name, the address and the complaint never reach these functions. A field
    # the SMS code reads from the submission must be listed here (the client's key: the per-client SMS budget).
    FIELDS = (
        "kind", "privacy", "status", "opd", "program", "benefit", "category", "client_key",
        "applicant.phone", "reporter.phone",
    )  # fmt: skip

    def __init__(self, client: firestore.Client) -> None:
        self._submissions = client.collection("submissions")

    def get(self, tracking_code: str) -> Mapping[str, Any] | None:
        snapshot = self._submissions.document(tracking_code).get(field_paths=self.FIELDS)
        return snapshot.to_dict() if snapshot.exists else None
