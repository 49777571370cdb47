"""The report's Firestore side: counter documents, aggregation queries, and the `reports/{date}` documents.

`FirestoreFigures` turns each `reports.figures.Aggregate` into one aggregation query (count, plus sum when asked),
running a few at a time, and keeps the bill: Firestore charges an aggregation one document read per batch of up to
1,000 index entries it matches, and at least one.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from bahagia import report_counters
from reports.figures import Aggregate, Source, Tally

COLLECTIONS: dict[Source, str] = {
    "submissions": "submissions",
    "transitions": "audit",  # the staff service's append-only audit trail; transitions have action == "transition"
    "notifications": "notifications",
}
REPORTS = "reports"
ENTRIES_PER_READ = 1000

# The one aggregation the nightly build runs (reports.model.QUERIED: open cases past their deadline). FirestoreFigures
# can run any Aggregate of reports.model.plan, but only the tests and the benchmark ask it to, on the emulator.
QUERIES = [
    ("submissions", [("status", "in"), ("due_at", "<")]),
]


def billed_reads(matched: int) -> int:
    return max(1, math.ceil(matched / ENTRIES_PER_READ))


class FirestoreFigures:
    """A FigureSource on Firestore aggregation queries; one instance per report run (it counts that run's reads)."""

    def __init__(self, client: firestore.Client, workers: int = 8, timeout: float = 30.0) -> None:
        self._client = client
        self._workers = workers
        self._timeout = timeout
        self._lock = threading.Lock()
        self.queries = 0
        self.reads = 0

    def _query(self, aggregate: Aggregate) -> Any:
        query: Any = self._client.collection(COLLECTIONS[aggregate.source])
        for condition in aggregate.where:
            value = list(condition.value) if condition.op == "in" else condition.value
            query = query.where(filter=FieldFilter(condition.field, condition.op, value))
        return query

    def _tally(self, aggregate: Aggregate) -> Tally:
        aggregation = self._query(aggregate).count(alias="count")
        if aggregate.sum_field is not None:
            aggregation = aggregation.sum(aggregate.sum_field, alias="total")
        values: dict[str, Any] = {}
        for result_set in aggregation.get(timeout=self._timeout):
            for result in result_set:
                values[result.alias] = result.value
        count = int(values.get("count") or 0)
        with self._lock:
            self.queries += 1
            self.reads += billed_reads(count)
        return Tally(count, float(values.get("total") or 0))

    def tally(self, aggregates: Sequence[Aggregate]) -> list[Tally]:
        if len(aggregates) <= 1 or self._workers <= 1:
            return [self._tally(a) for a in aggregates]
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="report-query") as pool:
            return list(pool.map(self._tally, aggregates))


class FirestoreReportStore:
    """`reports/{date}`: the exact figures for staff, the files' locations and the content fingerprint."""

    def __init__(self, client: firestore.Client, timeout: float = 10.0) -> None:
        self._reports = client.collection(REPORTS)
        self._timeout = timeout

    def fingerprint(self, date: str) -> str | None:
        snapshot = self._reports.document(date).get(field_paths=["content_sha256"], timeout=self._timeout)
        if not snapshot.exists:
            return None
        value = (snapshot.to_dict() or {}).get("content_sha256")
        return value if isinstance(value, str) else None

    def save(self, date: str, document: Mapping[str, Any]) -> None:
        # A whole-document set: the report of a date is replaced, never merged with an older one.
        self._reports.document(date).set(dict(document), timeout=self._timeout)

    def load(self, date: str) -> dict[str, Any] | None:
        snapshot = self._reports.document(date).get(timeout=self._timeout)
        return snapshot.to_dict() if snapshot.exists else None


class FirestoreCounters:
    """Reads the per-day counter shards of bahagia.report_counters in one batched get; one instance per report run."""

    def __init__(self, client: firestore.Client, timeout: float = 30.0) -> None:
        self._client = client
        self._timeout = timeout
        self.reads = 0

    def read(self, dates: Sequence[str]) -> dict[str, dict[str, int]]:
        collection = self._client.collection(report_counters.COLLECTION)
        refs = [
            collection.document(report_counters.document_id(d, s)) for d in dates for s in range(report_counters.SHARDS)
        ]
        # Billed one read per document asked for, whether it exists or not.
        self.reads += len(refs)
        result: dict[str, dict[str, int]] = {d: {} for d in dates}
        for snapshot in self._client.get_all(refs, timeout=self._timeout):
            if not snapshot.exists:
                continue
            date = snapshot.id.rsplit("_", 1)[0]
            summed = result.setdefault(date, {})
            for name, value in (snapshot.to_dict() or {}).items():
                if isinstance(value, int) and not isinstance(value, bool):
                    summed[name] = summed.get(name, 0) + value
        return result


def add_counts(writer: Any, client: firestore.Client, counts: report_counters.Counts) -> None:
    """Add `counts` to the counter documents inside a batch or a transaction (`writer.set`), as Increments, so they
    commit or fail together with the change they count."""
    collection = client.collection(report_counters.COLLECTION)
    for doc_id, fields in counts.items():
        increments = {name: firestore.Increment(delta) for name, delta in fields.items() if delta}
        if increments:
            writer.set(collection.document(doc_id), increments, merge=True)
