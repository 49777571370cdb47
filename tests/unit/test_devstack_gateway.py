"""The gateway in-process against a tiny HTTP backend on a loopback socket: forwarding, limits, static files."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from devstack.config import free_ports
from devstack.gateway import MAX_BODY_BYTES, UNAVAILABLE, Gateway
from devstack.topology import TopologyError, load_topology, parse_topology

TOPOLOGY = parse_topology(
    {
        "http_targets": ["list_programs", "submit_application", "track_submission", "slow"],
        "default_target": "list_programs",
        "routes": [
            {"path": "/v1/programs", "target": "list_programs"},
            {"path": "/v1/applications", "target": "submit_application"},
            {"path": "/v1/track/*", "target": "track_submission"},
            {"path": "/v1/slow", "target": "slow"},
        ],
    }
)


class _Echo(BaseHTTPRequestHandler):
    """Answers with what it received; a few paths answer like the real handlers do in special cases."""

    protocol_version = "HTTP/1.1"
    name = "?"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.startswith("/v1/slow"):
            time.sleep(0.3)
        if self.path.startswith("/v1/applications/redirect"):
            self.send_response(303)
            self.send_header("Location", "/v1/receipt/K7PX")
            self.send_header("Set-Cookie", "receipt=abc; Path=/; HttpOnly")
            self.send_header("Set-Cookie", "lang=id; Path=/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = json.dumps(
            {
                "target": self.server.target_name,  # type: ignore[attr-defined]
                "method": self.command,
                "uri": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_length": len(body),
                "body_head": body[:64].decode("latin-1"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Keep-Alive", "timeout=5")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Backend(ThreadingHTTPServer):
    # socketserver's default backlog of 5 refuses connections under a burst; gunicorn's is 2048
    request_queue_size = 128


def _backend(name: str) -> tuple[ThreadingHTTPServer, str]:
    server = _Backend(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    server.target_name = name  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    (root / "index.html").write_text("<!doctype html><title>Layanan Bahagia</title>", encoding="utf-8")
    (root / "css").mkdir()
    (root / "css" / "site.css").write_text("body{}", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def gateway(static_dir: Path) -> Iterator[int]:
    backends = {}
    servers = []
    for name in ("list_programs", "submit_application", "track_submission", "slow"):
        server, url = _backend(name)
        servers.append(server)
        backends[name] = url
    app = Gateway(TOPOLOGY, backends, static_dir)
    front = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    yield front.server_port
    front.shutdown()
    front.server_close()
    for server in servers:
        server.shutdown()
        server.server_close()


def _request(
    port: int, method: str, uri: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, uri, body=body, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def _echo(
    port: int, method: str, uri: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response, payload = _request(port, method, uri, body, headers or {})
    assert response.status == 200, payload
    result: dict[str, Any] = json.loads(payload)
    result["header_map"] = {k.lower(): v for k, v in result["headers"]}
    return result


def test_forwards_method_full_path_query_and_body(gateway: int) -> None:
    seen = _echo(
        gateway,
        "POST",
        "/v1/applications?x=1&y=%20z",
        b'{"program": "balikat"}',
        headers={
            "Content-Type": "application/json",
        },
    )
    assert seen["target"] == "submit_application"
    assert seen["method"] == "POST"
    assert seen["uri"] == "/v1/applications?x=1&y=%20z"
    assert seen["body_head"] == '{"program": "balikat"}'
    assert seen["header_map"]["content-type"] == "application/json"


def test_prefix_route_sees_the_whole_path(gateway: int) -> None:
    seen = _echo(gateway, "GET", "/v1/track/K7PX-M3QD?pin=123456")
    assert (seen["target"], seen["uri"]) == ("track_submission", "/v1/track/K7PX-M3QD?pin=123456")


def test_unrouted_api_path_goes_to_the_default_target(gateway: int) -> None:
    assert _echo(gateway, "DELETE", "/v1/nothing/here")["target"] == "list_programs"


def test_headers_trace_and_forwarded_for(gateway: int) -> None:
    seen = _echo(
        gateway,
        "GET",
        "/v1/programs",
        headers={
            "X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/1;o=1",
            "traceparent": "00-105445aa7843bc8bf206b12000100000-0000000000000001-01",
            "X-Forwarded-For": "203.0.113.9",
            "Idempotency-Key": "key-12345678",
            "Connection": "keep-alive, X-Secret-Hop",
            "X-Secret-Hop": "only for the first hop",
        },
    )
    headers = seen["header_map"]
    assert headers["x-cloud-trace-context"] == "105445aa7843bc8bf206b12000100000/1;o=1"
    assert headers["traceparent"] == "00-105445aa7843bc8bf206b12000100000-0000000000000001-01"
    assert headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert headers["idempotency-key"] == "key-12345678"
    assert headers["host"] == f"127.0.0.1:{gateway}"
    assert "x-secret-hop" not in headers


def test_redirect_and_cookies_pass_through_unchanged(gateway: int) -> None:
    response, _ = _request(gateway, "POST", "/v1/applications/redirect", b"a=b")
    # /v1/applications is an exact route; this path is the default target's, whose echo also redirects here
    assert response.status == 303
    assert response.getheader("Location") == "/v1/receipt/K7PX"
    assert response.headers.get_all("Set-Cookie") == ["receipt=abc; Path=/; HttpOnly", "lang=id; Path=/"]
    assert response.headers.get_all("Server") is not None
    assert len(response.headers.get_all("Server") or []) == 1
    assert response.getheader("Keep-Alive") is None


def test_a_body_over_64_kib_reaches_the_function_whole(gateway: int) -> None:
    body = b"x" * (100 * 1024)
    assert _echo(gateway, "POST", "/v1/applications", body)["body_length"] == len(body)


def test_chunked_upload_is_forwarded_with_a_length(gateway: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", gateway, timeout=30)
    try:
        conn.request(
            "POST",
            "/v1/applications",
            body=iter([b"a" * 1000, b"b" * 2000]),
            encode_chunked=True,
            headers={"Transfer-Encoding": "chunked"},
        )
        response = conn.getresponse()
        seen = json.loads(response.read())
    finally:
        conn.close()
    headers = {k.lower(): v for k, v in seen["headers"]}
    assert seen["body_length"] == 3000
    assert headers["content-length"] == "3000"
    assert "transfer-encoding" not in headers


def test_a_body_over_the_gateway_cap_is_413_json(gateway: int) -> None:
    response, payload = _request(gateway, "POST", "/v1/applications", b"x" * (MAX_BODY_BYTES + 1))
    assert response.status == 413
    assert response.getheader("Content-Type", "").startswith("application/json")
    assert json.loads(payload)["error"]["code"] == "body_too_large"


def test_a_backend_that_is_down_is_503_json(static_dir: Path) -> None:
    (closed_port,) = free_ports(1)
    app = Gateway(TOPOLOGY, {"list_programs": f"http://127.0.0.1:{closed_port}"}, static_dir)
    front = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    try:
        for uri in ("/v1/programs", "/v1/applications"):  # the second has no process at all
            response, payload = _request(front.server_port, "GET", uri)
            assert response.status == 503
            assert json.loads(payload) == UNAVAILABLE
            assert UNAVAILABLE == {
                "error": {"code": "service_unavailable", "message": "Layanan sedang tidak tersedia, silakan coba lagi."}
            }
    finally:
        front.shutdown()
        front.server_close()


def test_static_files_and_index(gateway: int) -> None:
    response, payload = _request(gateway, "GET", "/")
    assert response.status == 200
    assert b"Layanan Bahagia" in payload
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    response, payload = _request(gateway, "GET", "/css/site.css")
    assert (response.status, payload) == (200, b"body{}")
    assert response.getheader("Content-Type", "").startswith("text/css")


@pytest.mark.parametrize("uri", ["/missing.html", "/../pyproject.toml", "/%2e%2e/pyproject.toml", "/css/../../x"])
def test_static_misses_and_escapes_are_404(gateway: int, uri: str) -> None:
    response, _ = _request(gateway, "GET", uri)
    assert response.status == 404


def test_static_files_are_read_only(gateway: int) -> None:
    response, _ = _request(gateway, "POST", "/", b"x")
    assert response.status == 405
    assert response.getheader("Allow") == "GET, HEAD"


def test_fifty_concurrent_clients(gateway: int) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda i: _echo(gateway, "POST", f"/v1/slow?i={i}", b"{}")["uri"], range(50)))
    assert sorted(results) == sorted(f"/v1/slow?i={i}" for i in range(50))
    # each backend call sleeps 0.3 s; served one after another they would take 15 s
    assert time.monotonic() - started < 8


def test_clean_urls_serve_the_page_without_its_extension(gateway: int, static_dir: Path) -> None:
    (static_dir / "status.html").write_text("<p>status</p>", encoding="utf-8")
    response, payload = _request(gateway, "GET", "/status")
    assert (response.status, payload) == (200, b"<p>status</p>")
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    response, _ = _request(gateway, "GET", "/status.css")
    assert response.status == 404


def test_static_responses_carry_the_security_headers_of_the_topology(static_dir: Path) -> None:
    """CSP, HSTS, frame-ancestors: the real topology's list, on pages and on misses, as the web bucket sends them."""
    topology = load_topology()
    assert dict(topology.static_headers), "infra/topology.json lists no static response headers"
    app = Gateway(topology, {}, static_dir)
    front = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    try:
        for uri, status in (("/", 200), ("/css/site.css", 200), ("/missing.html", 404)):
            response, _ = _request(front.server_port, "GET", uri)
            assert response.status == status
            for name, value in topology.static_headers:
                assert response.getheader(name) == value, (uri, name)
    finally:
        front.shutdown()
        front.server_close()


def test_response_headers_must_be_strings() -> None:
    raw = {"http_targets": ["a"], "default_target": "a", "static": {"response_headers": {"X-Frame-Options": 1}}}
    with pytest.raises(TopologyError, match=r"static\.response_headers"):
        parse_topology(raw)
