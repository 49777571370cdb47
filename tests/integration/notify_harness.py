"""What the notify integration tests and bench/notify.py share: the function process, its subscription and proxies.

The function runs as in `make run` (functions-framework, real Pub/Sub emulator push, real Firestore emulator) with
two recording proxies in the path: Pub/Sub -> push proxy -> function (counts deliveries and their statuses) and
function -> SNS proxy -> moto (can answer the next Publish calls with a 503, as SNS does when it is unavailable).
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devstack import components
from devstack.config import HOST, free_ports
from devstack.processes import wait_until_ready
from devstack.stack import Supervisor
from devstack.topology import REPO_ROOT

HANDLERS = REPO_ROOT / "functions" / "notify" / "handlers.py"
SNS_UNAVAILABLE = (
    b'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Receiver</Type>'
    b"<Code>ServiceUnavailable</Code><Message>Service is unavailable</Message></Error>"
    b"<RequestId>test</RequestId></ErrorResponse>"
)


@dataclass
class Exchange:
    path: str
    action: str
    status: int


@dataclass
class RecordingProxy:
    """Forwards every request to `upstream`, records it, and can answer the next `fail_next` matching ones itself."""

    upstream: str
    fail_action: str = ""
    fail_next: int = 0
    opted_out: tuple[str, ...] = ()
    """Answered to ListPhoneNumbersOptedOut in place of moto's fixed list of UK numbers: the numbers that replied STOP
    at SNS, which moto has no way to be told about."""
    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{HOST}:{self._server.server_address[1]}"

    def start(self) -> RecordingProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                action = _action(body)
                with proxy._lock:
                    failing = bool(proxy.fail_next) and action == proxy.fail_action
                    if failing:
                        proxy.fail_next -= 1
                if failing:
                    status, headers, answer = 503, {"Content-Type": "text/xml"}, SNS_UNAVAILABLE
                elif action == "ListPhoneNumbersOptedOut" and proxy.opted_out:
                    status, headers, answer = 200, {"Content-Type": "text/xml"}, _opt_out_list(proxy.opted_out)
                else:
                    status, headers, answer = _forward(proxy.upstream + self.path, body, dict(self.headers.items()))
                with proxy._lock:
                    proxy.exchanges.append(Exchange(self.path, action, status))
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def count(self, action: str = "", status: int | None = None) -> int:
        with self._lock:
            return sum(
                1
                for e in self.exchanges
                if (not action or e.action == action) and (status is None or e.status == status)
            )

    def clear(self) -> None:
        with self._lock:
            self.exchanges.clear()
            self.fail_next = 0


def _opt_out_list(numbers: tuple[str, ...]) -> bytes:
    members = "".join(f"<member>{number}</member>" for number in numbers)
    return (
        '<ListPhoneNumbersOptedOutResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
        f"<ListPhoneNumbersOptedOutResult><phoneNumbers>{members}</phoneNumbers></ListPhoneNumbersOptedOutResult>"
        "<ResponseMetadata><RequestId>test</RequestId></ResponseMetadata></ListPhoneNumbersOptedOutResponse>"
    ).encode()


def _action(body: bytes) -> str:
    text = body[:4096].decode("utf-8", "replace")
    if "Action=" in text:  # SNS query protocol
        return text.split("Action=", 1)[1].split("&", 1)[0]
    try:  # a Pub/Sub push: the event's type, or "poison"
        data = json.loads(base64.b64decode(json.loads(body)["message"]["data"]))
        return str(data["type"])
    except (ValueError, KeyError, TypeError):
        return "poison"


def _forward(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
    keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "connection")}
    request = urllib.request.Request(url, data=body, headers=keep, method="POST")  # noqa: S310 -- 127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# --- Pub/Sub emulator over REST ------------------------------------------------------------------------------------


def _rest(method: str, url: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read() or b"{}")
        return answer


@dataclass
class PushPath:
    """A topic, a push subscription to the function (via the push proxy), a dead-letter topic and a pull subscription
    that holds what was dead-lettered. Unique names: nothing of one test reaches another."""

    pubsub_host: str
    project_id: str
    push_endpoint: str
    min_backoff: str = "1s"
    max_backoff: str = "2s"
    max_attempts: int = 5
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def _url(self, path: str) -> str:
        return f"http://{self.pubsub_host}/v1/projects/{self.project_id}/{path}"

    @property
    def topic(self) -> str:
        return f"submission-events-{self.suffix}"

    @property
    def dead_letter_topic(self) -> str:
        return f"submission-events-dead-letter-{self.suffix}"

    def create(self) -> PushPath:
        _rest("PUT", self._url(f"topics/{self.topic}"))
        _rest("PUT", self._url(f"topics/{self.dead_letter_topic}"))
        _rest(
            "PUT",
            self._url(f"subscriptions/hold-{self.suffix}"),
            {"topic": f"projects/{self.project_id}/topics/{self.dead_letter_topic}"},
        )
        _rest("PUT", self._url(f"subscriptions/send-sms-notification-{self.suffix}"), {
            "topic": f"projects/{self.project_id}/topics/{self.topic}",
            "pushConfig": {"pushEndpoint": f"{self.push_endpoint}/projects/{self.project_id}/topics/{self.topic}"},
            "ackDeadlineSeconds": 30,
            "deadLetterPolicy": {
                "deadLetterTopic": f"projects/{self.project_id}/topics/{self.dead_letter_topic}",
                "maxDeliveryAttempts": self.max_attempts,
            },
            "retryPolicy": {"minimumBackoff": self.min_backoff, "maximumBackoff": self.max_backoff},
        })  # fmt: skip
        return self

    def delete(self) -> None:
        for path in (
            f"subscriptions/send-sms-notification-{self.suffix}",
            f"subscriptions/hold-{self.suffix}",
            f"topics/{self.topic}",
            f"topics/{self.dead_letter_topic}",
        ):
            with contextlib.suppress(urllib.error.HTTPError):
                _rest("DELETE", self._url(path))

    def publish(self, *payloads: Mapping[str, Any] | bytes) -> list[str]:
        messages = []
        for payload in payloads:
            raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            attributes = {"type": str(payload.get("type"))} if isinstance(payload, Mapping) else {}
            messages.append({"data": base64.b64encode(raw).decode(), "attributes": attributes})
        answer = _rest("POST", self._url(f"topics/{self.topic}:publish"), {"messages": messages})
        return list(answer["messageIds"])

    def pull_dead_letters(self) -> list[dict[str, Any]]:
        answer = _rest(
            "POST", self._url(f"subscriptions/hold-{self.suffix}:pull"), {"maxMessages": 10, "returnImmediately": True}
        )
        return [received["message"] for received in answer.get("receivedMessages", [])]


# --- the function process ------------------------------------------------------------------------------------------


@dataclass
class NotifyFunction:
    supervisor: Supervisor
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.supervisor.stop()


def start_notify_function(
    client_env: Mapping[str, str], overrides: Mapping[str, str], log_dir: Path, timeout: float = 120.0
) -> NotifyFunction:
    """send_sms_notification in its own functions-framework process, as devstack starts every target."""
    import os

    (port,) = free_ports(1)
    supervisor = Supervisor()
    command = components.function_command(HANDLERS, "send_sms_notification", "cloudevent", port)
    env = components.child_env(os.environ, {
        **client_env, "PYTHONPATH": str(REPO_ROOT / "functions"), **overrides,
    })  # fmt: skip
    try:
        process = supervisor.start(command, env, log_dir)
        wait_until_ready({process: (f"http://{HOST}:{port}{command.ready_path}", command.needs_200)}, timeout)
    except BaseException:
        supervisor.stop()
        raise
    return NotifyFunction(supervisor, f"http://{HOST}:{port}", log_dir / f"{command.name}.log")


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2) -> Any:
    """The first truthy value of condition(), or AssertionError after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
