"""The HTTP SMS gateway adapter against a local HTTP server, wired from Settings as in production."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

from bahagia.notifications import FailureReason
from bootstrap import build_sms_provider
from ports import PermanentSmsError, SmsProvider, TransientSmsError
from settings import Settings

PHONE = "+6281234567890"


@dataclass
class Gateway:
    """A provider's endpoint: answers from `script` in order (status, body, delay), records each request."""

    script: list[tuple[int, dict[str, Any], float]] = field(default_factory=list)
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.received.append((dict(self.headers), body))
            status, answer, delay = state.script.pop(0) if state.script else (200, {"message_id": "gw-1"}, 0.0)
            time.sleep(delay)
            payload = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/sms/send"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def provider(gateway: Gateway) -> SmsProvider:
    return build_sms_provider(Settings(
        sms_provider="http", sms_http_url=gateway.url, sms_http_credential=SecretStr("rahasia"),
        sms_http_sender="PEMKOTJMB", sms_timeout_seconds=0.5,
    ))  # fmt: skip


def test_a_message_is_posted_with_the_credential_and_its_id_returned(gateway: Gateway, provider: SmsProvider) -> None:
    assert provider.name == "http"
    assert provider.send(PHONE, "Pemkot Jambi: uji") == "gw-1"
    [(headers, body)] = gateway.received
    assert headers["Authorization"] == "Bearer rahasia"
    assert body == {"to": PHONE, "text": "Pemkot Jambi: uji", "sender": "PEMKOTJMB"}


def test_throttling_and_server_errors_are_transient(gateway: Gateway, provider: SmsProvider) -> None:
    gateway.script = [(429, {}, 0.0), (503, {}, 0.0)]
    for reason in (FailureReason.PROVIDER_THROTTLED, FailureReason.PROVIDER_UNAVAILABLE):
        with pytest.raises(TransientSmsError) as raised:
            provider.send(PHONE, "x")
        assert raised.value.reason is reason
    assert provider.send(PHONE, "x") == "gw-1"


def test_an_invalid_number_is_permanent(gateway: Gateway, provider: SmsProvider) -> None:
    gateway.script = [(400, {"error": "invalid_number"}, 0.0)]
    with pytest.raises(PermanentSmsError) as raised:
        provider.send(PHONE, "x")
    assert raised.value.reason is FailureReason.INVALID_NUMBER


def test_a_slow_gateway_times_out_as_transient(gateway: Gateway, provider: SmsProvider) -> None:
    gateway.script = [(200, {"message_id": "late"}, 1.5)]
    with pytest.raises(TransientSmsError) as raised:
        provider.send(PHONE, "x")
    assert raised.value.reason is FailureReason.PROVIDER_TIMEOUT


def test_the_http_provider_needs_its_url_and_credential() -> None:
    with pytest.raises(ValueError, match="BAHAGIA_SMS_HTTP_URL"):
        build_sms_provider(Settings(sms_provider="http"))
