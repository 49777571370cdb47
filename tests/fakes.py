"""Fakes for the ports: real behaviour on dicts and lists, recording what happened (FakeSms.sent).

Each store that the nightly report's counters ride on keeps them in `report_counts` (`{counter document id: {field:
value}}`, summed), from the counts the services hand over, so unit tests can check them without Firestore.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bahagia import report_counters, submissions
from bahagia.notifications import ClaimDecision, ClaimRequest, RecordUpdate, decide_claim
from ports import CommitConflict, NewSubmission, OpenApplication, PublishFailed, SmsError

# --- SMS (notify) --------------------------------------------------------------------------------------------------


@dataclass
class FakeSms:
    """SmsProvider that records each SMS; `failures` are raised, in order, before anything is sent."""

    name: str = "fake"
    sent: list[tuple[str, str]] = field(default_factory=list)
    failures: list[SmsError] = field(default_factory=list)
    calls: int = 0
    warmed: int = 0

    def warm(self) -> None:
        self.warmed += 1

    def send(self, phone: str, text: str) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((phone, text))
        return f"fake-{len(self.sent)}"


@dataclass
class FakeNotificationStore:
    """NotificationStore on dicts, running the same decide_claim as the Firestore adapter."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    opt_outs: dict[str, dict[str, Any]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    budgets: dict[str, int] = field(default_factory=dict)
    report_counts: report_counters.Counts = field(default_factory=dict)

    def claim(self, request: ClaimRequest) -> ClaimDecision:
        existing = self.records.get(request.notification_id)
        decision = decide_claim(
            request,
            dict(existing) if existing is not None else None,
            opted_out=request.recipient in self.opt_outs,
            sent_today=self.counters.get(request.counter_id, 0),
        )
        if decision.create is not None:
            assert request.notification_id not in self.records, "create() precondition"
            self.records[request.notification_id] = dict(decision.create)
        if decision.update is not None:
            self.records[request.notification_id].update(decision.update)
        if decision.increment_counter:
            self.counters[request.counter_id] = self.counters.get(request.counter_id, 0) + 1
        report_counters.merge(self.report_counts, decision.counts)
        return decision

    def finish(self, update: RecordUpdate, claimed: ClaimDecision | None = None) -> None:
        record = self.records[update.notification_id]  # update(): a record that vanished fails, as in Firestore
        report_counters.merge(self.report_counts, update.counts(dict(record)))
        record.update(update.fields)

    def opt_out(self, recipient: str, source: str, now: dt.datetime) -> None:
        self.opt_outs[recipient] = {"source": source, "created_at": now}

    def spend_budgets(self, counters: Mapping[str, dt.datetime]) -> dict[str, int]:
        for counter in counters:
            self.budgets[counter] = self.budgets.get(counter, 0) + 1
        return {counter: self.budgets[counter] for counter in counters}

    def refund_budgets(self, counter_ids: list[str]) -> None:
        for counter in counter_ids:
            self.budgets[counter] -= 1


@dataclass
class FakeSubmissions:
    """SubmissionLookup on a dict of tracking code -> submission document."""

    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, tracking_code: str) -> Mapping[str, Any] | None:
        return self.docs.get(tracking_code)


# --- intake --------------------------------------------------------------------------------------------------------


