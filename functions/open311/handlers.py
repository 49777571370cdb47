"""HTTP target open311: Open311 GeoReport v2 under /open311/v2/, in JSON and XML (the format is the path's suffix).

Errors use the spec's shape (`[{"code", "description"}]`, or `<errors><error>`) in the requested format, with the
spec's statuses: 404 unknown resource, 403 api_key, 400 anything else; 503 (with Retry-After) when a backing service
is down, as everywhere in this API.
"""

from __future__ import annotations

import json
import re
from typing import Any

import flask
import functions_framework

import bootstrap
from bahagia import errors, open311
from web import logs
from web.http import SECURITY_HEADERS, _is_unavailable, read_body

log = logs.get_logger("bahagia.open311")

_PATH = re.compile(
    r"^/open311/v2/(?P<resource>discovery|services|requests)(?:/(?P<id>[A-Za-z0-9_-]{1,64}))?\.(?P<format>json|xml)$"
)


def _render(payload: Any, root: str, fmt: str, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    if fmt == "json":
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    else:
        body = open311.to_xml(root, payload)
    return flask.Response(
        body,
        status=status,
        headers={**SECURITY_HEADERS, **(headers or {})},
        content_type=f"{open311.FORMATS[fmt]}; charset=utf-8",
    )


def _first_values(values: Any) -> dict[str, str]:
    return {str(key): str(value) for key, value in values.items() if isinstance(value, str | int | float)}


def _dispatch(request: flask.Request, resource: str, ident: str | None, fmt: str) -> Any:
    from open311 import service

    ctx = bootstrap.open311_context()
    args = _first_values(request.args)
    cached = {"Cache-Control": "public, max-age=300"}
    if request.method == "POST" and resource == "requests" and ident is None:
        data, _ = read_body(request)
        # Some clients put api_key and jurisdiction_id in the query string and the rest in the body.
        form = {**args, **_first_values(data)}
        answer = service.post_request(ctx, form, request.headers.get("Idempotency-Key"))
        # 200, not 201: the spec shows none, and the Open311 servers clients were written against answer 200.
        return _render(answer, "service_requests", fmt)
    if request.method != "GET":
        raise errors.method_not_allowed(["GET", "POST"] if resource == "requests" and ident is None else ["GET"])
    if resource == "discovery" and ident is None:
        return _render(service.discovery(ctx), "discovery", fmt, headers=cached)
    if resource == "services":
        open311.check_jurisdiction(args.get("jurisdiction_id"))
        if ident is None:
            return _render(open311.services(ctx.catalogue), "services", fmt, headers=cached)
        return _render(open311.service_definition(ctx.catalogue, ident), "service_definition", fmt, headers=cached)
    if resource == "requests":
        if ident is None:
            return _render(service.list_requests(ctx, args), "service_requests", fmt)
        return _render(service.get_request(ctx, ident, args), "service_requests", fmt)
    raise open311.not_found("Alamat")


@functions_framework.http
def open311_api(request: flask.Request) -> Any:
    """Open311 GeoReport v2: GET discovery, services, services/{code}, requests, requests/{id}; POST requests."""
    logs.set_trace(
        request.headers.get("X-Cloud-Trace-Context") or request.headers.get("traceparent"),
        bootstrap.settings().project_id,
    )
    match = _PATH.match(request.path)
    fmt = match["format"] if match else ("json" if request.path.endswith(".json") else "xml")
    try:
        if match is None:
            raise open311.not_found("Alamat")
        return _dispatch(request, match["resource"], match["id"], fmt)
    except open311.Open311Error as error:
        return _render(error.payload(), "errors", fmt, error.status)
    except errors.BahagiaError as error:
        if error.status >= 500:
            log.warning("open311 request failed", extra={"fields": {"code": error.code, "status": error.status}})
        return _render([{"code": error.status, "description": error.message}], "errors", fmt, error.status,
                       error.headers)  # fmt: skip
    except Exception as exc:
        if _is_unavailable(exc):
            log.warning("backing service unavailable", exc_info=True, extra={"fields": {"status": 503}})
            down = errors.unavailable()
            return _render([{"code": 503, "description": down.message}], "errors", fmt, 503, down.headers)
        log.exception("unexpected error", extra={"fields": {"status": 500}})
        return _render([{"code": 500, "description": "Terjadi kesalahan pada sistem kami."}], "errors", fmt, 500)
