"""Responses and the error boundary every HTTP target shares."""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Callable
from typing import Any

import flask
import functions_framework

import logs
from bahagia import errors
from bahagia.errors import BahagiaError
from edge.forms import MAX_BODY_BYTES, parse_body
from edge.warmup import WARMUP_PATH

log = logs.get_logger("bahagia.http")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    # Browsers only honour it over HTTPS (production, behind the load balancer); plain-HTTP `make run` is unaffected.
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Frame-Options": "DENY",  # for browsers older than CSP's frame-ancestors
    # JSON is never a document to run or to frame.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}

PAGE_POLICY = (
    # The receipt, status and error pages: the same policy as the static forms (infra/topology.json, checked by
    # tests/unit/test_security_headers.py), one for the whole site: only its own stylesheet, icon and scripts (these
    # pages have none), forms that post to it, no <base>, no framing.
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None, request: flask.Request | None = None
) -> flask.Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    all_headers = {**SECURITY_HEADERS, **(headers or {})}
    if request is not None and len(body) > 1400 and "gzip" in request.headers.get("Accept-Encoding", ""):
        # The catalogue is ~100 KB of very repetitive JSON; a cheap phone on a slow network gets ~10 KB.
        body = gzip.compress(body, compresslevel=6)
        all_headers["Content-Encoding"] = "gzip"
        all_headers["Vary"] = "Accept-Encoding"
    return flask.Response(body, status=status, headers=all_headers, content_type="application/json; charset=utf-8")


def html_response(html: str, status: int = 200, headers: dict[str, str] | None = None) -> flask.Response:
    return flask.Response(
        html,
        status=status,
        headers={
            **SECURITY_HEADERS,
            "Content-Security-Policy": PAGE_POLICY,
            **(headers or {}),
        },
        content_type="text/html; charset=utf-8",
    )


def error_response(error: BahagiaError) -> flask.Response:
    payload: dict[str, Any] = {"error": {"code": error.code, "message": error.message}}
    if error.details:
        payload["error"]["details"] = [d.as_dict() for d in error.details]
    return json_response(payload, error.status, error.headers)


def _unrouted(error: Exception) -> flask.Response:
    return error_response(BahagiaError("not_found", "Alamat tidak ditemukan.", 404))


# functions-framework routes every path to the target through `/<path:path>`, which does not match a path holding a
# newline (/v1/track/AB%0ACD): Flask would answer its own HTML 404, and every error of this API is JSON.
# (Outside functions-framework, e.g. in unit tests, `errorhandler` is a no-op stand-in.)
functions_framework.errorhandler(404)(_unrouted)


def prefers_html(request: flask.Request) -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


def read_body(request: flask.Request) -> tuple[dict[str, Any], bool]:
    """The parsed body (nested dict) and whether it was a form post. 413 past 64 KiB, without reading it all."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise BahagiaError("body_too_large", "Isi permintaan melebihi 64 KiB.", 413)
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise BahagiaError("body_too_large", "Isi permintaan melebihi 64 KiB.", 413)
    if not raw and not request.content_type:
        raise errors.malformed("Isi permintaan kosong.")
    return parse_body(request.content_type, raw)


def _is_unavailable(exc: BaseException) -> bool:
    """A backing service (Firestore, Pub/Sub) that did not answer in time or refused for now."""
    from google.api_core import exceptions as gexc

    return isinstance(
        exc, (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.RetryError, gexc.Aborted, gexc.TooManyRequests)
    ) or type(exc).__name__ in {"_InactiveRpcError", "TimeoutError"}


Handler = Callable[..., flask.Response]
ErrorRenderer = Callable[[flask.Request, BahagiaError], flask.Response]
"""How a target shows an error: this API's JSON shape by default; open311 answers in the GeoReport v2 shape."""


def endpoint(
    methods: list[str],
    project_id: Callable[[], str],
    render_error: ErrorRenderer | None = None,
    warm: Callable[[], object] | None = None,
) -> Callable[[Handler], Handler]:
    """The error boundary: domain errors become their status, outages a 503, and nothing a client sends a 500.

    `GET /_ah/warmup` (edge/warmup.py; no public route reaches it) runs `warm`, which builds what the target's first
    request would otherwise wait for, and answers 204 without running the handler.
    """

    def render(request: flask.Request, error: BahagiaError) -> flask.Response:
        return render_error(request, error) if render_error is not None else error_response(error)

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(request: flask.Request) -> flask.Response:
            logs.set_request_context(request.headers, project_id())
            try:
                if request.path == WARMUP_PATH and request.method == "GET":
                    if warm is not None:
                        warm()
                    return flask.Response(status=204)
                if request.method not in methods:
                    raise errors.method_not_allowed(methods)
                return handler(request)
            except BahagiaError as error:
                if error.status >= 500:
                    log.warning("request failed", extra={"fields": {"code": error.code, "status": error.status}})
                return render(request, error)
            except Exception as exc:
                if _is_unavailable(exc):
                    log.warning("backing service unavailable", exc_info=True, extra={"fields": {"status": 503}})
                    return render(request, errors.unavailable())
                log.exception("unexpected error", extra={"fields": {"status": 500}})
                return render(request, BahagiaError("internal", "Terjadi kesalahan pada sistem kami.", 500))

        return wrapper

    return decorate
