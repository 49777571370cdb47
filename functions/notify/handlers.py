"""CloudEvent entry point behind the push subscription `send-sms-notification` (infra/topology.json)."""

from __future__ import annotations

import datetime as dt

import flask
import functions_framework
from cloudevents.http import CloudEvent
from werkzeug.exceptions import ServiceUnavailable, UnprocessableEntity

import bootstrap
import logs
from edge.warmup import WARMUP_EVENT_TYPE
from logs import get_logger
from notify.events import PoisonEvent, message_id, parse_submission_event
from notify.service import RetryLater, notify_citizen

log = get_logger("bahagia.notify")


@functions_framework.cloud_event
def send_sms_notification(cloud_event: CloudEvent) -> None:
    """Send the SMS a submission event calls for. 2xx acknowledges; 503 asks for a retry; 422 marks poison."""
    # The push request's trace, span and execution id on every record of this delivery.
    logs.set_request_context(flask.request.headers, bootstrap.settings().project_id)
    if cloud_event["type"] == WARMUP_EVENT_TYPE:
        try:
            bootstrap.sms_notifier().provider.warm()
        except Exception:
            # Best effort: the first SMS loads what is missing, or is retried by Pub/Sub if the provider is down.
            log.warning("sms warm-up incomplete", exc_info=True)
        return
    try:
        event = parse_submission_event(cloud_event.data)
        result = notify_citizen(event, bootstrap.sms_notifier(), now=dt.datetime.now(dt.UTC))
    except PoisonEvent as poison:
        # Not a crash and not a 200: Pub/Sub counts the failed delivery and, after 5, moves the message to
        # submission-events-dead-letter with its CloudPubSubDeadLetterSource* attributes for staff to inspect.
        log.warning("sms poison event: %s", poison, extra={"fields": {"message_id": message_id(cloud_event.data)}})
        raise UnprocessableEntity("poison event") from None
    except RetryLater as retry:
        log.info("sms retry later", extra={"fields": {"event_id": event.event_id, "reason": str(retry)}})
        raise ServiceUnavailable("retry later") from None
    log.info(
        "sms %s",
        result.outcome,
        extra={
            "fields": {
                "event_id": event.event_id,
                "template": result.template,
                "reason": result.reason,
                "attempts": result.attempts,
            }
        },
    )
