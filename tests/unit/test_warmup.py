"""devstack's warm-up calls are the ones the functions recognise (the two sides cannot import each other)."""

from __future__ import annotations

import http.server
import threading
from typing import Any

import devstack.warmup
from bahagia import sms
from bahagia.catalogue import catalogue
from edge import warmup
from notify.service import Notifier
from tests.fakes import FakeNotificationStore, FakeSms, FakeSubmissions


def test_devstack_calls_what_the_functions_answer() -> None:
    assert devstack.warmup.WARMUP_PATH == warmup.WARMUP_PATH
    assert devstack.warmup.WARMUP_EVENT_TYPE == warmup.WARMUP_EVENT_TYPE


def test_the_warm_up_event_loads_the_sms_provider_and_sends_nothing(monkeypatch: Any) -> None:
    import flask
    from cloudevents.http import CloudEvent

    import bootstrap
    from notify import handlers

    names = catalogue()
    provider, store = FakeSms(), FakeNotificationStore()
    notifier = Notifier(
        store=store,
        submissions=FakeSubmissions(),
        provider=provider,
        names=sms.names_from_catalogue(names.programs, names.categories, names.opd),
        status_url="http://127.0.0.1/status",
        secret=b"s",
        daily_cap=5,
    )
    monkeypatch.setattr(bootstrap, "sms_notifier", lambda: notifier)
    event = CloudEvent({"type": warmup.WARMUP_EVENT_TYPE, "source": "//devstack/warmup", "id": "w-1"}, {})
    with flask.Flask("warmup").test_request_context(method="POST", path="/"):
        handlers.send_sms_notification(event)
    assert provider.warmed == 1
    assert provider.calls == 0
    assert store.records == {}


def test_a_warm_up_call_reports_the_status_or_none_when_nothing_answers() -> None:
    seen: list[tuple[str, str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(("GET", self.path, ""))
            self.send_response(204)
            self.end_headers()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(("POST", self.path, self.headers.get("ce-type", "")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        statuses = devstack.warmup.warm_up({"a": url, "b": url}, {"a": "http", "b": "cloudevent"}, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert statuses == {"a": 204, "b": 200}
    assert sorted(seen) == [("GET", warmup.WARMUP_PATH, ""), ("POST", "/", warmup.WARMUP_EVENT_TYPE)]
    assert devstack.warmup.warm_up_call("http://127.0.0.1:9", "http", timeout=1) is None
