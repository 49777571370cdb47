"""Issue 7, item 5: PIN guessing is rate-limited per code and per client; hostile requests get a 4xx quickly and cost
nothing else (no document written, no event published).

Runs on the session's stack (tests/conftest.py). Times are asserted with a bound generous enough for a busy 2-core
machine; the measured figures go into RELIABILITY.md.
"""

# A property is clearer as one compound assertion.
# ruff: noqa: PT018

from __future__ import annotations

import socket
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google.cloud import firestore

from bahagia import codes
from tests import samples
from tests.reliability.harness import PubSubRest, stored_documents
from tests.reliability.plugin import record_figures

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

TAP = "abuse-event-tap"
QUICK = 5.0  # seconds: far above what these take on an idle machine (~10-50 ms), below any client's patience
_TIMINGS: dict[str, float] = {}


@pytest.fixture
def quiet_stack(stack: Any, clean_emulators: Any) -> Iterator[Any]:
    """The stack with no data and a tap on submission-events; afterwards nothing may have been stored or published."""
    pubsub = PubSubRest(clean_emulators.pubsub_host, clean_emulators.project_id)
    pubsub.create_pull(TAP, "submission-events")
    db = firestore.Client(project=clean_emulators.project_id)
    yield stack
    assert stored_documents(db) == {}, "a rejected request wrote to Firestore"
    assert pubsub.drain(TAP) == [], "a rejected request published an event"


def _timed(name: str, call: Any) -> Any:
    started = time.monotonic()
    answer = call()
    _TIMINGS[name] = max(_TIMINGS.get(name, 0.0), time.monotonic() - started)
    return answer


