"""What each role sees of a submission, its audit trail and its SMS records. Pure: dicts in, dicts out.

- `full`: the whole record except what nobody needs to read (PIN hash and salt, the duplicate marker id).
- `redacted`: ids, codes, status, dates, timeline and due date, without anything personal or descriptive: no
  applicant, reporter, complaint text, location detail, programme details or identity checks.

integritas sees every record in full. verifikator and opd see ordinary records in full and pungli/confidential ones
redacted (content and reporter are integritas's alone). pimpinan is read-only and sees every record redacted: the
aggregates are its business, not the citizens' data. admin manages staff and reads no submissions. List items are
the redacted summary for everyone, so confidential content only ever leaves through a single, audited read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from bahagia import calendar, channels, lifecycle, sla
from bahagia.lifecycle import Actor

CASE_ROLES = ("verifikator", "opd", "integritas", "pimpinan")
"""Roles that read submissions at all (admin does not)."""

SUMMARY_FIELDS = (
    "tracking_code",
    "kind",
    "channel",
    "program",
    "benefit",
    "category",
    "privacy",
    "status",
    "submitted_at",
    "status_changed_at",
    "business_date",
    "kecamatan",
    "kelurahan",
    "opd",
    "suggested_opd",
    "due_at",
    # Possible duplicates (same NIK and programme, another phone: bahagia.submissions): the codes only, each way, so
    # the verifikator sees both filings side by side.
    "possible_duplicate_of",
    "possible_duplicates",
)
HIDDEN_FROM_EVERYONE = ("pin_hash", "pin_salt", "dedup_key", "client_key")
NOTIFICATION_FIELDS = (
    "event_id",
    "event_type",
    "submission_status",
    "recipient_role",
    "channel",
    "template",
    "segments",
    "status",
    "failure_reason",
    "attempts",
    "created_at",
    "sent_at",
)


def jsonable(value: Any) -> Any:
    """Firestore values as JSON: timestamps in UTC ISO 8601 with Z."""
    if isinstance(value, dt.datetime):
        return calendar.iso_utc(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def sees_content(actor: Actor, doc: Mapping[str, Any]) -> bool:
    if actor.role == "integritas":
        return True
    if actor.role in ("verifikator", "opd"):
        return not lifecycle.is_restricted(doc)
    return False


def summary(doc: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    item = {name: doc.get(name) for name in SUMMARY_FIELDS}
    item["channel"] = channels.channel_of(doc)
    item["overdue"] = sla.is_overdue(doc, now)
    return jsonable(item)  # type: ignore[no-any-return]


def allowed_transitions(actor: Actor, doc: Mapping[str, Any]) -> list[str]:
    """The statuses this actor may move the case to now (for the staff tool's buttons)."""
    life = lifecycle.lifecycle(doc["kind"])
    return [
        rule.target
        for (source, _), rule in life.rules.items()
        if source == doc.get("status") and actor.role in lifecycle.allowed_roles(rule, doc)
    ]


def record(
    actor: Actor, doc: Mapping[str, Any], notifications: Sequence[Mapping[str, Any]], now: dt.datetime
) -> dict[str, Any]:
    """GET /v1/staff/submissions/{code}: the record as this actor may see it."""
    full = sees_content(actor, doc)
    if full:
        view = {k: v for k, v in doc.items() if k not in HIDDEN_FROM_EVERYONE}
    else:
        view = {name: doc.get(name) for name in SUMMARY_FIELDS}
    view["channel"] = channels.channel_of(doc)  # how it came in is no secret, even of a confidential report
    view["timeline"] = [
        {"status": step.get("status"), "at": step.get("at"), "note": step.get("note")}
        for step in doc.get("timeline", [])
    ]
    view["overdue"] = sla.is_overdue(doc, now)
    view["next_step"] = sla.expected_next_step(doc, now)
    view["restricted"] = lifecycle.is_restricted(doc)
    view["view"] = "full" if full else "redacted"
    view["allowed_transitions"] = allowed_transitions(actor, doc)
    view["notifications"] = [{name: n.get(name) for name in NOTIFICATION_FIELDS} for n in notifications]
    return jsonable(view)  # type: ignore[no-any-return]


def audit_entry(actor: Actor, doc: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """One audit entry; on pungli/confidential cases the free-text note is integritas's alone."""
    view = dict(entry)
    if lifecycle.is_restricted(doc) and actor.role != "integritas" and view.get("note"):
        view["note"] = None
        view["note_redacted"] = True
    return jsonable(view)  # type: ignore[no-any-return]
