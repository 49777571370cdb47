"""Clearing published events from the outbox in batches, off the request path.

Every accepted submission is one batch commit (document + markers + outbox entry). Deleting the outbox entry
synchronously after the publish would cost each request a second Firestore round trip; instead the ids of published
events are collected and deleted together, every `interval` seconds, by one background thread per instance. If the
instance dies first, the entries stay and the relay publishes them again after `outbox_relay_min_age_seconds`: a
duplicate event, which every consumer ignores by `event_id`; never a lost one.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from web.logs import get_logger

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
