"""The boundaries the intake service talks through; real adapters in adapters/, recording fakes in tests/fakes.py."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol


class CommitConflict(Exception):
    """A create() precondition failed. `reason`: idempotency, submission (tracking code taken), duplicate, unknown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SubmissionStore(Protocol):
    def get_idempotency(self, key_id: str) -> dict[str, Any] | None: ...

    def get_submission(self, code: str) -> dict[str, Any] | None: ...

    def commit_new_submission(
        self,
        document: dict[str, Any],
        outbox_event: dict[str, Any],
        idempotency: tuple[str, dict[str, Any]] | None,
        dedup_key: str | None,
        now: dt.datetime,
    ) -> None: ...

    def delete_outbox(self, event_id: str) -> None: ...

    def delete_outbox_many(self, event_ids: list[str]) -> None: ...

    def pending_outbox(self, older_than: dt.datetime, limit: int) -> list[dict[str, Any]]: ...

    def failure_counts(self, bucket_ids: list[str]) -> dict[str, int]: ...

    def record_failures(self, bucket_ids: list[str], expires_at: dt.datetime) -> None: ...


class EventPublisher(Protocol):
    def publish(self, event: dict[str, Any]) -> str: ...
