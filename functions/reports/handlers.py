"""CloudEvent entry point behind the push subscription `build-nightly-report` (infra/topology.json)."""

from __future__ import annotations

import datetime as dt
import logging

import flask
import functions_framework
from cloudevents.http import CloudEvent
from werkzeug.exceptions import ServiceUnavailable

import bootstrap
import logs
from edge.warmup import WARMUP_EVENT_TYPE
from reports.request import BadReportRequest, report_date
from reports.service import build_and_publish

log = logging.getLogger("reports")


@functions_framework.cloud_event
def build_nightly_report(cloud_event: CloudEvent) -> None:
    """Build and publish the report of the requested date (default yesterday, WIB). Idempotent per date."""
    # The push request's trace, span and execution id on every record of this delivery.
    logs.set_request_context(flask.request.headers, bootstrap.settings().project_id)
    from google.api_core.exceptions import GoogleAPICallError, RetryError

    if cloud_event["type"] == WARMUP_EVENT_TYPE:
        bootstrap.report_context()
        return
    now = dt.datetime.now(dt.UTC)
    try:
        date = report_date(cloud_event.data, now)
    except BadReportRequest as bad:
        # Acknowledged: a retry cannot repair the message, and this subscription has no dead-letter topic to fill.
        log.error("report request rejected: %s", bad)
        return
    try:
        published = build_and_publish(date, bootstrap.report_context(), now)
    except (GoogleAPICallError, RetryError, OSError) as error:  # OSError: requests' connection errors
        log.warning("report %s not built, retry later: %s", date, type(error).__name__)
        raise ServiceUnavailable("retry later") from None
    log.info(
        "report %s published: wrote %s, %s queries, %s reads",
        published.date,
        list(published.written) or "nothing (unchanged)",
        published.queries,
        published.reads,
    )
