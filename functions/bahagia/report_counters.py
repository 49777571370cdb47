"""Counters for the nightly report, maintained at write time in the same commit as the change they count.

The emulator (and, more mildly, Firestore) makes a report of many aggregation queries slow, and each query is billed
at least one read, so the report reads per-day counter documents instead: `report_counters/{date}_{shard}`, one
integer field per figure. The services compute what a change adds and hand it to their store with the change; the
store adds it as `Increment`s in the batch or transaction that commits the change:

- intake, with the new submission: `submission_counts(document)`, in `ports.NewSubmission.counts`;
- the staff service, with a transition: `transition_counts(doc_before, audit_entry)` (the audit entry carries the
  fields of `bahagia.report_facts.transition_facts`), in `TransitionOutcome.counts`, judged on the submission as the
  transaction read it;
- the notifier, whenever it creates an SMS record or changes its status: `notification_counts(before, after)`, in
  `ClaimDecision.counts` and `RecordUpdate.counts(before)` (bahagia.notifications), judged on the record as read.

Pure: each returns `{counter document id: {field: delta}}`; `adapters.reports_firestore.add_counts` turns that into
`set(..., merge=True)` writes with `firestore.Increment`, and the fakes of tests/fakes.py sum it in `report_counts`.
A date's counters are split over SHARDS documents (chosen by the tracking code) so that a burst of submissions does
not queue on one document. Field names use only letters, digits and `_`, so they never need quoting in a Firestore
field path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from bahagia import calendar, channels

COLLECTION = "report_counters"
SHARDS = 8

Counts = dict[str, dict[str, int]]


def field(*parts: str) -> str:
    """`field("new", "kelurahan", "15.71.01.1001")` -> "new__kelurahan__15_71_01_1001"."""
    return "__".join(part.replace(".", "_").replace("-", "_") for part in parts)


def document_id(date: str, shard: int) -> str:
    return f"{date}_{shard}"


def shard_of(tracking_code: str) -> int:
    return int(hashlib.sha256(tracking_code.encode()).hexdigest()[:8], 16) % SHARDS


def _add(counts: Counts, date: str, shard: int, name: str, delta: int = 1) -> None:
    fields = counts.setdefault(document_id(date, shard), {})
    fields[name] = fields.get(name, 0) + delta


def _sla_status(kind: str, status: str) -> bool:
    from bahagia import lifecycle

    try:
        return lifecycle.lifecycle(kind).status(status).counts_as_overdue
    except KeyError:
        return False


def _deadline(counts: Counts, shard: int, kind: str, status: str, due: object) -> None:
    """A step with a service level got its deadline: it is 'due' on that WIB date, whenever it is closed."""
    if isinstance(due, dt.datetime) and _sla_status(kind, status):
        _add(counts, calendar.business_date(due), shard, field("sla", "due"))


def submission_counts(doc: Mapping[str, Any]) -> Counts:
    """What a new submission adds to the counters of its business date (and of its first deadline)."""
    counts: Counts = {}
    date, shard = str(doc["business_date"]), shard_of(str(doc["tracking_code"]))
    _deadline(counts, shard, str(doc["kind"]), str(doc.get("status") or "diterima"), doc.get("due_at"))
    _add(counts, date, shard, field("new"))
    _add(counts, date, shard, field("new", "kind", str(doc["kind"])))
    _add(counts, date, shard, field("new", "channel", channels.channel_of(doc)))
    if doc.get("program"):
        _add(counts, date, shard, field("new", "program", doc["program"]))
        if doc.get("benefit"):
            _add(counts, date, shard, field("new", "benefit", doc["program"], doc["benefit"]))
    if doc.get("category"):
        _add(counts, date, shard, field("new", "category", doc["category"]))
    if doc.get("kecamatan"):
        _add(counts, date, shard, field("new", "kecamatan", doc["kecamatan"]))
    if doc.get("kelurahan"):
        _add(counts, date, shard, field("new", "kelurahan", doc["kelurahan"]))
    _add(counts, date, shard, field("new", "status", str(doc.get("status") or "diterima")))
    return counts


def transition_counts(doc: Mapping[str, Any], audit: Mapping[str, Any]) -> Counts:
    """What a transition adds: the move on its own business date, the status shift of the submission's date, the
    SLA step it closed, and its working days in the duration histograms."""
    counts: Counts = {}
    shard = shard_of(str(doc["tracking_code"]))
    source, target = str(audit["from"]), str(audit["to"])
    submitted = str(doc["business_date"])
    _add(counts, submitted, shard, field("new", "status", source), -1)
    _add(counts, submitted, shard, field("new", "status", target), 1)
    moment = audit["at"]
    date = str(audit.get("business_date") or calendar.business_date(moment))
    _add(counts, date, shard, field("moves"))
    _add(counts, date, shard, field("moves", "to", target))
    on_time = audit.get("on_time")
    if on_time is True:
        _add(counts, date, shard, field("sla", "met"))
    elif on_time is False:
        _add(counts, date, shard, field("sla", "late"))
    from bahagia import lifecycle, sla

    _deadline(counts, shard, str(doc["kind"]), target, sla.due_at(str(doc["kind"]), target, moment))
    days = audit.get("working_days")
    if isinstance(days, int):
        steps = (("verification", lifecycle.first_step_statuses()), ("completion", lifecycle.closed_statuses()))
        for name, statuses in steps:
            if target in statuses:
                _add(counts, date, shard, field("sla", name))
                _add(counts, date, shard, field("hist", name, str(days)))
    return counts


def notification_counts(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> Counts:
    """What creating an SMS record (`before` None) or changing its status does to the counters of the record's
    business date: one record and its segments move from the old status to the new one."""
    counts: Counts = {}
    old = None if before is None else str(before.get("status"))
    new = str(after.get("status"))
    if old == new:
        return counts
    date = str(after["business_date"])
    shard = shard_of(str(after.get("tracking_code") or after.get("event_id") or ""))
    if before is not None:
        _add(counts, date, shard, field("sms", str(old)), -1)
        _add(counts, date, shard, field("sms", "segments", str(old)), -int(before.get("segments") or 0))
        if old == "failed" and before.get("failure_reason") in REFUSED_BY_BUDGET:
            _add(counts, date, shard, field("sms", "refused", str(before["failure_reason"])), -1)
    _add(counts, date, shard, field("sms", new))
    _add(counts, date, shard, field("sms", "segments", new), int(after.get("segments") or 0))
    if new == "failed" and after.get("failure_reason") in REFUSED_BY_BUDGET:
        # SMS pumping held back by a daily budget: the report shows how many (docs/SMS.md).
        _add(counts, date, shard, field("sms", "refused", str(after["failure_reason"])))
    return counts


REFUSED_BY_BUDGET = ("client_budget_reached", "daily_budget_reached")
"""bahagia.notifications.BUDGET_REASONS, by value (that module imports this one)."""


def merge(into: Counts, more: Counts) -> Counts:
    """Sum two sets of counts (the seed adds up a whole history before writing it)."""
    for doc_id, fields in more.items():
        target = into.setdefault(doc_id, {})
        for name, delta in fields.items():
            target[name] = target.get(name, 0) + delta
    return into