@dataclass
class FakeSubmissionStore:
    """ports.SubmissionStore on dicts, with the same all-or-nothing create() semantics as the batch."""

    submissions: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, dict[str, Any]] = field(default_factory=dict)
    open_applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    marker_versions: dict[str, int] = field(default_factory=dict)
    """What Firestore's update time is to a marker: changes with every write."""
    outbox: dict[str, dict[str, Any]] = field(default_factory=dict)
    rate_limits: dict[str, int] = field(default_factory=dict)
    report_counts: report_counters.Counts = field(default_factory=dict)
    commits: int = 0

    def get_idempotency(self, key_id: str) -> dict[str, Any] | None:
        return self.idempotency.get(key_id)

    def get_submission(self, code: str) -> dict[str, Any] | None:
        return self.submissions.get(code)

    def get_open_application(self, dedup_key: str) -> OpenApplication | None:
        marker = self.open_applications.get(dedup_key)
        return None if marker is None else OpenApplication(dict(marker), self.marker_versions.get(dedup_key, 0))

    def commit_new_submission(self, new: NewSubmission) -> None:
        code, idempotency, dedup_key = new.document["tracking_code"], new.idempotency, new.dedup_key
        if idempotency is not None and idempotency[0] in self.idempotency:
            raise CommitConflict("idempotency")
        if code in self.submissions:
            raise CommitConflict("submission")
        held_by = new.duplicate_of
        if dedup_key is not None and held_by is None and dedup_key in self.open_applications:
            raise CommitConflict("duplicate")
        if dedup_key is not None and held_by is not None:
            current = self.open_applications.get(dedup_key)
            if current is None or self.marker_versions.get(dedup_key, 0) != held_by.version:
                raise CommitConflict("duplicate")  # changed since it was read, as the update time precondition
            holder = self.submissions[held_by.marker["tracking_code"]]
            holder["possible_duplicates"] = [*holder.get("possible_duplicates", []), code]
        self.commits += 1
        self.submissions[code] = new.document
        self.outbox[new.outbox_event["event_id"]] = {"event": new.outbox_event, "created_at": new.now}
        report_counters.merge(self.report_counts, new.counts)
        if idempotency is not None:
            self.idempotency[idempotency[0]] = idempotency[1]
        if dedup_key is not None:
            self.open_applications[dedup_key] = dict(new.marker or {"tracking_code": code})
            self.marker_versions[dedup_key] = self.marker_versions.get(dedup_key, 0) + 1

    def delete_outbox(self, event_id: str) -> None:
        self.outbox.pop(event_id, None)

    def delete_outbox_many(self, event_ids: list[str]) -> None:
        for event_id in event_ids:
            self.outbox.pop(event_id, None)

    def pending_outbox(self, older_than: dt.datetime, limit: int) -> list[dict[str, Any]]:
        entries = sorted(self.outbox.values(), key=lambda e: e["created_at"])
        return [e["event"] for e in entries if e["created_at"] < older_than][:limit]

    def count_attempts(self, buckets: Mapping[str, dt.datetime]) -> dict[str, int]:
        for bucket in buckets:
            self.rate_limits[bucket] = self.rate_limits.get(bucket, 0) + 1
        return {bucket: self.rate_limits[bucket] for bucket in buckets}

    def refund_attempts(self, bucket_ids: list[str]) -> None:
        for bucket in bucket_ids:
            self.rate_limits[bucket] -= 1


@dataclass
class FakePublisher:
    """EventPublisher that records events; `fail_next` makes that many publishes fail as Pub/Sub outages would."""

    published: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0

    def publish(self, event: dict[str, Any]) -> str:
        if self.fail_next:
            self.fail_next -= 1
            raise PublishFailed("TimeoutError")
        self.published.append(event)
        return str(len(self.published))


# --- staff ---------------------------------------------------------------------------------------------------------


