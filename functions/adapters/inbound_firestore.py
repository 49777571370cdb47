"""inbound.service.InboundStore on Firestore.

`sms_inbound/{message key}`: one audit document per inbound text (create() once, so a redelivery is recognised);
`notifications` and `sms_opt_outs` are the notifier's collections (adapters/notifications_firestore.py): the history
of a number is "we have an SMS record for its key", and a receipt moves a record's status with the report counters
in the same transaction, as every other status change of a record does (the counts come with the service's
RecordUpdate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from adapters.reports_firestore import add_counts
from bahagia.notifications import RecordUpdate
from bahagia.sms_inbound import AUDIT_COLLECTION

NOTIFICATIONS = "notifications"
OPT_OUTS = "sms_opt_outs"

# Every query this module makes, for the index check in tests (docs/ARCHITECTURE.md, "Declaring queries").
QUERIES = [
    (NOTIFICATIONS, [("recipient_key", "==")]),
    (NOTIFICATIONS, [("provider_message_id", "==")]),
]


class FirestoreInboundStore:
    def __init__(self, client: firestore.Client, timeout: float) -> None:
        self._client = client
        self._timeout = timeout

    def create_audit(self, key: str, record: dict[str, Any]) -> bool:
        try:
            self._client.collection(AUDIT_COLLECTION).document(key).create(record, timeout=self._timeout)
        except (gexc.AlreadyExists, gexc.Conflict):
            return False
        return True

    def finish_audit(self, key: str, update: dict[str, Any]) -> None:
        self._client.collection(AUDIT_COLLECTION).document(key).update(update, timeout=self._timeout)

    def has_history(self, recipient: str) -> bool:
        query = (
            self._client.collection(NOTIFICATIONS).where(filter=FieldFilter("recipient_key", "==", recipient)).limit(1)
        )
        return any(True for _ in query.stream(timeout=self._timeout))

    def opt_in(self, recipient: str) -> None:
        self._client.collection(OPT_OUTS).document(recipient).delete(timeout=self._timeout)

    def apply_receipt(
        self, provider: str, message_id: str, decide: Callable[[str, Mapping[str, Any]], RecordUpdate | None]
    ) -> str:
        query = (
            self._client.collection(NOTIFICATIONS)
            .where(filter=FieldFilter("provider_message_id", "==", message_id))
            .limit(5)
        )
        refs = [
            s.reference for s in query.stream(timeout=self._timeout) if (s.to_dict() or {}).get("provider") == provider
        ]
        if not refs:
            return "unknown"

        @firestore.transactional
        def run(transaction: firestore.Transaction) -> str:
            result = "unchanged"
            for ref in refs:
                snapshot = ref.get(transaction=transaction)
                before = snapshot.to_dict() or {}
                update = decide(ref.id, before)
                if update is None:
                    continue
                transaction.update(ref, update.fields)
                add_counts(transaction, self._client, update.counts(before))
                result = "updated"
            return result

        outcome: str = run(self._client.transaction(max_attempts=10))
        return outcome
