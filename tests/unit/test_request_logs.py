"""Every record a target writes while serving a request carries that request's execution id, trace and span (issue
11): the HTTP error boundary and the CloudEvent targets set them, functions-framework in front as in production."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app

import bootstrap
import logs

FUNCTIONS = Path(__file__).parents[2] / "functions"
HEADERS = {
    "Function-Execution-Id": "req-4f9Qe2",
    "X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/255;o=1",
}

Written = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def written() -> Iterator[Written]:
    """The JSON lines written so far, formatted when they are written (the request context is read then)."""
    logs.configure()  # first: it replaces the root logger's handlers once per process
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.CloudLoggingFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def _assert_request_context(entry: dict[str, Any]) -> None:
    assert entry["logging.googleapis.com/labels"] == {"execution_id": "req-4f9Qe2"}
    assert entry["logging.googleapis.com/spanId"] == "00000000000000ff"
    assert entry["logging.googleapis.com/trace"].endswith("/traces/105445aa7843bc8bf206b12000100000")


def test_an_http_target_error_carries_its_execution_id_and_goes_to_error_reporting(
    monkeypatch: pytest.MonkeyPatch, written: Written
) -> None:
    def broken() -> Any:
        raise RuntimeError("the store is gone")

    monkeypatch.setattr(bootstrap, "intake_context", broken)
    app = create_app(target="submit_complaint", source=str(FUNCTIONS / "intake" / "handlers.py"), signature_type="http")
    response = app.test_client().post("/v1/complaints", json={"category": "pungli"}, headers=HEADERS)
    assert response.status_code == 500
    (entry,) = [e for e in written() if e["message"] == "unexpected error"]
    _assert_request_context(entry)
    assert entry["@type"].endswith("ReportedErrorEvent")
    assert entry["stack_trace"].splitlines()[-1] == "RuntimeError"
    assert "the store is gone" not in json.dumps(entry)


def test_a_cloudevent_target_logs_with_the_execution_id_of_the_push(written: Written) -> None:
    app = create_app(
        target="send_sms_notification", source=str(FUNCTIONS / "notify" / "handlers.py"), signature_type="cloudevent"
    )
    push = {"message": {"data": base64.b64encode(b"not json").decode(), "messageId": "m-1", "attributes": {}}}
    response = app.test_client().post(
        "/projects/demo-bahagia/topics/submission-events", json={**push, "subscription": "s"}, headers=HEADERS
    )
    assert response.status_code == 422  # poison: logged, not acknowledged
    (entry,) = [e for e in written() if e["message"].startswith("sms poison event")]
    _assert_request_context(entry)
