"""A fake InboundStore on dicts, sharing the records and opt-outs of a FakeNotificationStore (as Firestore does)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bahagia import report_counters
from bahagia.notifications import RecordUpdate
from tests.fakes import FakeNotificationStore


@dataclass
class FakeInboundStore:
    notifications: FakeNotificationStore
    audit: dict[str, dict[str, Any]] = field(default_factory=dict)

    def create_audit(self, key: str, record: dict[str, Any]) -> bool:
        if key in self.audit:
            return False
        self.audit[key] = dict(record)
        return True

    def finish_audit(self, key: str, update: dict[str, Any]) -> None:
        self.audit[key].update(update)

    def has_history(self, recipient: str) -> bool:
        return any(r.get("recipient_key") == recipient for r in self.notifications.records.values())

    def opt_in(self, recipient: str) -> None:
        self.notifications.opt_outs.pop(recipient, None)

    def apply_receipt(
        self, provider: str, message_id: str, decide: Callable[[str, Mapping[str, Any]], RecordUpdate | None]
    ) -> str:
        for notification_id, record in self.notifications.records.items():
            if record.get("provider_message_id") == message_id and record.get("provider") == provider:
                update = decide(notification_id, dict(record))
                if update is None:
                    return "unchanged"
                report_counters.merge(self.notifications.report_counts, update.counts(dict(record)))
                record.update(update.fields)
                return "updated"
        return "unknown"
