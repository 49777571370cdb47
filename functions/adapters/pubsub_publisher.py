"""Publishing events to Pub/Sub, bounded in time so that a stuck Pub/Sub leaves the event to the outbox relay.

One event per request, and the request waits for it: the generated client's Publish call (google.pubsub_v1) does
exactly that. google.cloud.pubsub_v1's PublisherClient would batch, start a commit thread per batch and hand back a
future to wait on: about 0.4 ms of CPU and 1 ms more per request measured here (bench/README.md), and 0.2 s more to
import, for batching we do not use.
"""

from __future__ import annotations

import json
from typing import Any

from google.api_core import exceptions as gexc
from google.api_core.retry import Retry, if_exception_type
from google.pubsub_v1 import PubsubMessage
from google.pubsub_v1.services.publisher import PublisherClient

from ports import PublishFailed

# The codes google.cloud.pubsub_v1 retries a publish on. A retried publish can deliver twice; consumers deduplicate on
# event_id (docs/ARCHITECTURE.md, "Events").
_RETRYABLE = if_exception_type(
    gexc.Aborted,
    gexc.Cancelled,
    gexc.DeadlineExceeded,
    gexc.InternalServerError,
    gexc.ResourceExhausted,
    gexc.ServiceUnavailable,
    gexc.Unknown,
)


class PubSubEventPublisher:
    def __init__(self, project_id: str, topic: str, timeout: float, emulator_host: str | None = None) -> None:
        self._timeout = timeout
        self._retry = Retry(predicate=_RETRYABLE, initial=0.1, maximum=1.0, multiplier=2.0, timeout=timeout)
        if emulator_host:
            import grpc
            from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

            # The generated client does not read PUBSUB_EMULATOR_HOST itself (the handwritten one does).
            channel = grpc.insecure_channel(emulator_host)
            self._client = PublisherClient(transport=PublisherGrpcTransport(channel=channel))
        else:
            self._client = PublisherClient()
        self._topic_path = self._client.topic_path(project_id, topic)

    def publish(self, event: dict[str, Any]) -> str:
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        message = PubsubMessage(data=data, attributes={"type": event["type"]})
        try:
            response = self._client.publish(
                topic=self._topic_path, messages=[message], retry=self._retry, timeout=self._timeout
            )
        except Exception as exc:  # timeouts, RetryError, transport errors: all mean "not published, try later"
            raise PublishFailed(type(exc).__name__) from None
        return str(response.message_ids[0])
