"""Two-way SMS (Call Center Bahagia by SMS): what a citizen's text asks for, what we answer, what the audit keeps, and
what a delivery receipt does to a `notifications` record.

Pure: the clock, the secret-derived keys and the submission a code names are handed in.

Keywords, in Bahasa Indonesia and English, forgiving case, spaces and punctuation (people type on small keyboards):

- `STATUS <kode>` answers the status label of that case, and only to the number that filed it. An unknown code, a
  code with a wrong check character and a code filed from another number get one and the same answer, so that the
  reply is no oracle for guessing codes or for learning who filed what.
- `STOP` / `BERHENTI` adds the number to our opt-out list (no more SMS of any kind, receipts included).
- `MULAI` / `START` takes it off again.
- anything else gets a short help text, at most once per number per WIB day (a second unknown text that day is
  audited and left unanswered, so two auto-responders cannot ping-pong through our SMS budget).

Every reply is one GSM-7 segment (checked by tests/unit/test_sms_keywords.py with the longest status label and URL)
and goes out through the notifier's claim-then-send bookkeeping (bahagia.notifications), under the same opt-out list
and daily cap as receipts.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bahagia import sms
from bahagia.calendar import business_date
from bahagia.codes import format_tracking_code, keyed_digest, normalize_tracking_code
from bahagia.notifications import NotificationStatus, RecordUpdate

AUDIT_COLLECTION = "sms_inbound"
BODY_MAX_CHARS = 480
"""What the audit keeps of a known sender's text: three segments' worth, enough for any real reply."""

HELP_EVENT_PREFIX = "sms-help"
REPLY_EVENT_PREFIX = "sms-reply"
SENDER_ROLE = "sender"


class Command(StrEnum):
    STATUS = "status"
    STOP = "stop"
    START = "start"
    HELP = "help"


_STOP_WORDS = frozenset({"STOP", "BERHENTI"})
_START_WORDS = frozenset({"MULAI", "START"})
_STATUS_WORD = "STATUS"


@dataclass(frozen=True)
class ParsedText:
    command: Command
    tracking_code: str | None = None
    """For STATUS: the canonical code when what followed the keyword is one of ours (check character included)."""


def parse_text(text: str) -> ParsedText:
    """The command a citizen's text carries. Never raises: anything unrecognised is HELP."""
    # NFKC folds full-width letters and compatibility forms that some phone keyboards produce into plain ASCII.
    upper = unicodedata.normalize("NFKC", text).upper()
    words = re.findall(r"[A-Z0-9]+", upper)
    compact = "".join(words)
    first = words[0] if words else ""
    if compact in _STOP_WORDS or first in _STOP_WORDS:
        # Lenient on purpose: "Stop kirim sms" and "s t o p" mean stop; sending one SMS too few beats one too many.
        return ParsedText(Command.STOP)
    if compact in _START_WORDS or first in _START_WORDS:
        return ParsedText(Command.START)
    if compact.startswith(_STATUS_WORD):
        return ParsedText(Command.STATUS, normalize_tracking_code(compact[len(_STATUS_WORD) :]))
    return ParsedText(Command.HELP)


# --- replies -------------------------------------------------------------------------------------------------------


class Reply(StrEnum):
    STATUS = "reply.status"
    NOT_FOUND = "reply.not_found"
    STOPPED = "reply.stopped"
    STARTED = "reply.started"
    HELP = "reply.help"


_P = sms.SENDER_PREFIX
REPLY_VARIANTS: dict[Reply, tuple[str, ...]] = {
    Reply.STATUS: (
        _P + " Status {code}: {label}. Info: {url}",
        _P + " Status {code}: {label}.",
    ),
    Reply.NOT_FOUND: (
        _P + " Kode tidak ditemukan untuk nomor ini. Kirim STATUS diikuti kode, contoh STATUS ABCD-EFGH2.",
    ),
    Reply.STOPPED: (_P + " Anda tidak akan menerima SMS lagi dari layanan ini. Kirim MULAI untuk mengaktifkan lagi.",),
    Reply.STARTED: (_P + " SMS pemberitahuan aktif kembali. Kirim BERHENTI untuk berhenti.",),
    Reply.HELP: (
        _P + " Kirim STATUS <kode> untuk cek status laporan, BERHENTI untuk berhenti SMS, MULAI untuk aktif lagi. "
        "Info: {url}",
        _P + " Kirim STATUS <kode> untuk cek status laporan, BERHENTI untuk berhenti SMS, MULAI untuk aktif lagi.",
    ),
}


