"""The boundaries of the staff service; real adapters in adapters/staff_firestore.py, recording fakes in tests/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bahagia.lifecycle import TransitionOutcome


@dataclass(frozen=True)
class StoreQuery:
    """A list query after role scoping: equality filters, optional overdue and date ranges, order and page."""

    equals: dict[str, str]
    statuses_in: list[str] | None
    due_before: dt.datetime | None
    submitted_from: dt.datetime | None
    submitted_before: dt.datetime | None
    order_fields: tuple[tuple[str, bool], ...]
    """(field, descending) pairs; the document id follows in the direction of the last one."""
    after: tuple[tuple[dt.datetime, ...], str] | None
    """The order values and tracking code of the last item of the previous page."""
    limit: int


Decide = Callable[[dict[str, Any]], TransitionOutcome | None]


class StaffStore(Protocol):
    def get_submission(self, code: str) -> dict[str, Any] | None: ...

    def query_submissions(self, query: StoreQuery) -> list[dict[str, Any]]: ...

    def commit_transition(self, code: str, decide: Decide) -> tuple[dict[str, Any], TransitionOutcome] | None:
        """In one transaction: read the submission (None if missing), `decide` on it, and, if it returned an
        outcome, write the changes, the audit entry, the outbox event and the marker release. Returns the updated
        document and the outcome, or None when the submission is missing or `decide` returned None. Errors that
        `decide` raises leave nothing written."""
        ...

    def append_audit(self, entry: dict[str, Any]) -> None: ...

    def audit_entries(self, code: str) -> list[dict[str, Any]]: ...

    def notifications(self, code: str) -> list[dict[str, Any]]: ...

    def due_for_auto_close(self, statuses: list[str], now: dt.datetime, limit: int) -> list[str]: ...

    def delete_outbox(self, event_id: str) -> None: ...
