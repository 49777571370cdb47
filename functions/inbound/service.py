"""The sms_webhook use cases: answer one inbound text, record one delivery receipt.

The entry point (handlers.py) verifies the caller first (edge.sms_signatures): nothing reaches this module unsigned.
It maps RetryLater to 503, which both SNS (HTTP delivery policy) and the gateway treat as "deliver again later".

Exactly once, as for receipts: the reply's `notifications` record is claimed before the provider is called
(bahagia.notifications.decide_claim), keyed by the inbound message (or by number and WIB date for help), so a
redelivered text finds the record and sends nothing again. The audit document `sms_inbound/{message key}` is created
once; a redelivery leaves the first one as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bahagia import notifications as n
from bahagia import sms_inbound as si
from bahagia.calendar import business_date
from ports import InboundStore, NotificationStore, PermanentSmsError, SmsProvider, SubmissionLookup, TransientSmsError


class RetryLater(Exception):
    """Nothing was sent that should not have been; let the provider deliver again. Text: a reason code only."""


@dataclass(frozen=True)
class Responder:
    """Everything the service needs, wired by bootstrap."""

    store: InboundStore
    notifications: NotificationStore
    submissions: SubmissionLookup
    provider: SmsProvider
    status_url: str
    secret: bytes
    daily_cap: int
    lease_seconds: float = 60.0


class Outcome(StrEnum):
    REPLIED = "replied"
    NOT_REPLIED = "not_replied"
    """Help already sent today, daily cap, opted out: recorded, nothing sent."""
    REPLY_FAILED = "reply_failed"
    IGNORED = "ignored"
    """Not from an Indonesian mobile number: audited, never answered."""


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    command: si.Command | None = None
    reply: si.Reply | None = None
    duplicate: bool = False


def answer_text(responder: Responder, inbound: si.InboundSms, now: dt.datetime) -> Result:
    """Audit one inbound text, act on its keyword and answer it once. Raises RetryLater on a transient failure."""
    key = si.message_key(responder.secret, inbound.provider, inbound.message_id)
    number = _mobile_number(inbound.sender)
    recipient = n.recipient_key(responder.secret, number or inbound.sender)
    parsed = si.parse_text(inbound.text)
    submission = (
        responder.submissions.get(parsed.tracking_code)
        if parsed.command is si.Command.STATUS and parsed.tracking_code
        else None
    )
    plan = si.plan_reply(inbound, parsed, message=key, submission=submission, status_url=responder.status_url, now=now)
    if number is None:
        # A short code, an alphanumeric sender or a foreign number: nobody we can or may answer.
        record = si.audit_record(inbound, plan, sender_key=recipient, known_sender=False, now=now)
        created = responder.store.create_audit(key, {**record, "outcome": Outcome.IGNORED.value})
        return Result(Outcome.IGNORED, plan.command, duplicate=not created)

    known = plan.known_sender or responder.store.has_history(recipient)
    created = responder.store.create_audit(
        key, si.audit_record(inbound, plan, sender_key=recipient, known_sender=known, now=now)
    )
    if plan.opt_in:
        # Before the claim: the confirmation must not be blocked by the opt-out it lifts.
        responder.store.opt_in(recipient)
    decision = _claim(responder, plan, recipient, now)
    if decision.outcome is n.ClaimOutcome.IN_PROGRESS:
        raise RetryLater("in_progress")
    if plan.opt_out:
        # After the claim: the confirmation was decided while the number could still be texted; nothing else is.
        responder.notifications.opt_out(recipient, source="sms", now=now)
    if decision.outcome is n.ClaimOutcome.CLAIMED:
        outcome = _send_claimed(responder, plan, number, recipient, now)
    else:
        outcome = Outcome.NOT_REPLIED
    if created or outcome is Outcome.REPLIED:
        responder.store.finish_audit(
            key,
            {"outcome": outcome.value, "reply_notification_id": n.notification_id(plan.event_id, recipient)},
        )
    return Result(outcome, plan.command, plan.reply, duplicate=not created)


def _mobile_number(raw: str) -> str | None:
    """The sender as E.164 when it is an Indonesian mobile number (in any spelling a gateway may use)."""
    from pydantic_core import PydanticCustomError

    from bahagia.identity import check_mobile_phone

    try:
        return n.sendable_number(check_mobile_phone(raw))
    except PydanticCustomError:
        return None


def _claim(responder: Responder, plan: si.ReplyPlan, recipient: str, now: dt.datetime) -> n.ClaimDecision:
    lease_until = now + dt.timedelta(seconds=responder.lease_seconds)
    notification_id = n.notification_id(plan.event_id, recipient)
    fresh = n.fresh_record(
        event_id=plan.event_id,
        event_type="sms.help" if plan.command is si.Command.HELP else "sms.reply",
        tracking_code="",
        submission_status="",
        recipient=recipient,
        role=si.SENDER_ROLE,
        template=plan.reply.value,
        segments=1,
        provider=responder.provider.name,
        now=now,
        lease_until=lease_until,
    )
    fresh.update(tracking_code=plan.tracking_code, submission_status=plan.submission_status)
    return responder.notifications.claim(
        n.ClaimRequest(
            notification_id=notification_id,
            recipient=recipient,
            counter_id=n.daily_counter_id(recipient, business_date(now)),
            fresh=fresh,
            now=now,
            lease_until=lease_until,
            # Replies count towards the same daily cap as receipts: a loop with another auto-responder, or a
            # spoofed sender, must not turn our number into an SMS pump.
            daily_cap=responder.daily_cap,
            capped=True,
        )
    )


def _send_claimed(responder: Responder, plan: si.ReplyPlan, number: str, recipient: str, now: dt.datetime) -> Outcome:
    notification_id = n.notification_id(plan.event_id, recipient)
    try:
        message_id = responder.provider.send(number, plan.text)
    except TransientSmsError as error:
        responder.notifications.finish(n.failed_update(notification_id, error, now))
        raise RetryLater(error.reason.value) from None
    except PermanentSmsError as error:
        responder.notifications.finish(n.failed_update(notification_id, error, now))
        return Outcome.REPLY_FAILED
    responder.notifications.finish(n.sent_update(notification_id, message_id, now))
    return Outcome.REPLIED


def record_receipt(responder: Responder, receipt: si.DeliveryReceipt, now: dt.datetime) -> str:
    """Move the record of a sent SMS to delivered / undelivered (once); `unknown` for an id we never sent."""
    if receipt.outcome is si.DeliveryOutcome.PENDING:
        return "pending"
    return responder.store.apply_receipt(
        receipt.provider,
        receipt.message_id,
        lambda notification_id, record: si.receipt_update(notification_id, record, receipt, now),
    )
