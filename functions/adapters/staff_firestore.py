"""The staff workflow's reads and writes in Cloud Firestore, and the staff directory.

Audit entries live in `audit/{auto-id}` and are only ever created: this module has no update or delete path for them
and infra/firestore.rules denies every client write. Staff members live in `staff/{sha256(email)}`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.api_core.retry import Retry
from google.cloud import firestore

from adapters.reports_firestore import add_counts
from bahagia import submissions
from bahagia.lifecycle import TransitionOutcome
from ports import Decide, StaffMember, StoreQuery
from staff.auth import normalize_email, staff_id
from staff.views import SUMMARY_FIELDS

SUBMISSIONS = "submissions"
AUDIT = "audit"
OUTBOX = "outbox"
OPEN_APPLICATIONS = "open_applications"
NOTIFICATIONS = "notifications"
STAFF = "staff"

# Conflicts wait ~2 s each on the emulator and are rare in production; 5 attempts leave room for a few.
TRANSACTION_ATTEMPTS = 5

# Every query this module makes, for the index check (tests/unit/test_firestore_indexes.py). A tuple of fields stands
# for any subset of them. overdue or sort=due with from/to only combines with `opd` and `status` (staff.queries), to
# keep the index count small. The queue's counts are count aggregations of the same shapes, in the same order, so
# they need no index of their own.
_FILTERS = ("status", "kind", "program", "category", "kecamatan", "kelurahan", "opd")
_DATES = [("submitted_at", ">="), ("submitted_at", "<")]
_DUE = [("status", "in"), ("due_at", ">="), ("due_at", "<")]
QUERIES = [
    (SUBMISSIONS, [(_FILTERS, "=="), *_DATES, ("submitted_at", "order desc")]),
    # overdue, most overdue first, due today: a deadline range within the statuses that have a service level
    (SUBMISSIONS, [(_FILTERS, "=="), *_DUE, ("due_at", "order")]),
    (SUBMISSIONS, [(("opd",), "=="), *_DUE, *_DATES, ("due_at", "order"), ("submitted_at", "order")]),
    (SUBMISSIONS, [("status", "=="), ("due_at", "<"), ("due_at", "order")]),
    (AUDIT, [("tracking_code", "=="), ("at", "order")]),
    (AUDIT, [("action", "=="), ("at", "order desc")]),
    (NOTIFICATIONS, [("tracking_code", "==")]),
]

# The summary fields a list needs (the same as the list view shows); personal data is not even fetched for a list.
LIST_FIELDS = list(SUMMARY_FIELDS)


class FirestoreStaffStore:
    def __init__(self, client: firestore.Client, timeout: float) -> None:
        self._db = client
        self._timeout = timeout
        self._retry = Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=timeout)

    def get_submission(self, code: str) -> dict[str, Any] | None:
        snapshot = self._db.collection(SUBMISSIONS).document(code).get(timeout=self._timeout, retry=self._retry)
        return snapshot.to_dict() if snapshot.exists else None

    def _filtered(self, query: StoreQuery) -> Any:
        q: Any = self._db.collection(SUBMISSIONS)
        for name, value in sorted(query.equals.items()):
            q = q.where(filter=firestore.FieldFilter(name, "==", value))
        if query.statuses_in:
            q = q.where(filter=firestore.FieldFilter("status", "in", query.statuses_in))
        if query.due_from is not None:
            q = q.where(filter=firestore.FieldFilter("due_at", ">=", query.due_from))
        if query.due_before is not None:
            q = q.where(filter=firestore.FieldFilter("due_at", "<", query.due_before))
        if query.submitted_from is not None:
            q = q.where(filter=firestore.FieldFilter("submitted_at", ">=", query.submitted_from))
        if query.submitted_before is not None:
            q = q.where(filter=firestore.FieldFilter("submitted_at", "<", query.submitted_before))
        return q

    def count_submissions(self, query: StoreQuery) -> int:
        # A count aggregation (one read per 1,000 index entries, no document fetched), ordered like the list so that
        # it runs on the list's own index.
        q = self._filtered(query)
        for name, descending in query.order_fields:
            q = q.order_by(name, direction=firestore.Query.DESCENDING if descending else firestore.Query.ASCENDING)
        result = q.count().get(timeout=self._timeout, retry=self._retry)
        return int(result[0][0].value)

    def query_submissions(self, query: StoreQuery) -> list[dict[str, Any]]:
        ref = self._db.collection(SUBMISSIONS)
        q = self._filtered(query)
        for name, descending in query.order_fields:
            q = q.order_by(name, direction=firestore.Query.DESCENDING if descending else firestore.Query.ASCENDING)
        last_descending = query.order_fields[-1][1]
        q = q.order_by(
            "__name__", direction=firestore.Query.DESCENDING if last_descending else firestore.Query.ASCENDING
        )
        if query.after is not None:
            values, code = query.after
            q = q.start_after([*values, ref.document(code)])
        q = q.select(LIST_FIELDS).limit(query.limit + 1)
        return [snap.to_dict() or {} for snap in q.stream(timeout=self._timeout, retry=self._retry)]

    def commit_transition(self, code: str, decide: Decide) -> tuple[dict[str, Any], TransitionOutcome] | None:
        submission_ref = self._db.collection(SUBMISSIONS).document(code)
        audit_ref = self._db.collection(AUDIT).document()

        @firestore.transactional
        def run(transaction: firestore.Transaction) -> tuple[dict[str, Any], TransitionOutcome] | None:
            snapshot = submission_ref.get(transaction=transaction)
            if not snapshot.exists:
                return None
            doc = snapshot.to_dict() or {}
            outcome = decide(doc)
            if outcome is None:
                return None
            marker_ref, after = None, None
            if outcome.release_marker:
                # Read before any write (a transaction's rule), judged by the domain: the NIK stays held by an open
                # possible duplicate (bahagia.submissions.after_closing), or is free again.
                marker_ref = self._db.collection(OPEN_APPLICATIONS).document(outcome.release_marker)
                marker = marker_ref.get(transaction=transaction)
                after = submissions.after_closing(marker.to_dict() or {}, code) if marker.exists else None
            transaction.update(submission_ref, outcome.changes)
            transaction.create(audit_ref, outcome.audit)
            # The nightly report's counters (the staff service put them in the outcome), in the same commit.
            add_counts(transaction, self._db, outcome.counts)
            event = outcome.event
            transaction.create(
                self._db.collection(OUTBOX).document(event["event_id"]),
                {"event": event, "created_at": outcome.audit["at"], "tracking_code": code},
            )
            if marker_ref is not None:
                if after is None:
                    transaction.delete(marker_ref)
                else:
                    transaction.set(marker_ref, after)
            return {**doc, **outcome.changes}, outcome

        result: tuple[dict[str, Any], TransitionOutcome] | None = run(
            self._db.transaction(max_attempts=TRANSACTION_ATTEMPTS)
        )
        return result

    def append_audit(self, entry: dict[str, Any]) -> None:
        # create(): an auto-id that somehow existed would fail rather than overwrite an entry.
        self._db.collection(AUDIT).document().create(entry, timeout=self._timeout, retry=None)

    def audit_entries(self, code: str) -> list[dict[str, Any]]:
        query = (
            self._db.collection(AUDIT)
            .where(filter=firestore.FieldFilter("tracking_code", "==", code))
            .order_by("at")
            .limit(1000)
        )
        return [snap.to_dict() or {} for snap in query.stream(timeout=self._timeout, retry=self._retry)]

    def staff_updates(self, limit: int) -> list[dict[str, Any]]:
        query = (
            self._db.collection(AUDIT)
            .where(filter=firestore.FieldFilter("action", "==", "staff_update"))
            .order_by("at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [snap.to_dict() or {} for snap in query.stream(timeout=self._timeout, retry=self._retry)]

    def notifications(self, code: str) -> list[dict[str, Any]]:
        query = self._db.collection(NOTIFICATIONS).where(filter=firestore.FieldFilter("tracking_code", "==", code))
        records = [snap.to_dict() or {} for snap in query.limit(200).stream(timeout=self._timeout, retry=self._retry)]
        # Sorted here rather than by the query: one equality filter needs no composite index.
        return sorted(records, key=lambda r: r.get("created_at") or dt.datetime.min.replace(tzinfo=dt.UTC))

    def due_for_auto_close(self, statuses: list[str], now: dt.datetime, limit: int) -> list[str]:
        codes: list[str] = []
        for status in statuses:
            query = (
                self._db.collection(SUBMISSIONS)
                .where(filter=firestore.FieldFilter("status", "==", status))
                .where(filter=firestore.FieldFilter("due_at", "<", now))
                .order_by("due_at")
                .select(["tracking_code"])
                .limit(limit)
            )
            codes.extend(snap.id for snap in query.stream(timeout=self._timeout, retry=self._retry))
        return codes[:limit]

    def delete_outbox(self, event_id: str) -> None:
        self._db.collection(OUTBOX).document(event_id).delete(timeout=self._timeout, retry=self._retry)


class FirestoreStaffDirectory:
    def __init__(self, client: firestore.Client, timeout: float) -> None:
        self._collection = client.collection(STAFF)
        self._timeout = timeout

    @staticmethod
    def _member(data: dict[str, Any]) -> StaffMember:
        return StaffMember(
            email=data["email"], role=data["role"], opd=data.get("opd"), active=bool(data.get("active", True))
        )

    def get(self, email: str) -> StaffMember | None:
        snapshot = self._collection.document(staff_id(email)).get(timeout=self._timeout)
        return self._member(snapshot.to_dict() or {}) if snapshot.exists else None

    def put(self, member: StaffMember, by: str, now: dt.datetime) -> None:
        self._collection.document(staff_id(member.email)).set(
            {
                "email": normalize_email(member.email),
                "role": member.role,
                "opd": member.opd,
                "active": member.active,
                "updated_at": now,
                "updated_by": by,
            },
            timeout=self._timeout,
        )

    def list(self) -> list[StaffMember]:
        return [
            self._member(snap.to_dict() or {}) for snap in self._collection.limit(1000).stream(timeout=self._timeout)
        ]
