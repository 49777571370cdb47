"""The notify service: one submission event in, at most one SMS out per (event, recipient), a record of what happened.

The entry point (handlers.py) maps the outcome to an HTTP status for Pub/Sub: RetryLater -> 503 (redelivered with
backoff), PoisonEvent -> 422 (counted as a failed delivery, dead-lettered after 5), anything else -> 200 (acknowledged).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bahagia import calendar, sms
from bahagia import notifications as n
from notify.events import PoisonEvent, SubmissionEvent
from ports import NotificationStore, PermanentSmsError, SmsProvider, SubmissionLookup, TransientSmsError


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
    lease_seconds: float = 60.0


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
    try:
        message_id = notifier.provider.send(number, rendered.text)
    except TransientSmsError as error:
        notifier.store.finish(n.failed_update(notification_id, error, now))
        raise RetryLater(error.reason.value) from None
    except PermanentSmsError as error:
        notifier.store.finish(n.failed_update(notification_id, error, now))
        if error.reason is n.FailureReason.OPTED_OUT:
            notifier.store.opt_out(recipient, source=notifier.provider.name, now=now)
        return Result(Outcome.FAILED, rendered.template, reason=error.reason.value, attempts=decision.attempts)
    notifier.store.finish(n.sent_update(notification_id, message_id, now))
    return Result(Outcome.SENT, rendered.template, attempts=decision.attempts)