def _raw_request(url: str, head: bytes, body: bytes = b"", timeout: float = 10.0) -> int:
    """Send bytes as they are (httpx refuses to send what these tests need to send); the status, or 0 when the
    server closed the connection without an answer (which is also a refusal)."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
        try:
            conn.sendall(head + body)
            answer = conn.recv(65536)
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            return 0
    if not answer.startswith(b"HTTP/"):
        return 0
    return int(answer.split(b" ", 2)[1])


def _json_head(path: str, body: bytes, extra: bytes = b"") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n".encode()
        + extra
        + b"\r\n"
    )


BAD_BODIES: list[tuple[str, str, bytes, str, set[int]]] = [
    ("oversized JSON body (70 KiB)", "application/json",
     b'{"description": "' + b"x" * 70_000 + b'"}', "/v1/complaints", {413}),
    ("deeply nested JSON (10,000 levels)", "application/json",
     b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "/v1/complaints", {400}),
    ("nested JSON just past the limit (7 levels)", "application/json",
     b'{"category":"aspirasi","description":"aaaaaaaaaaaa","location":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}}',
     "/v1/complaints", {400}),
    ("invalid UTF-8 in JSON", "application/json", b'{"description": "\xff\xfe\xfd"}', "/v1/complaints", {400}),
    ("invalid UTF-8 in a form", "application/x-www-form-urlencoded", b"description=%FF%FE&category=aspirasi",
     "/v1/complaints", {400}),
    ("5,000 form fields", "application/x-www-form-urlencoded",
     "&".join(f"f{i}=1" for i in range(5000)).encode(), "/v1/applications", {400}),
    ("5,000 multipart parts", "multipart/form-data; boundary=XyZ",
     b"".join(b'--XyZ\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n1\r\n' % i for i in range(5000))
     + b"--XyZ--\r\n", "/v1/applications", {400, 413}),
    ("a JSON array instead of an object", "application/json", b"[" * 5000 + b"]" * 5000, "/v1/applications", {400}),
    ("huge number", "application/json", b'{"category": "aspirasi", "description": "x", "occurred_on": '
     + b"9" * 60_000 + b"}", "/v1/complaints", {400, 422}),
    ("XML", "application/xml", b"<?xml version='1.0'?><a>&lol;</a>", "/v1/complaints", {415}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content_type", "body", "path", "statuses"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
def test_a_hostile_body_gets_a_quick_4xx_and_costs_nothing(
    quiet_stack: Any, name: str, content_type: str, body: bytes, path: str, statuses: set[int]
) -> None:
    with httpx.Client(base_url=quiet_stack.base_url, timeout=30) as client:
        response = _timed(name, lambda: client.post(path, content=body, headers={"Content-Type": content_type}))
    assert response.status_code in statuses, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    assert _TIMINGS[name] < QUICK


def test_a_body_streamed_without_length_is_cut_at_64_kib(quiet_stack: Any) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"description": "'
        for _ in range(1024):  # 1 MiB in total, never announced
            yield b"y" * 1024

    with httpx.Client(base_url=quiet_stack.base_url, timeout=30) as client:
        response = _timed("1 MiB chunked body, no Content-Length", lambda: client.post(
            "/v1/complaints", content=chunks(), headers={"Content-Type": "application/json"}))  # fmt: skip
    assert response.status_code == 413
    assert _TIMINGS["1 MiB chunked body, no Content-Length"] < QUICK


@pytest.mark.parametrize("via", ["gateway", "function"])
def test_header_injection_and_huge_headers_are_refused(quiet_stack: Any, via: str) -> None:
    url = quiet_stack.base_url if via == "gateway" else quiet_stack.target_url("submit_complaint")
    body = b'{"category": "aspirasi", "description": "Aspirasi uji header"}'
    attempts = {
        "CR LF inside Idempotency-Key": b"Idempotency-Key: key-12345\r\n\rX-Injected: 1\r\n",
        "bare CR inside Idempotency-Key": b"Idempotency-Key: key-12345\rX-Injected: 1\r\n",
        "NUL in Idempotency-Key": b"Idempotency-Key: key-\x00-12345\r\n",
        "obsolete line folding": b"Idempotency-Key: key-12345\r\n X-Injected: 1\r\n",
        "64 KiB header": b"X-Padding: " + b"a" * 65_000 + b"\r\n",
        "500 headers": b"".join(b"X-H%d: 1\r\n" % i for i in range(500)),
    }
    problems = []
    for name, extra in attempts.items():
        head = _json_head("/v1/complaints", body, extra)
        status = _timed(f"{name} ({via})", lambda head=head: _raw_request(url, head, body))
        # A refusal is a 4xx, or the connection closed without an answer; never a 2xx, never a 5xx, never a wait.
        if not (status == 0 or 400 <= status < 500) or _TIMINGS[f"{name} ({via})"] >= QUICK:
            problems.append((name, status, round(_TIMINGS[f"{name} ({via})"], 1)))
    assert not problems


def test_an_idempotency_key_with_control_characters_is_422(quiet_stack: Any) -> None:
    with httpx.Client(base_url=quiet_stack.base_url, timeout=30) as client:
        for key in ("short", "k" * 129, "tab\there-12345"):
            response = client.post("/v1/complaints", json=samples.complaint(), headers={"Idempotency-Key": key})
            assert response.status_code == 422
            assert response.json()["error"]["details"][0]["field"] == "idempotency_key"


def test_a_crlf_in_a_tracking_code_injects_no_header(stack: Any, clean_emulators: Any) -> None:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        response = client.get("/v1/track/ABCD%0D%0ASet-Cookie:%20injected=1", params={"pin": "123456"})
    assert response.status_code == 404
    assert "injected" not in response.headers.get("set-cookie", "")


def test_pin_guessing_is_rate_limited_per_code_from_any_client(stack: Any, clean_emulators: Any) -> None:
    """Five wrong PINs for one code from five different clients: the sixth try is 429, even with the right PIN."""
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        created = client.post("/v1/complaints", json=samples.complaint()).json()
    code, pin = created["tracking_code"], created["pin"]
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    function = stack.target_url("track_submission")
    with httpx.Client(base_url=function, timeout=30) as direct:
        answers = [
            direct.get(f"/v1/track/{code}", params={"pin": wrong}, headers={"X-Forwarded-For": f"198.51.100.{i}"})
            for i in range(5)
        ]
        assert [a.status_code for a in answers] == [404] * 5
        blocked = direct.get(f"/v1/track/{code}", params={"pin": pin}, headers={"X-Forwarded-For": "198.51.100.99"})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0


def test_pin_guessing_is_rate_limited_per_client_across_codes(stack: Any, clean_emulators: Any) -> None:
    """One client trying 20 codes is stopped; another client is not; a forged X-Forwarded-For does not help."""
    function = stack.target_url("track_submission")

    def guess(client: httpx.Client, claimed_address: str) -> int:
        answer = client.get(f"/v1/track/{codes.new_tracking_code()}", params={"pin": "123456"},
                            headers={"X-Forwarded-For": claimed_address})  # fmt: skip
        return answer.status_code

    with httpx.Client(base_url=function, timeout=30) as direct:
        guesses = [guess(direct, "203.0.113.50") for _ in range(20)]
        assert set(guesses) == {404}
        stopped = guess(direct, "203.0.113.50")
        other = guess(direct, "203.0.113.51")
    assert stopped == 429
    assert other == 404
    # Through the gateway the client's own address is appended after whatever it claims: forging the header
    # (the gateway's one trusted hop) does not reset its budget.
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        via_gateway = [guess(client, f"192.0.2.{i}") for i in range(21)]
    assert via_gateway[:20] == [404] * 20 and via_gateway[20] == 429
    clean_emulators.reset_firestore()  # 127.0.0.1 is limited for the rest of the window: leave nothing behind


def test_record_abuse_timings(pytestconfig: pytest.Config) -> None:
    """Not a check of its own: puts the slowest answer of each hostile request into the table of figures."""
    if _TIMINGS:
        record_figures(pytestconfig, "abuse (slowest answer, ms)", {k: round(v * 1000) for k, v in _TIMINGS.items()})
