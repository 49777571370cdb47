"""Notification records and the rules that make an SMS go out once per (event, recipient); ports in ports.py.

Pure: the clock, the ids and the secret come in as arguments. The Firestore adapter runs `decide_claim` inside a
transaction; the fake store in tests/fakes.py runs the same function on a dict, so the rule is tested once.

Exactly once, as far as a provider without idempotency keys allows: the record is created with a precondition
before the provider is called, and a delivery that finds a record does nothing unless the earlier attempt failed
transiently or its lease ran out (the instance died mid-send). Only that last case can send twice, and only if the
provider had accepted the message in the moment before the instance died; we prefer that to a lost receipt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bahagia.calendar import business_date
from bahagia.codes import keyed_digest
from bahagia.identity import check_mobile_phone, is_indonesian_mobile
from bahagia.report_counters import Counts, notification_counts
from bahagia.submissions import contact_phone

if TYPE_CHECKING:
    from ports import SmsError


class NotificationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"


class FailureReason(StrEnum):
    INVALID_NUMBER = "invalid_number"
    OPTED_OUT = "opted_out"
    DAILY_CAP_REACHED = "daily_cap_reached"
    REJECTED_BY_PROVIDER = "rejected_by_provider"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    PROVIDER_THROTTLED = "provider_throttled"
    PROVIDER_TIMEOUT = "provider_timeout"
    CLIENT_BUDGET_REACHED = "client_budget_reached"
    DAILY_BUDGET_REACHED = "daily_budget_reached"


BUDGET_REASONS = frozenset({FailureReason.CLIENT_BUDGET_REACHED, FailureReason.DAILY_BUDGET_REACHED})


# --- records -------------------------------------------------------------------------------------------------------


FINAL_STATUSES = frozenset({NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.UNDELIVERED})


def recipient_key(secret: bytes, phone: str) -> str:
    """Opaque id of a number: opt-out and cap documents are keyed by it, never by the number itself."""
    return keyed_digest(secret, "sms-recipient", phone)


def notification_id(event_id: str, recipient: str) -> str:
    return f"{event_id}:{recipient[:32]}"


def daily_counter_id(recipient: str, business_date: str) -> str:
    # The key first, the date last: ids that start with a date would all land on one Firestore tablet.
    return f"{recipient[:32]}_{business_date}"


@dataclass(frozen=True)
class Contact:
    """Who an event's SMS goes to. `phone` stays in memory: records keep only `recipient_key` and `role`."""

    phone: str | None
    role: str
    privacy: str
    opd: str | None


def contact_from_submission(doc: Mapping[str, Any]) -> Contact:
    """The recipient of a `submissions/{code}` document: its applicant or reporter, nobody else."""
    kind = doc.get("kind")
    privacy = str(doc.get("privacy") or ("private" if kind == "application" else "confidential"))
    phone = contact_phone(dict(doc))
    opd = str(doc["opd"]) if doc.get("opd") else None
    return Contact(
        phone=str(phone) if phone else None,
        role="applicant" if kind == "application" else "reporter",
        privacy=privacy,
        opd=opd,
    )


def sendable_number(phone: str) -> str | None:
    """The E.164 form of an Indonesian mobile number, or None: no other number is ever sent to."""
    if not is_indonesian_mobile(phone):
        return None
    e164 = check_mobile_phone(phone)
    return e164 if e164 == phone else None


@dataclass(frozen=True)
class ClaimRequest:
    notification_id: str
    recipient: str
    counter_id: str
    fresh: dict[str, Any]
    """The record to create if none exists (status queued, attempts 1, lease)."""
    now: dt.datetime
    lease_until: dt.datetime
    daily_cap: int
    blocked: FailureReason | None = None
    """Known before any read: an invalid number."""
    capped: bool = True
    """Counts towards the number's daily cap. Only receipts do: a form post is what a script can repeat at will,
    while status changes come from staff, a handful per case, and a citizen must not miss them."""


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"
    """Go ahead and send; the record is queued with our lease."""
    ALREADY_DONE = "already_done"
    """Sent before, or failed for good: send nothing, acknowledge."""
    IN_PROGRESS = "in_progress"
    """Another delivery holds the lease: retry later rather than acknowledge, in case that one fails."""
    BLOCKED = "blocked"
    """Recorded as failed for good (invalid number, opted out, cap reached): acknowledge."""


@dataclass(frozen=True)
class ClaimDecision:
    outcome: ClaimOutcome
    create: dict[str, Any] | None = None
    update: dict[str, Any] | None = None
    increment_counter: bool = False
    attempts: int = 0
    reason: FailureReason | None = None
    counts: Counts = field(default_factory=dict)
    """What the record created or changed does to the nightly report's counters, written in the same commit."""
    record: Mapping[str, Any] | None = None
    """The record as the claim left it (set by the store once written): finish() moves it on from there."""
    version: Any = None
    """The store's version of that record (Firestore: its update time), for a write that fails if it changed."""