def render_reply(reply: Reply, status_url: str, code: str | None = None, label: str | None = None) -> str:
    """The first variant that fits one GSM-7 segment; the last variant of each fits with any lifecycle label."""
    for pattern in REPLY_VARIANTS[reply]:
        text = pattern.format(code=format_tracking_code(code) if code else "", label=label or "", url=status_url)
        if sms.fits_one_segment(text):
            return text
    raise sms.TemplateError(f"reply {reply} does not fit one GSM-7 segment")


# --- what to do with one inbound text --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundSms:
    """One text as a provider delivered it. `sender` is E.164 when the provider sent a sane number."""

    provider: str
    message_id: str
    sender: str
    text: str
    received_at: dt.datetime


@dataclass(frozen=True)
class ReplyPlan:
    """What the service does for one inbound text (after its audit record is claimed)."""

    command: Command
    reply: Reply
    text: str
    event_id: str
    """Names the notifications record of the reply: per message for answers, per number and day for help."""
    tracking_code: str | None = None
    submission_status: str | None = None
    opt_out: bool = False
    opt_in: bool = False
    known_sender: bool = False


def message_key(secret: bytes, provider: str, message_id: str) -> str:
    """Opaque id of an inbound message: the audit document's id, so a redelivered message is recognised."""
    return keyed_digest(secret, "sms-inbound", provider, message_id)


def plan_reply(
    inbound: InboundSms,
    parsed: ParsedText,
    *,
    message: str,
    submission: Mapping[str, Any] | None,
    status_url: str,
    now: dt.datetime,
) -> ReplyPlan:
    """Decide the answer. `submission` is the document STATUS named (None when there is none or no code)."""
    from bahagia.submissions import contact_phone, status_label

    per_message = f"{REPLY_EVENT_PREFIX}-{message[:32]}"
    if parsed.command is Command.STOP:
        return ReplyPlan(
            Command.STOP, Reply.STOPPED, render_reply(Reply.STOPPED, status_url), per_message, opt_out=True
        )
    if parsed.command is Command.START:
        return ReplyPlan(
            Command.START, Reply.STARTED, render_reply(Reply.STARTED, status_url), per_message, opt_in=True
        )
    if parsed.command is Command.STATUS:
        owner = contact_phone(dict(submission)) if submission is not None else None
        if submission is not None and parsed.tracking_code and owner is not None and owner == inbound.sender:
            status = str(submission.get("status") or "")
            label = status_label(str(submission.get("kind") or "complaint"), status)
            return ReplyPlan(
                Command.STATUS,
                Reply.STATUS,
                render_reply(Reply.STATUS, status_url, parsed.tracking_code, label),
                per_message,
                tracking_code=parsed.tracking_code,
                submission_status=status,
                known_sender=True,
            )
        return ReplyPlan(Command.STATUS, Reply.NOT_FOUND, render_reply(Reply.NOT_FOUND, status_url), per_message)
    # One help text per number and WIB day: the record id carries the date, so the second one finds it and stops.
    return ReplyPlan(
        Command.HELP,
        Reply.HELP,
        render_reply(Reply.HELP, status_url),
        f"{HELP_EVENT_PREFIX}-{business_date(now)}",
    )


def audit_record(
    inbound: InboundSms,
    plan: ReplyPlan,
    *,
    sender_key: str,
    known_sender: bool,
    now: dt.datetime,
) -> dict[str, Any]:
    """`sms_inbound/{message key}`: who (keyed), when, what was asked and done. The text itself only for a known
    sender (a number we have texted before, or the filer of the case it asks about): a stranger's text may be
    anything, about anyone, and we have no relationship that would justify keeping it."""
    return {
        "provider": inbound.provider,
        "sender_key": sender_key,
        "known_sender": known_sender,
        "command": plan.command.value,
        "reply": plan.reply.value,
        "tracking_code": plan.tracking_code,
        "body": inbound.text[:BODY_MAX_CHARS] if known_sender else None,
        "body_length": len(inbound.text),
        "received_at": inbound.received_at,
        "created_at": now,
        "business_date": business_date(now),
        "outcome": None,
    }


