"""The notify service: one submission event in, at most one SMS out per (event, recipient), a record of what happened.

The entry point (handlers.py) maps the outcome to an HTTP status for Pub/Sub: RetryLater -> 503 (redelivered with
backoff), PoisonEvent -> 422 (counted as a failed delivery, dead-lettered after 5), anything else -> 200 (acknowledged).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bahagia import calendar, sms
from bahagia import notifications as n
from logs import get_logger
from notify.events import PoisonEvent, SubmissionEvent
from ports import NotificationStore, PermanentSmsError, SmsProvider, SubmissionLookup, TransientSmsError

log = get_logger("bahagia.notify")

_BUDGET_TTL = dt.timedelta(days=2)


class RetryLater(Exception):
    """Nothing was sent that should not have been; ask Pub/Sub for another delivery. Text: a reason code only."""


class Outcome(StrEnum):
    SENT = "sent"
    DUPLICATE = "duplicate"
    NO_RECIPIENT = "no_recipient"
    NO_TEMPLATE = "no_template"
    FAILED = "failed"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    template: str | None = None
    reason: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Notifier:
    """Everything the service needs, wired by bootstrap.sms_notifier()."""

    store: NotificationStore
    submissions: SubmissionLookup
    provider: SmsProvider
    names: sms.SmsNames
    status_url: str
    secret: bytes
    daily_cap: int
    client_daily_budget: int = 30
    daily_budget: int = 5000
    lease_seconds: float = 60.0


def _over_budget(
    notifier: Notifier, doc: Mapping[str, Any], event: SubmissionEvent, now: dt.datetime
) -> n.FailureReason | None:
    """The budget this receipt would overdraw, or None. Counted first, then compared (ports.NotificationStore)."""
    date = calendar.business_date(now)
    budgets = n.receipt_budgets(
        doc.get("client_key"), event.event_id, date, notifier.client_daily_budget, notifier.daily_budget
    )
    expires = now + _BUDGET_TTL
    counts = notifier.store.spend_budgets({b.counter_id: expires for b in budgets})
    over = [b for b in budgets if counts[b.counter_id] > b.limit]
    if not over:
        return None
    # Refused: the budgets it did not overdraw get their count back, so they count only what was sent.
    notifier.store.refund_budgets([b.counter_id for b in budgets if b not in over])
    budget = over[0]
    if counts[budget.counter_id] == budget.limit + 1:
        # Once per budget and day, with the figure: what an operator's alert matches.
        limit = notifier.client_daily_budget if budget.name == "client" else notifier.daily_budget
        log.warning(
            "daily SMS budget reached", extra={"fields": {"budget": budget.name, "limit": limit, "business_date": date}}
        )
    return budget.reason


def notify_citizen(event: SubmissionEvent, notifier: Notifier, now: dt.datetime) -> Result:
    """Send the SMS an event calls for, once; raise RetryLater for a transient failure, PoisonEvent for a bad event."""
    doc = notifier.submissions.get(event.tracking_code)
    if doc is None:
        # The submission commits before its event is published (outbox), so this is not a race we can wait out.
        raise PoisonEvent("submission not found")
    contact = n.contact_from_submission(doc)
    if contact.privacy == "anonymous" or contact.phone is None:
        return Result(Outcome.NO_RECIPIENT)

    notice = sms.Notice(
        event_type=event.type,
        kind=event.kind,
        status=event.status,
        privacy=contact.privacy,
        tracking_code=event.tracking_code,
        # The event names programme and category; the benefit and the OPD are only in the submission.
        program=event.program or doc.get("program"),
        benefit=event.benefit or doc.get("benefit"),
        category=event.category or doc.get("category"),
        opd=contact.opd,
    )
    rendered = sms.render(notice, notifier.names, notifier.status_url)
    if rendered is None:
        return Result(Outcome.NO_TEMPLATE)

    number = n.sendable_number(contact.phone)
    recipient = n.recipient_key(notifier.secret, number or contact.phone)
    notification_id = n.notification_id(event.event_id, recipient)
    lease_until = now + dt.timedelta(seconds=notifier.lease_seconds)
    decision = notifier.store.claim(
        n.ClaimRequest(
            notification_id=notification_id,
            recipient=recipient,
            counter_id=n.daily_counter_id(recipient, calendar.business_date(now)),
            fresh=n.fresh_record(
                event_id=event.event_id,
                event_type=event.type,
                tracking_code=event.tracking_code,
                submission_status=event.status,
                recipient=recipient,
                role=contact.role,
                template=rendered.template,
                segments=rendered.segments,
                provider=notifier.provider.name,
                now=now,
                lease_until=lease_until,
            ),
            now=now,
            lease_until=lease_until,
            daily_cap=notifier.daily_cap,
            blocked=None if number else n.FailureReason.INVALID_NUMBER,
            capped=event.type == sms.RECEIVED,
        )
    )
    if decision.outcome is n.ClaimOutcome.ALREADY_DONE:
        return Result(Outcome.DUPLICATE, rendered.template, attempts=decision.attempts)
    if decision.outcome is n.ClaimOutcome.IN_PROGRESS:
        raise RetryLater("in_progress")
    if decision.outcome is n.ClaimOutcome.BLOCKED:
        return Result(Outcome.BLOCKED, rendered.template, reason=decision.reason, attempts=0)

    assert number is not None  # a claim is only granted for a sendable number
    if decision.create is not None and event.type == sms.RECEIVED:
        # A receipt claimed for the first time spends the daily budgets (a retry after a transient failure does not).
        refused = _over_budget(notifier, doc, event, now)
        if refused is not None:
            notifier.store.finish(n.refused_update(notification_id, refused, now))
            return Result(Outcome.BLOCKED, rendered.template, reason=refused.value, attempts=0)
    try:
        message_id = notifier.provider.send(number, rendered.text)
    except TransientSmsError as error:
        notifier.store.finish(n.failed_update(notification_id, error, now), decision)
        raise RetryLater(error.reason.value) from None
    except PermanentSmsError as error:
        notifier.store.finish(n.failed_update(notification_id, error, now), decision)
        if error.reason is n.FailureReason.OPTED_OUT:
            notifier.store.opt_out(recipient, source=notifier.provider.name, now=now)
        return Result(Outcome.FAILED, rendered.template, reason=error.reason.value, attempts=decision.attempts)
    notifier.store.finish(n.sent_update(notification_id, message_id, now), decision)
    return Result(Outcome.SENT, rendered.template, attempts=decision.attempts)