def decide_claim(
    request: ClaimRequest, existing: Mapping[str, Any] | None, opted_out: bool, sent_today: int
) -> ClaimDecision:
    """What to write for one delivery, given what the transaction read."""
    if existing is not None:
        status = existing.get("status")
        if status in FINAL_STATUSES or (status == NotificationStatus.FAILED and not existing.get("retryable")):
            return ClaimDecision(ClaimOutcome.ALREADY_DONE, attempts=int(existing.get("attempts", 0)))
        lease = existing.get("lease_until")
        if status == NotificationStatus.QUEUED and isinstance(lease, dt.datetime) and lease > request.now:
            return ClaimDecision(ClaimOutcome.IN_PROGRESS, attempts=int(existing.get("attempts", 0)))
        attempts = int(existing.get("attempts", 0)) + 1
        update = {
            "status": NotificationStatus.QUEUED.value,
            "attempts": attempts,
            "lease_until": request.lease_until,
            "updated_at": request.now,
        }
        counts = notification_counts(existing, {**existing, **update})
        return ClaimDecision(ClaimOutcome.CLAIMED, update=update, attempts=attempts, counts=counts)
    reason = request.blocked
    if reason is None and opted_out:
        reason = FailureReason.OPTED_OUT
    if reason is None and request.capped and sent_today >= request.daily_cap:
        reason = FailureReason.DAILY_CAP_REACHED
    if reason is not None:
        failed = {
            **request.fresh,
            "status": NotificationStatus.FAILED.value,
            "failure_reason": reason.value,
            "retryable": False,
            "attempts": 0,
            "lease_until": None,
        }
        return ClaimDecision(
            ClaimOutcome.BLOCKED, create=failed, reason=reason, counts=notification_counts(None, failed)
        )
    return ClaimDecision(
        ClaimOutcome.CLAIMED,
        create=dict(request.fresh),
        increment_counter=request.capped,
        attempts=1,
        counts=notification_counts(None, request.fresh),
    )


def fresh_record(
    *,
    event_id: str,
    event_type: str,
    tracking_code: str,
    submission_status: str,
    recipient: str,
    role: str,
    template: str,
    segments: int,
    provider: str,
    now: dt.datetime,
    lease_until: dt.datetime,
) -> dict[str, Any]:
    """A `notifications/{event_id}:{recipient}` document as first created; no phone number (it stays in the
    submission)."""
    return {
        "event_id": event_id,
        "event_type": event_type,
        "tracking_code": tracking_code,
        "submission_status": submission_status,
        "recipient_key": recipient,
        "recipient_role": role,
        "channel": "sms",
        "template": template,
        "segments": segments,
        "provider": provider,
        "provider_message_id": None,
        "status": NotificationStatus.QUEUED.value,
        "failure_reason": None,
        "retryable": False,
        "attempts": 1,
        "lease_until": lease_until,
        "created_at": now,
        "updated_at": now,
        "sent_at": None,
        "business_date": business_date(now),
    }


@dataclass(frozen=True)
class RecordUpdate:
    """The outcome of a send (sent, failed) for one notification record, and what it does to the report's counters."""

    notification_id: str
    fields: dict[str, Any]

    def counts(self, before: Mapping[str, Any]) -> Counts:
        """Judged on the record as the writing transaction read it: one record and its segments leave its status."""
        return notification_counts(before, {**before, **self.fields})


def sent_update(notification_id: str, message_id: str, now: dt.datetime) -> RecordUpdate:
    return RecordUpdate(
        notification_id,
        {
            "status": NotificationStatus.SENT.value,
            "provider_message_id": message_id,
            "failure_reason": None,
            "retryable": False,
            "lease_until": None,
            "sent_at": now,
            "updated_at": now,
        },
    )


# --- daily budgets (SMS pumping) -----------------------------------------------------------------------------------

BUDGET_SHARDS = 8
"""The city-wide budget is split over this many counter documents (one document takes about one write a second):
each shard allows its share, so the whole never exceeds the budget."""


@dataclass(frozen=True)
class Budget:
    counter_id: str
    limit: int
    reason: FailureReason
    name: str
    """`client` or `city`, for the log line."""


def receipt_budgets(
    client_key: str | None, event_id: str, business_date: str, per_client: int, per_day: int
) -> list[Budget]:
    """The budgets a receipt spends: its client address's (when the submission knows it) and the city's."""
    shards = max(1, min(BUDGET_SHARDS, per_day // 100))  # small budgets stay exact on one document
    shard = int(keyed_digest(b"shard", event_id)[:8], 16) % shards
    share = per_day // shards  # the shares add up to at most the budget
    budgets = [Budget(f"city_{business_date}_{shard}", share, FailureReason.DAILY_BUDGET_REACHED, "city")]
    if client_key:
        budgets.insert(
            0, Budget(f"client_{client_key[:40]}", per_client, FailureReason.CLIENT_BUDGET_REACHED, "client")
        )
    return budgets


def refused_update(notification_id: str, reason: FailureReason, now: dt.datetime) -> RecordUpdate:
    """A claimed receipt that a daily budget refuses: failed for good, nothing sent."""
    return RecordUpdate(
        notification_id,
        {"status": NotificationStatus.FAILED.value, "failure_reason": reason.value, "retryable": False,
         "lease_until": None, "updated_at": now},
    )  # fmt: skip


def failed_update(notification_id: str, error: SmsError, now: dt.datetime) -> RecordUpdate:
    return RecordUpdate(
        notification_id,
        {
            "status": NotificationStatus.FAILED.value,
            "failure_reason": error.reason.value,
            "retryable": error.retryable,
            "lease_until": None,
            "updated_at": now,
        },
    )
