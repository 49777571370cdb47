"""The issue's "done when": posting an application through the gateway yields one SMS in moto within seconds."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from bahagia import codes
from tests import samples

PHONE = "+6281234567890"  # samples.APPLICATION's "0812-3456-7890", as stored


@pytest.fixture
def client(stack: Any, clean_emulators: Any) -> Any:
    with httpx.Client(base_url=stack.base_url, timeout=30) as http:
        yield http


def _texts(stack: Any, phone: str) -> list[str]:
    return [m["message"] for m in stack.sms_messages() if m["phone_number"] == phone]


def test_an_application_yields_one_receipt_sms_with_the_code_and_without_the_pin(client: Any, stack: Any) -> None:
    response = client.post("/v1/applications", json=samples.application())
    assert response.status_code == 201, response.text
    body = response.json()
    started = time.monotonic()
    while not _texts(stack, PHONE) and time.monotonic() - started < 30:
        time.sleep(0.5)
    time.sleep(2)  # room for a wrong second SMS to show up
    [text] = _texts(stack, PHONE)
    assert codes.format_tracking_code(body["tracking_code"]) in text
    assert body["pin"] not in text
    assert f"{stack.base_url}/status" in text


def test_an_anonymous_complaint_yields_no_sms(client: Any, stack: Any) -> None:
    complaint = samples.complaint(category="lingkungan")
    complaint["privacy"] = "anonymous"
    complaint.pop("reporter", None)
    assert client.post("/v1/complaints", json=complaint).status_code == 201
    # An application after it: once its SMS is in, the complaint's event has had its turn as well.
    assert client.post("/v1/applications", json=samples.application()).status_code == 201
    started = time.monotonic()
    while not _texts(stack, PHONE) and time.monotonic() - started < 30:
        time.sleep(0.5)
    time.sleep(2)
    assert [m["phone_number"] for m in stack.sms_messages()] == [PHONE]