# --- delivery receipts ---------------------------------------------------------------------------------------------


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    PENDING = "pending"
    """Not final yet (queued at the carrier): nothing to record."""


@dataclass(frozen=True)
class DeliveryReceipt:
    provider: str
    message_id: str
    """The id the provider answered when we sent: `notifications.provider_message_id`."""
    outcome: DeliveryOutcome
    reason: str | None
    """A short code (`blocked`, `ttl_expired`, ...), never the number or text."""


# AWS End User Messaging SMS event types (event destinations, delivered through an SNS topic): SUCCESSFUL means
# accepted by the handset's carrier, DELIVERED handset-confirmed; AWS uses them interchangeably per country.
_AWS_DELIVERED = frozenset({"TEXT_DELIVERED", "TEXT_SUCCESSFUL"})
_AWS_PENDING = frozenset({"TEXT_QUEUED", "TEXT_PENDING"})


class ReceiptError(ValueError):
    """A receipt body that is not one of the documented shapes; the message is a reason code only."""


def receipt_from_aws_event(event: Mapping[str, Any]) -> DeliveryReceipt:
    """An AWS End User Messaging SMS event (`eventType`, `messageId`, `isFinal`, ...)."""
    event_type, message_id = event.get("eventType"), event.get("messageId")
    if not isinstance(event_type, str) or not event_type.startswith("TEXT_") or not isinstance(message_id, str):
        raise ReceiptError("not_an_sms_event")
    if event_type in _AWS_DELIVERED:
        outcome = DeliveryOutcome.DELIVERED
    elif event_type in _AWS_PENDING or event.get("isFinal") is False:
        outcome = DeliveryOutcome.PENDING
    else:
        outcome = DeliveryOutcome.UNDELIVERED
    reason = None if outcome is DeliveryOutcome.DELIVERED else event_type.removeprefix("TEXT_").lower()
    return DeliveryReceipt("sns", message_id, outcome, reason)


_GATEWAY_OUTCOMES = {
    "delivered": DeliveryOutcome.DELIVERED,
    "failed": DeliveryOutcome.UNDELIVERED,
    "undelivered": DeliveryOutcome.UNDELIVERED,
    "pending": DeliveryOutcome.PENDING,
}


def receipt_from_gateway(body: Mapping[str, Any]) -> DeliveryReceipt:
    """The HTTP gateway's receipt: `{"message_id", "status": "delivered" | "failed" | "pending", "reason"}`."""
    message_id, status = body.get("message_id"), body.get("status")
    if not isinstance(message_id, str) or not message_id or status not in _GATEWAY_OUTCOMES:
        raise ReceiptError("not_a_receipt")
    reason = body.get("reason")
    outcome = _GATEWAY_OUTCOMES[str(status)]
    # Letters only: a gateway's free text may quote the number, and no digit of it may reach our records.
    clean_reason = re.sub(r"[^a-z]+", "_", reason.lower()).strip("_")[:40] or None if isinstance(reason, str) else None
    return DeliveryReceipt("http", message_id, outcome, None if outcome is DeliveryOutcome.DELIVERED else clean_reason)


def receipt_update(
    notification_id: str, record: Mapping[str, Any], receipt: DeliveryReceipt, now: dt.datetime
) -> RecordUpdate | None:
    """What a receipt changes on a `notifications` record (with its report counts), or None. Only a `sent` record
    moves, once: a receipt repeated, arriving late after another final one, or for a record that never left, changes
    nothing.

    A failed delivery is stored as `undelivered`, not `failed`: `failed` already means that the provider never took
    the message (with `retryable` and a `failure_reason` of ours), and the report counts the two apart."""
    if receipt.outcome is DeliveryOutcome.PENDING or record.get("status") != NotificationStatus.SENT.value:
        return None
    status = (
        NotificationStatus.DELIVERED if receipt.outcome is DeliveryOutcome.DELIVERED else NotificationStatus.UNDELIVERED
    )
    fields = {"status": status.value, "delivery_reason": receipt.reason, "delivery_reported_at": now, "updated_at": now}
    return RecordUpdate(notification_id, fields)
