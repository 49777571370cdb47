"""The questions a report asks of Firestore, as values, and how to answer them from documents in memory.

A report is a set of named `Aggregate`s (count, and optionally the sum of one field, of the documents of one source
that match some filters). The Firestore adapter answers each with one aggregation query; `tally_documents` answers it
from a list of documents, which serves the unit tests and the naive full scan the benchmark compares against. Both
follow Firestore's filter semantics: a range filter only matches values of the same type, a missing field never
matches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Source = Literal["submissions", "transitions", "notifications"]
Op = Literal["==", "in", ">=", "<", "<="]


@dataclass(frozen=True, slots=True)
class Filter:
    field: str
    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class Aggregate:
    source: Source
    where: tuple[Filter, ...]
    sum_field: str | None = None

    def narrowed(self, *filters: Filter) -> Aggregate:
        return Aggregate(self.source, self.where + filters, self.sum_field)


@dataclass(frozen=True, slots=True)
class Tally:
    count: int
    total: float = 0.0


def eq(field: str, value: Any) -> Filter:
    return Filter(field, "==", value)


def one_of(field: str, values: Iterable[Any]) -> Filter:
    return Filter(field, "in", tuple(values))


def between(field: str, start: Any, end: Any) -> tuple[Filter, Filter]:
    """start <= field < end."""
    return Filter(field, ">=", start), Filter(field, "<", end)


_MISSING = object()


def _lookup(doc: Mapping[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.datetime):
        return "timestamp"
    return type(value).__name__


def _matches(value: Any, condition: Filter) -> bool:
    if value is _MISSING:
        return False
    if condition.op == "==":
        return bool(value == condition.value and _kind(value) == _kind(condition.value))
    if condition.op == "in":
        return any(value == v and _kind(value) == _kind(v) for v in condition.value)
    if value is None or _kind(value) != _kind(condition.value):
        return False
    if condition.op == ">=":
        return bool(value >= condition.value)
    if condition.op == "<":
        return bool(value < condition.value)
    return bool(value <= condition.value)


def matches(doc: Mapping[str, Any], where: Iterable[Filter]) -> bool:
    return all(_matches(_lookup(doc, f.field), f) for f in where)


def tally_documents(docs: Iterable[Mapping[str, Any]], aggregate: Aggregate) -> Tally:
    count, total = 0, 0.0
    for doc in docs:
        if matches(doc, aggregate.where):
            count += 1
            if aggregate.sum_field is not None:
                value = _lookup(doc, aggregate.sum_field)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    total += value
    return Tally(count, total)


class DocumentFigures:
    """A FigureSource over documents held in memory: the unit tests' fake and the benchmark's naive full scan."""

    def __init__(self, documents: Mapping[str, Sequence[Mapping[str, Any]]], reads: int = 0) -> None:
        self.documents = documents
        self.reads = reads
        self.asked: list[Aggregate] = []
        # Most figures are of one business date: bucket the documents by it once instead of scanning all per figure.
        self._by_date: dict[str, dict[Any, list[Mapping[str, Any]]]] = {}
        for source, docs in documents.items():
            buckets: dict[Any, list[Mapping[str, Any]]] = {}
            for doc in docs:
                buckets.setdefault(doc.get("business_date"), []).append(doc)
            self._by_date[source] = buckets

    def _candidates(self, aggregate: Aggregate) -> Sequence[Mapping[str, Any]]:
        for condition in aggregate.where:
            if condition.field == "business_date" and condition.op == "==":
                return self._by_date.get(aggregate.source, {}).get(condition.value, [])
        return self.documents.get(aggregate.source, ())

    @property
    def queries(self) -> int:
        return len(self.asked)

    def tally(self, aggregates: Sequence[Aggregate]) -> list[Tally]:
        self.asked.extend(aggregates)
        return [tally_documents(self._candidates(a), a) for a in aggregates]


class CountersInMemory:
    """A CounterSource over counts held in memory (`{document id: {field: value}}`): the unit tests' fake."""

    def __init__(self, documents: Mapping[str, Mapping[str, int]]) -> None:
        self.documents = documents
        self.reads = 0

    def read(self, dates: Sequence[str]) -> dict[str, dict[str, int]]:
        from bahagia.report_counters import SHARDS, document_id

        result: dict[str, dict[str, int]] = {}
        for date in dates:
            summed: dict[str, int] = {}
            for shard in range(SHARDS):
                self.reads += 1
                for name, value in self.documents.get(document_id(date, shard), {}).items():
                    summed[name] = summed.get(name, 0) + value
            result[date] = summed
        return result
