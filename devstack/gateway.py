"""The local stand-in for the production load balancer: one port, the route table of infra/topology.json.

Run as its own process by the stack (`python -m devstack.gateway ...`), so a test client hammering it from threads
does not share a GIL with it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import mimetypes
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote, urlsplit

from werkzeug.security import safe_join
from werkzeug.serving import WSGIRequestHandler, make_server

from devstack.config import HOST
from devstack.topology import Topology, load_topology

StartResponse = Callable[..., Any]
WSGIEnviron = dict[str, Any]

# Far above the functions' own 64 KiB limit, so the 413 a client sees below 1 MiB is the function's, as in production.
MAX_BODY_BYTES = 1024 * 1024
# What we are still willing to read and throw away so the client sees our 413 instead of a reset connection.
_DRAIN_LIMIT = 16 * 1024 * 1024
_CHUNK = 64 * 1024

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)

UNAVAILABLE = {"error": {"code": "service_unavailable", "message": "Layanan sedang tidak tersedia, silakan coba lagi."}}
# Same code and text as the functions' own 413 (functions/edge/http.py), so a client sees one shape either way.
TOO_LARGE = {"error": {"code": "body_too_large", "message": "Isi permintaan melebihi 64 KiB."}}
BAD_REQUEST = {"error": {"code": "bad_request", "message": "Permintaan tidak dapat dibaca."}}

log = logging.getLogger("devstack.gateway")


def _json_response(
    start_response: StartResponse, status: str, body: dict[str, Any], close: bool = False
) -> list[bytes]:
    payload = json.dumps(body, ensure_ascii=False).encode()
    headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(payload)))]
    if close:
        headers.append(("Connection", "close"))
    start_response(status, headers)
    return [payload]


def request_uri(environ: WSGIEnviron) -> str:
    """The path and query exactly as the client sent them (werkzeug keeps the raw form in REQUEST_URI)."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw:
        if not raw.startswith("/"):
            # absolute-form ("GET http://host/path HTTP/1.1"), which proxies must accept
            parts = urlsplit(raw)
            raw = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return str(raw)
    query = environ.get("QUERY_STRING", "")
    return quote(environ.get("PATH_INFO", "") or "/") + (f"?{query}" if query else "")


def forwarded_headers(environ: WSGIEnviron) -> list[tuple[str, str]]:
    """The client's headers minus hop-by-hop ones, plus X-Forwarded-* as the production load balancer adds them."""
    headers: list[tuple[str, str]] = []
    connection_tokens = {token.strip().lower() for token in environ.get("HTTP_CONNECTION", "").split(",")}
    for key, value in environ.items():
        if not key.startswith("HTTP_"):
            continue
        name = key[5:].replace("_", "-").title()
        lowered = name.lower()
        if lowered in HOP_BY_HOP or lowered in connection_tokens or lowered in {"content-length", "x-forwarded-for"}:
            continue
        headers.append((name, value))
    if environ.get("CONTENT_TYPE"):
        headers.append(("Content-Type", environ["CONTENT_TYPE"]))
    client = environ.get("REMOTE_ADDR", "")
    earlier = environ.get("HTTP_X_FORWARDED_FOR")
    headers.append(("X-Forwarded-For", f"{earlier}, {client}" if earlier else client))
    if "HTTP_X_FORWARDED_PROTO" not in environ:
        headers.append(("X-Forwarded-Proto", environ.get("wsgi.url_scheme", "http")))
    if "HTTP_HOST" in environ and "HTTP_X_FORWARDED_HOST" not in environ:
        headers.append(("X-Forwarded-Host", environ["HTTP_HOST"]))
    return headers


