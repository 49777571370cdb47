"""The one way an event leaves after its commit: publish now, clear the outbox entry, or leave it for the relay.

Every change that announces itself (an accepted submission, a staff transition, the scheduler's auto-close) commits
its event into `outbox/{event_id}` in the same batch or transaction as the change. Then:

- `send_committed_event` publishes it at once (bounded by the publisher's timeout). Published: the entry is cleared,
  in a background batch when a `BatchedOutboxCleaner` is given. Not published: the entry stays.
- `relay` (behind the `relay_outbox` target, every minute from Cloud Scheduler) publishes every entry older than
  `outbox_relay_min_age_seconds`, so it does not race the request that wrote it.

An event can therefore go out twice (published, then the delete failed or the instance died before its batch), never
zero times; every consumer deduplicates on `event_id`.

The cleaner: deleting each entry synchronously after its publish would cost every request a second Firestore round
trip; instead the ids of published events are collected and deleted together, every `interval` seconds, by one
background thread per instance.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from logs import get_logger
from ports import EventPublisher, OutboxStore, PublishFailed

log = get_logger("bahagia.outbox")

MAX_BATCH = 400  # below Firestore's 500 writes per batch


class BatchedOutboxCleaner:
    def __init__(self, delete_many: Callable[[list[str]], None], interval: float = 0.25) -> None:
        self._delete_many = delete_many
        self._interval = interval
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def discard(self, event_id: str) -> None:
        self._queue.put(event_id)
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="outbox-cleaner", daemon=True)
                    self._thread.start()

    def flush(self) -> int:
        """Delete everything queued now; returns how many. For tests and for a graceful shutdown."""
        ids: list[str] = []
        while len(ids) < MAX_BATCH:
            try:
                ids.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if ids:
            try:
                self._delete_many(ids)
            except Exception:
                log.warning("outbox entries not deleted; the relay will republish them", exc_info=True,
                            extra={"fields": {"count": len(ids)}})  # fmt: skip
        return len(ids)

    def pending(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            self._queue.put(first)
            time.sleep(self._interval)
            while self.flush() == MAX_BATCH:
                pass


class _DeletesOutbox(Protocol):
    def delete_outbox(self, event_id: str) -> None: ...


def send_committed_event(
    publisher: EventPublisher, store: _DeletesOutbox, cleaner: BatchedOutboxCleaner | None, event: dict[str, Any]
) -> bool:
    """Publish an event whose outbox entry is already committed. Returns whether it was published; never raises."""
    try:
        publisher.publish(event)
    except PublishFailed as exc:
        log.warning(
            "event left in outbox for the relay",
            extra={"fields": {"event_id": event["event_id"], "reason": str(exc)}},
        )
        return False
    if cleaner is not None:
        cleaner.discard(event["event_id"])
        return True
    try:
        store.delete_outbox(event["event_id"])
    except Exception:
        # Harmless: the relay will publish it again and consumers deduplicate on event_id.
        log.warning("outbox entry not deleted", exc_info=True, extra={"fields": {"event_id": event["event_id"]}})
    return True


def relay(
    publisher: EventPublisher,
    store: OutboxStore,
    cleaner: BatchedOutboxCleaner | None,
    older_than: dt.datetime,
    limit: int = 100,
) -> dict[str, int]:
    """Publish the events whose request could not: every outbox entry committed before `older_than`."""
    published = failed = 0
    for event in store.pending_outbox(older_than, limit):
        if send_committed_event(publisher, store, cleaner, event):
            published += 1
        else:
            failed += 1
    if published or failed:
        log.info("outbox relayed", extra={"fields": {"published": published, "failed": failed}})
    return {"published": published, "failed": failed}
