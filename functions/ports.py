"""Every boundary the services talk through, and the error each one raises, side by side.

Each port is a small Protocol with a real adapter in adapters/ and a recording fake in tests/fakes.py (reports: also
tests/reports_fakes.py). Only this module and the adapters name infrastructure; services import their ports from here.
The domain types the ports carry (bahagia.*, reports.figures) are imported for type checking only, so importing the
ports costs nothing at a cold start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bahagia.lifecycle import Actor, TransitionOutcome
    from bahagia.notifications import ClaimDecision, ClaimRequest, FailureReason, RecordUpdate
    from bahagia.report_counters import Counts
    from reports.figures import Aggregate, Tally


# --- events: Pub/Sub and the outbox --------------------------------------------------------------------------------


class PublishFailed(Exception):
    """The event did not reach Pub/Sub in time; it stays in the outbox for the relay."""


class EventPublisher(Protocol):
    def publish(self, event: dict[str, Any]) -> str:
        """Publish one event; return the message id or raise PublishFailed."""
        ...


class OutboxStore(Protocol):
    """The `outbox` collection: events committed with the change they announce, deleted once published."""

    def delete_outbox(self, event_id: str) -> None: ...

    def delete_outbox_many(self, event_ids: list[str]) -> None: ...

    def pending_outbox(self, older_than: dt.datetime, limit: int) -> list[dict[str, Any]]: ...


# --- intake --------------------------------------------------------------------------------------------------------


class CommitConflict(Exception):
    """A create() precondition failed. `reason`: idempotency, submission (tracking code taken), duplicate, unknown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OpenApplication:
    """An `open_applications` marker as the store read it, with the store's version of it (Firestore: update time)."""

    marker: dict[str, Any]
    version: Any


@dataclass(frozen=True)
class NewSubmission:
    """Everything one accepted submission writes, in one all-or-nothing commit."""

    document: dict[str, Any]
    outbox_event: dict[str, Any]
    idempotency: tuple[str, dict[str, Any]] | None
    """(key id, record) of the Idempotency-Key, when one was sent."""
    dedup_key: str | None
    """The `open_applications` marker of an application."""
    counts: Counts
    """What the submission adds to the nightly report's counters (bahagia.report_counters.submission_counts)."""
    now: dt.datetime
    marker: dict[str, Any] | None = None
    """The `open_applications` document to write under `dedup_key` (bahagia.submissions)."""
    duplicate_of: OpenApplication | None = None
    """Set for a possible duplicate: the marker as read. The commit then updates that marker (failing if it changed
    since: CommitConflict("duplicate")) and links the marker's holder to this submission, instead of creating it."""


class SubmissionStore(OutboxStore, Protocol):
    def get_idempotency(self, key_id: str) -> dict[str, Any] | None: ...

    def get_open_application(self, dedup_key: str) -> OpenApplication | None: ...

    def get_submission(self, code: str) -> dict[str, Any] | None: ...

    def commit_new_submission(self, new: NewSubmission) -> None:
        """Create the submission, its markers and its outbox entry and add its counts, or nothing (CommitConflict)."""
        ...

    def count_attempts(self, buckets: Mapping[str, dt.datetime]) -> dict[str, int]:
        """Add one to each bucket (id -> when it may be deleted) in one atomic write; each bucket's count after it.

        Increment first, then compare: two requests can never both read the count below a limit and both pass."""
        ...

    def refund_attempts(self, bucket_ids: list[str]) -> None:
        """Take one back from each bucket (a right PIN does not spend the budget)."""
        ...


# --- staff ---------------------------------------------------------------------------------------------------------


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
    due_from: dt.datetime | None = None
    """With due_before: deadlines in [due_from, due_before), e.g. the rest of today (the queue's counts)."""


Decide = Callable[[dict[str, Any]], "TransitionOutcome | None"]
"""Judges a transition of the submission as the transaction read it; None writes nothing."""


