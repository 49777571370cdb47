"""Submissions, markers, outbox and rate-limit counters in Cloud Firestore."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from google.api_core import exceptions as gexc
from google.api_core.retry import Retry
from google.cloud import firestore

from adapters import firestore_wire
from adapters.counters import increment_and_read
from adapters.reports_firestore import add_counts
from bahagia import report_counters
from bahagia.report_counters import Counts
from ports import CommitConflict, NewSubmission, OpenApplication

SUBMISSIONS = "submissions"
IDEMPOTENCY = "idempotency_keys"
OPEN_APPLICATIONS = "open_applications"
OUTBOX = "outbox"
RATE_LIMITS = "rate_limits"

# Every query this module makes, for the index check in tests (see docs/ARCHITECTURE.md, "Declaring queries").
QUERIES = [
    (OUTBOX, [("created_at", "<"), ("created_at", "order")]),
]


class FirestoreSubmissionStore:
    def __init__(self, client: firestore.Client, timeout: float) -> None:
        self._db = client
        self._timeout = timeout
        self._wire = firestore_wire.supported(client)
        # Reads are safe to retry; keep the total under the request's own budget so a frozen backend gives a 503.
        self._retry = Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=timeout)

    def get_idempotency(self, key_id: str) -> dict[str, Any] | None:
        snapshot = self._db.collection(IDEMPOTENCY).document(key_id).get(timeout=self._timeout, retry=self._retry)
        return snapshot.to_dict() if snapshot.exists else None

    def get_submission(self, code: str) -> dict[str, Any] | None:
        snapshot = self._db.collection(SUBMISSIONS).document(code).get(timeout=self._timeout, retry=self._retry)
        return snapshot.to_dict() if snapshot.exists else None

    def get_open_application(self, dedup_key: str) -> OpenApplication | None:
        snapshot = (
            self._db.collection(OPEN_APPLICATIONS).document(dedup_key).get(timeout=self._timeout, retry=self._retry)
        )
        return OpenApplication(snapshot.to_dict() or {}, snapshot.update_time) if snapshot.exists else None

    def commit_new_submission(self, new: NewSubmission) -> None:
        """One atomic commit: the submission, its markers and its outbox entry, or nothing.

        A possible duplicate (`new.duplicate_of`) updates the marker it read, on the condition that it has not changed
        since, and adds itself to the holder's `possible_duplicates`, in the same commit."""
        code = new.document["tracking_code"]
        idempotency, dedup_key = new.idempotency, new.dedup_key
        db = self._db
        creates: list[tuple[Any, dict[str, Any]]] = [
            (db.collection(SUBMISSIONS).document(code), new.document),
            (
                db.collection(OUTBOX).document(new.outbox_event["event_id"]),
                {"event": new.outbox_event, "created_at": new.now, "tracking_code": code},
            ),
        ]
        if idempotency is not None:
            creates.append((db.collection(IDEMPOTENCY).document(idempotency[0]), idempotency[1]))
        if dedup_key is not None:
            marker_ref = db.collection(OPEN_APPLICATIONS).document(dedup_key)
            marker = new.marker or {"tracking_code": code, "created_at": new.now}
            if new.duplicate_of is None:
                creates.append((marker_ref, marker))
        try:
            # No automatic retry: a create() that succeeded but whose answer was lost would fail on retry, and the
            # service decides what that means (see intake.service). The nightly report's counters go in the same
            # commit: a commit that fails (duplicate, replay) counts nothing.
            writes = self._as_protobuf(creates, new.counts) if self._wire and new.duplicate_of is None else None
            if writes is not None:
                writes.commit(self._timeout)
            else:
                batch = self._db.batch()
                for reference, data in creates:
                    batch.create(reference, data)
                add_counts(batch, self._db, new.counts)
                if dedup_key is not None and new.duplicate_of is not None:
                    # A possible duplicate (rare): the library's batch, for its conditional update and ArrayUnion.
                    read_at = db.write_option(last_update_time=new.duplicate_of.version)
                    batch.update(marker_ref, marker, option=read_at)
                    holder = db.collection(SUBMISSIONS).document(new.duplicate_of.marker["tracking_code"])
                    batch.update(holder, {"possible_duplicates": firestore.ArrayUnion([code])})
                batch.commit(timeout=self._timeout, retry=None)
        except (gexc.AlreadyExists, gexc.Conflict):
            raise CommitConflict(self._which_conflict(code, idempotency, dedup_key)) from None
        except (gexc.FailedPrecondition, gexc.NotFound):
            # The marker changed (another duplicate, a closed holder) or went away since we read it: read it again.
            raise CommitConflict("duplicate") from None

    def _as_protobuf(self, creates: list[tuple[Any, dict[str, Any]]], counts: Counts) -> firestore_wire.Writes | None:
        """The same writes as the WriteBatch, built without the library's per-field wrappers (firestore_wire); None
        when a value is of a kind only the library encodes (then the library does, for this commit)."""
        writes = firestore_wire.Writes(self._db)
        try:
            for reference, data in creates:
                writes.create(reference.path, data)
        except TypeError:
            return None
        for doc_id, fields in counts.items():
            deltas = {name: delta for name, delta in fields.items() if delta}
            if deltas:
                writes.increment(f"{report_counters.COLLECTION}/{doc_id}", deltas)
        return writes

    def _which_conflict(self, code: str, idempotency: tuple[str, dict[str, Any]] | None, dedup_key: str | None) -> str:
        refs = {"submission": self._db.collection(SUBMISSIONS).document(code)}
        if idempotency is not None:
            refs["idempotency"] = self._db.collection(IDEMPOTENCY).document(idempotency[0])
        if dedup_key is not None:
            refs["duplicate"] = self._db.collection(OPEN_APPLICATIONS).document(dedup_key)
        existing = {
            snap.reference.path
            for snap in self._db.get_all(list(refs.values()), timeout=self._timeout, retry=self._retry)
            if snap.exists
        }
        for reason in ("idempotency", "submission", "duplicate"):
            if reason in refs and refs[reason].path in existing:
                return reason
        return "unknown"

    def delete_outbox(self, event_id: str) -> None:
        self._db.collection(OUTBOX).document(event_id).delete(timeout=self._timeout, retry=self._retry)

    def delete_outbox_many(self, event_ids: list[str]) -> None:
        batch = self._db.batch()
        for event_id in event_ids:
            batch.delete(self._db.collection(OUTBOX).document(event_id))
        batch.commit(timeout=self._timeout, retry=self._retry)

    def pending_outbox(self, older_than: dt.datetime, limit: int) -> list[dict[str, Any]]:
        query = (
            self._db.collection(OUTBOX)
            .where(filter=firestore.FieldFilter("created_at", "<", older_than))
            .order_by("created_at")
            .limit(limit)
        )
        return [(snap.to_dict() or {})["event"] for snap in query.stream(timeout=self._timeout, retry=self._retry)]

    def count_attempts(self, buckets: Mapping[str, dt.datetime]) -> dict[str, int]:
        rate_limits = self._db.collection(RATE_LIMITS)
        return increment_and_read(self._db, rate_limits, buckets, timeout=self._timeout, retry=self._retry)

    def refund_attempts(self, bucket_ids: list[str]) -> None:
        batch = self._db.batch()
        for bucket in bucket_ids:
            batch.set(self._db.collection(RATE_LIMITS).document(bucket), {"count": firestore.Increment(-1)}, merge=True)
        batch.commit(timeout=self._timeout, retry=None)  # not retried: a refund counted twice would loosen a limit
