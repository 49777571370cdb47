"""Increment-then-compare counters in Firestore: one commit adds one to each counter and answers each new count.

The commit's answer carries each field transform's result (`WriteResult.transform_results`): the value after our
increment, whatever ran beside it. So a limit is judged on the count this request made, never on a count read before
another request's increment; and an increment never conflicts the way a transaction reading a hot document would.
Used by the PIN-guessing budgets (intake) and the SMS budgets (notify).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from google.cloud import firestore


def increment_and_read(
    client: firestore.Client,
    collection: firestore.CollectionReference,
    counters: Mapping[str, dt.datetime],
    *,
    step: int = 1,
    timeout: float | None = None,
    retry: Any = None,
) -> dict[str, int]:
    """Add `step` to `{collection}/{id}.count` for each id (with `expires_at`, for the TTL policy) in one commit; return
    each count after it. A retried commit may count twice; callers only ever err on the strict side with that."""
    ids = list(counters)
    batch = client.batch()
    for counter in ids:
        batch.set(
            collection.document(counter),
            {"count": firestore.Increment(step), "expires_at": counters[counter]},
            merge=True,
        )
    results = batch.commit(timeout=timeout, retry=retry)
    return {
        counter: int(result.transform_results[0].integer_value) for counter, result in zip(ids, results, strict=True)
    }