class StaffStore(Protocol):
    def get_submission(self, code: str) -> dict[str, Any] | None: ...

    def query_submissions(self, query: StoreQuery) -> list[dict[str, Any]]: ...

    def count_submissions(self, query: StoreQuery) -> int:
        """How many submissions match the query's filters (its order, cursor and limit do not matter)."""
        ...

    def commit_transition(self, code: str, decide: Decide) -> tuple[dict[str, Any], TransitionOutcome] | None:
        """In one transaction: read the submission (None if missing), `decide` on it, and, if it returned an
        outcome, write the changes, the audit entry, the outbox event, the marker release and the outcome's report
        counts. Returns the updated document and the outcome, or None when the submission is missing or `decide`
        returned None. Errors that `decide` raises leave nothing written."""
        ...

    def append_audit(self, entry: dict[str, Any]) -> None: ...

    def audit_entries(self, code: str) -> list[dict[str, Any]]: ...

    def staff_updates(self, limit: int) -> list[dict[str, Any]]:
        """The latest `staff_update` audit entries (changes to the staff directory), newest first."""
        ...

    def notifications(self, code: str) -> list[dict[str, Any]]: ...

    def due_for_auto_close(self, statuses: list[str], now: dt.datetime, limit: int) -> list[str]: ...

    def delete_outbox(self, event_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class StaffMember:
    email: str
    role: str
    opd: str | None
    active: bool = True


class StaffDirectory(Protocol):
    """`staff/` in Firestore: who is staff, with which role and OPD (Google sign-in)."""

    def get(self, email: str) -> StaffMember | None: ...

    def put(self, member: StaffMember, by: str, now: dt.datetime) -> None: ...

    def list(self) -> list[StaffMember]: ...


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Actor:
        """The actor a bearer token stands for, or a BahagiaError (401, 403, 503)."""
        ...


# --- SMS (notify) --------------------------------------------------------------------------------------------------


class SmsError(Exception):
    """A provider refused or failed; `reason` is a FailureReason, never the number or the text."""

    retryable = False
    """Whether another delivery may succeed: the record says so, and Pub/Sub is asked to redeliver."""

    def __init__(self, reason: FailureReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


class TransientSmsError(SmsError):
    """Worth another try later (throttling, 5xx, timeouts): Pub/Sub redelivers with backoff."""

    retryable = True


class PermanentSmsError(SmsError):
    """Trying again cannot help (invalid number, opted out at the provider): record and acknowledge."""


class SmsProvider(Protocol):
    name: str

    def warm(self) -> None:
        """Load now what the first send() would otherwise wait for (SNS: the account's opt-out list)."""
        ...

    def send(self, phone: str, text: str) -> str:
        """Send one SMS to an E.164 number; return the provider's message id or raise SmsError."""
        ...


class NotificationStore(Protocol):
    def claim(self, request: ClaimRequest) -> ClaimDecision:
        """Read the record, the opt-out and today's counter, apply decide_claim and write the decision with its
        report counts, atomically; the decision returned carries the record as written and its version."""
        ...

    def finish(self, update: RecordUpdate, claimed: ClaimDecision | None = None) -> None:
        """Apply the update to its record and add `update.counts(record as it was)` to the report's counters,
        atomically: the counters leave the record's old status exactly once. `claimed` (what claim() returned) lets
        the store write without reading the record again while nothing else changed it."""
        ...

    def opt_out(self, recipient: str, source: str, now: dt.datetime) -> None: ...

    def spend_budgets(self, counters: Mapping[str, dt.datetime]) -> dict[str, int]:
        """Add one to each daily budget counter (id -> when it may be deleted) in one atomic write; each count after
        it (increment first, then compare: concurrent receipts cannot all slip under a budget)."""
        ...

    def refund_budgets(self, counter_ids: list[str]) -> None:
        """Take one back from each counter: a receipt refused by one budget does not spend the others."""
        ...


class SubmissionLookup(Protocol):
    def get(self, tracking_code: str) -> Mapping[str, Any] | None: ...


# --- two-way SMS (sms_webhook) -------------------------------------------------------------------------------------


class InboundStore(Protocol):
    """`sms_inbound/{message key}` audits, and what the webhook needs of the notifier's collections."""

    def create_audit(self, key: str, record: dict[str, Any]) -> bool:
        """Create the audit of one inbound text; False when it exists (the provider delivered it again)."""
        ...

    def finish_audit(self, key: str, update: dict[str, Any]) -> None: ...

    def has_history(self, recipient: str) -> bool:
        """Whether a `notifications` record exists for this number (its HMAC): the number is known to us."""
        ...

    def opt_in(self, recipient: str) -> None:
        """Remove the number from `sms_opt_outs`."""
        ...

    def apply_receipt(
        self, provider: str, message_id: str, decide: Callable[[str, Mapping[str, Any]], RecordUpdate | None]
    ) -> str:
        """Find the record sent by `provider` with this message id and apply `decide(record id, record as read)`
        with its report counts, in one transaction. Returns `updated`, `unchanged` or `unknown`."""
        ...


# --- Open311 -------------------------------------------------------------------------------------------------------


class PublicComplaintReader(Protocol):
    """What the Open311 facade reads; what of it may be shown is bahagia.open311's decision, not the store's."""

    def get(self, code: str) -> Mapping[str, Any] | None: ...

    def newest_first(self, categories: list[str], start: dt.datetime, end: dt.datetime) -> Iterator[Mapping[str, Any]]:
        """Submissions of these categories submitted in [start, end), newest first, read lazily in pages."""
        ...


# --- nightly reports -----------------------------------------------------------------------------------------------


class FigureSource(Protocol):
    """Answers aggregates; `queries` and `reads` count what it has been asked and billed (Firestore document reads)."""

    @property
    def queries(self) -> int: ...

    @property
    def reads(self) -> int: ...

    def tally(self, aggregates: Sequence[Aggregate]) -> list[Tally]: ...


class CounterSource(Protocol):
    """The per-day counters of bahagia.report_counters, shards summed: `{date: {field: value}}`."""

    @property
    def reads(self) -> int: ...

    def read(self, dates: Sequence[str]) -> dict[str, dict[str, int]]: ...


class ReportStore(Protocol):
    """`reports/{date}` documents."""

    def fingerprint(self, date: str) -> str | None: ...

    def save(self, date: str, document: Mapping[str, Any]) -> None: ...

    def load(self, date: str) -> dict[str, Any] | None: ...


class ReportFiles(Protocol):
    """The bucket of CSV and HTML files."""

    def fingerprint(self, name: str) -> str | None: ...

    def upload(self, name: str, data: bytes, content_type: str, fingerprint: str) -> None: ...

    def download(self, name: str) -> bytes | None: ...

    def location(self, name: str) -> str: ...