class _Relay:
    """Streams a backend response to the client chunk by chunk and closes the backend connection at the end."""

    def __init__(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        self._conn = conn
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._response.read1(_CHUNK):
            yield chunk

    def close(self) -> None:
        self._response.close()
        self._conn.close()


class Gateway:
    """WSGI app: route by path, forward to the function's process, or serve the static forms."""

    def __init__(
        self,
        topology: Topology,
        backends: Mapping[str, str],
        static_dir: Path | None,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        backend_timeout: float = 120.0,
    ) -> None:
        self.topology = topology
        self.backends = {name: urlsplit(url) for name, url in backends.items()}
        self.static_dir = static_dir
        self.max_body_bytes = max_body_bytes
        self.backend_timeout = backend_timeout

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        uri = request_uri(environ)
        path = uri.split("?", 1)[0]
        target = self.topology.route_target(path)
        if target is None:
            return self._static(environ, start_response)
        return self._forward(environ, start_response, target, uri)

    def _read_body(self, environ: WSGIEnviron) -> bytes | None:
        """The request body, or None when it is over the limit (the rest is drained so the 413 reaches the client)."""
        stream = environ["wsgi.input"]
        length_header = environ.get("CONTENT_LENGTH", "")
        if length_header:
            length = int(length_header)
            if length > self.max_body_bytes:
                if length <= _DRAIN_LIMIT:
                    while length > 0 and (chunk := stream.read(min(_CHUNK, length))):
                        length -= len(chunk)
                return None
            return bytes(stream.read(length))
        if environ.get("wsgi.input_terminated"):
            # chunked upload: werkzeug has decoded the framing and will signal the end with b""
            body = bytearray()
            while chunk := stream.read(_CHUNK):
                body += chunk
                if len(body) > self.max_body_bytes:
                    return None
            return bytes(body)
        return b""

    def _forward(self, environ: WSGIEnviron, start_response: StartResponse, target: str, uri: str) -> Iterable[bytes]:
        backend = self.backends.get(target)
        if backend is None:
            log.warning("no process for target %s", target)
            return _json_response(start_response, "503 Service Unavailable", UNAVAILABLE)
        try:
            body = self._read_body(environ)
        except ValueError:
            return _json_response(start_response, "400 Bad Request", BAD_REQUEST, close=True)
        if body is None:
            return _json_response(start_response, "413 Content Too Large", TOO_LARGE, close=True)

        method = environ["REQUEST_METHOD"]
        conn = http.client.HTTPConnection(backend.hostname or HOST, backend.port or 80, timeout=self.backend_timeout)
        try:
            conn.putrequest(method, uri, skip_host=True, skip_accept_encoding=True)
            for name, value in forwarded_headers(environ):
                conn.putheader(name, value)
            if body or method in {"POST", "PUT", "PATCH"}:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            log.warning("target %s did not answer: %s", target, type(error).__name__)
            return _json_response(start_response, "503 Service Unavailable", UNAVAILABLE)

        # Server and Date: the gateway's HTTP server writes its own, as a load balancer does.
        headers = [
            (name, value)
            for name, value in response.getheaders()
            if name.lower() not in HOP_BY_HOP and name.lower() not in {"server", "date"}
        ]
        start_response(f"{response.status} {response.reason}", headers)
        return _Relay(conn, response)

    def _static(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method not in {"GET", "HEAD"}:
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return []
        path = environ.get("PATH_INFO", "/") or "/"
        relative = path.lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        file_path = None
        if self.static_dir is not None:
            joined = safe_join(str(self.static_dir), relative)
            if joined is not None and Path(joined).is_file():
                file_path = Path(joined)
            elif joined is not None and "." not in Path(joined).name and Path(joined + ".html").is_file():
                # Clean URLs: /status is web/status.html, as the production bucket serves it (infra/gateway.tf
                # uploads every page a second time without its extension). SMS texts use the short form.
                file_path = Path(joined + ".html")
        # The production web bucket adds the same headers to whatever it answers (backend bucket
        # custom_response_headers, generated from the same topology entry).
        security = list(self.topology.static_headers)
        if file_path is None:
            payload = b"<!doctype html><title>Tidak ditemukan</title><p>Halaman tidak ditemukan.</p>"
            start_response(
                "404 Not Found",
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(payload))), *security],
            )
            return [] if method == "HEAD" else [payload]
        content_type = mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in {"application/javascript", "application/json"}:
            content_type += "; charset=utf-8"
        data = file_path.read_bytes()
        start_response(
            "200 OK",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-cache"),
                *security,
            ],
        )
        return [] if method == "HEAD" else [data]


class _RequestLog(WSGIRequestHandler):
    # Query strings carry PINs (/v1/track/CODE?pin=...): log the path only.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        self.log("info", '"%s %s" %s', self.command, path, getattr(code, "value", code))


def parse_backend(spec: str) -> tuple[str, str]:
    name, sep, url = spec.partition("=")
    if not sep or not name or not url.startswith("http://"):
        raise argparse.ArgumentTypeError(f"--backend takes TARGET=http://HOST:PORT, not {spec!r}")
    return name, url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--topology", type=Path, required=True)
    parser.add_argument("--static-dir", type=Path)
    parser.add_argument("--backend", type=parse_backend, action="append", default=[])
    parser.add_argument("--local-console", action="store_true", help="serve the console's local sign-in (devstack)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    app: Callable[[WSGIEnviron, StartResponse], Iterable[bytes]] = Gateway(
        load_topology(args.topology), dict(args.backend), args.static_dir
    )
    if args.local_console:
        from devstack.local_console import LocalConsole

        app = LocalConsole(app)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=_RequestLog)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    log.info("gateway on http://%s:%s", args.host, args.port)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
