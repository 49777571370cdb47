"""open311.service.PublicComplaintReader on Firestore: a submission by code, and complaints of some categories in a
date range, newest first, in pages. What may be shown is decided by bahagia.open311 on each document, not here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

SUBMISSIONS = "submissions"
PAGE_SIZE = 300

# Every query this module makes, for the index check in tests (docs/ARCHITECTURE.md, "Declaring queries").
QUERIES = [
    (SUBMISSIONS, [("category", "in"), ("submitted_at", ">="), ("submitted_at", "<"), ("submitted_at", "order desc")]),
]


class FirestorePublicComplaints:
    def __init__(self, client: firestore.Client, timeout: float, page_size: int = PAGE_SIZE) -> None:
        self._client = client
        self._timeout = timeout
        self._page_size = page_size

    def get(self, code: str) -> Mapping[str, Any] | None:
        snapshot = self._client.collection(SUBMISSIONS).document(code).get(timeout=self._timeout)
        return snapshot.to_dict() if snapshot.exists else None

    def newest_first(self, categories: list[str], start: dt.datetime, end: dt.datetime) -> Iterator[Mapping[str, Any]]:
        query = (
            self._client.collection(SUBMISSIONS)
            .where(filter=FieldFilter("category", "in", categories))
            .where(filter=FieldFilter("submitted_at", ">=", start))
            .where(filter=FieldFilter("submitted_at", "<", end))
            .order_by("submitted_at", direction=firestore.Query.DESCENDING)
            .limit(self._page_size)
        )
        last = None
        while True:
            page = list((query.start_after(last) if last is not None else query).stream(timeout=self._timeout))
            for snapshot in page:
                yield snapshot.to_dict() or {}
            if len(page) < self._page_size:
                return
            last = page[-1]