@dataclass
class FakeStaffStore:
    """ports.StaffStore on dicts; commit_transition applies the outcome all at once, as the transaction does."""

    submissions: dict[str, dict[str, Any]] = field(default_factory=dict)
    audit: list[dict[str, Any]] = field(default_factory=list)
    outbox: dict[str, dict[str, Any]] = field(default_factory=dict)
    open_applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    notification_records: list[dict[str, Any]] = field(default_factory=list)
    queries: list[Any] = field(default_factory=list)
    counts: list[Any] = field(default_factory=list)
    report_counts: report_counters.Counts = field(default_factory=dict)

    def get_submission(self, code: str) -> dict[str, Any] | None:
        return self.submissions.get(code)

    def _matching(self, query: Any) -> list[dict[str, Any]]:
        return [
            d
            for d in self.submissions.values()
            if all(d.get(k) == v for k, v in query.equals.items())
            and (query.statuses_in is None or d.get("status") in query.statuses_in)
            and (query.due_from is None or (d.get("due_at") is not None and d["due_at"] >= query.due_from))
            and (query.due_before is None or (d.get("due_at") is not None and d["due_at"] < query.due_before))
            and (query.submitted_from is None or d["submitted_at"] >= query.submitted_from)
            and (query.submitted_before is None or d["submitted_at"] < query.submitted_before)
            # Firestore leaves out documents without every field the query orders by.
            and all(d.get(name) is not None for name, _ in query.order_fields)
        ]

    def count_submissions(self, query: Any) -> int:
        self.counts.append(query)
        return len(self._matching(query))

    def query_submissions(self, query: Any) -> list[dict[str, Any]]:
        self.queries.append(query)
        docs = self._matching(query)
        # Sort by each field in its own direction (stable sorts, last key first), then the id like the last field.
        id_descending = query.order_fields[-1][1]
        docs.sort(key=lambda d: d["tracking_code"], reverse=id_descending)
        for name, descending in reversed(query.order_fields):
            docs.sort(key=operator.itemgetter(name), reverse=descending)
        if query.after is not None:
            values, code = query.after
            keys = [*values, code]
            directions = [descending for _, descending in query.order_fields] + [id_descending]

            def beyond(d: dict[str, Any]) -> bool:
                own = [*(d[name] for name, _ in query.order_fields), d["tracking_code"]]
                for mine, theirs, descending in zip(own, keys, directions, strict=True):
                    if mine != theirs:
                        return bool(mine < theirs) if descending else bool(mine > theirs)
                return False

            docs = [d for d in docs if beyond(d)]
        return [dict(d) for d in docs[: query.limit + 1]]

    def commit_transition(self, code: str, decide: Any) -> Any:
        doc = self.submissions.get(code)
        if doc is None:
            return None
        outcome = decide(dict(doc))
        if outcome is None:
            return None
        doc.update(outcome.changes)
        self.audit.append(dict(outcome.audit))
        self.outbox[outcome.event["event_id"]] = {"event": outcome.event}
        report_counters.merge(self.report_counts, outcome.counts)
        if outcome.release_marker:
            marker = self.open_applications.get(outcome.release_marker)
            after = submissions.after_closing(marker, code) if marker is not None else None
            if after is None:
                self.open_applications.pop(outcome.release_marker, None)
            else:
                self.open_applications[outcome.release_marker] = after
        return dict(doc), outcome

    def append_audit(self, entry: dict[str, Any]) -> None:
        self.audit.append(dict(entry))

    def audit_entries(self, code: str) -> list[dict[str, Any]]:
        return [dict(e) for e in self.audit if e.get("tracking_code") == code]

    def staff_updates(self, limit: int) -> list[dict[str, Any]]:
        updates = [dict(e) for e in self.audit if e.get("action") == "staff_update"]
        return sorted(updates, key=lambda e: e["at"], reverse=True)[:limit]

    def notifications(self, code: str) -> list[dict[str, Any]]:
        return [dict(n) for n in self.notification_records if n.get("tracking_code") == code]

    def due_for_auto_close(self, statuses: list[str], now: dt.datetime, limit: int) -> list[str]:
        due = [
            d
            for d in self.submissions.values()
            if d.get("status") in statuses and d.get("due_at") and d["due_at"] < now
        ]
        return [d["tracking_code"] for d in sorted(due, key=lambda d: d["due_at"])][:limit]

    def delete_outbox(self, event_id: str) -> None:
        self.outbox.pop(event_id, None)

    def delete_outbox_many(self, event_ids: list[str]) -> None:
        for event_id in event_ids:
            self.outbox.pop(event_id, None)


@dataclass
class FakeStaffDirectory:
    """ports.StaffDirectory on a dict keyed by normalized e-mail; `puts` records who changed whom."""

    members: dict[str, Any] = field(default_factory=dict)
    puts: list[tuple[str, str]] = field(default_factory=list)

    def get(self, email: str) -> Any:
        return self.members.get(email.strip().lower())

    def put(self, member: Any, by: str, now: dt.datetime) -> None:
        self.members[member.email] = member
        self.puts.append((member.email, by))

    def list(self) -> list[Any]:
        return list(self.members.values())
