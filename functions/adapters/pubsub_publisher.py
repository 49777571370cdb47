"""Publishing events to Pub/Sub, bounded in time so that a stuck Pub/Sub leaves the event to the outbox relay."""

from __future__ import annotations

import json
from typing import Any

from google.api_core.retry import Retry
from google.cloud import pubsub_v1  # type: ignore[attr-defined]  # namespace package mypy cannot see into

from ports import PublishFailed


class PubSubEventPublisher:
    def __init__(self, project_id: str, topic: str, timeout: float) -> None:
        self._timeout = timeout
        self._client = pubsub_v1.PublisherClient(
            # Publish at once rather than batching for 10 ms: one event per request.
            batch_settings=pubsub_v1.types.BatchSettings(max_messages=1, max_latency=0.001),
            publisher_options=pubsub_v1.types.PublisherOptions(
                retry=Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=timeout), timeout=timeout
            ),
        )
        self._topic_path = self._client.topic_path(project_id, topic)

    def publish(self, event: dict[str, Any]) -> str:
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        future = self._client.publish(self._topic_path, data, type=event["type"])
        try:
            return str(future.result(timeout=self._timeout))
        except Exception as exc:  # timeouts, RetryError, transport errors: all mean "not published, try later"
            raise PublishFailed(type(exc).__name__) from None
