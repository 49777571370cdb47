"""HTTP target open311: Open311 GeoReport v2 under /open311/v2/, in JSON and XML (the format is the path's suffix).

Errors use the spec's shape (`[{"code", "description"}]`, or `<errors><error>`) in the requested format, with the
spec's statuses: 404 unknown resource, 403 api_key, 400 anything else; 503 (with Retry-After) when a backing service
is down, as everywhere in this API. The error boundary is the shared one (edge.http.endpoint), with this renderer.
"""

from __future__ import annotations

import json
import re
from typing import Any

import flask
import functions_framework

import bootstrap
from bahagia import errors, open311
from edge.http import SECURITY_HEADERS, endpoint, read_body

_PATH = re.compile(
    r"^/open311/v2/(?P<resource>discovery|services|requests)(?:/(?P<id>[A-Za-z0-9_-]{1,64}))?\.(?P<format>json|xml)$"
)
_CACHED = {"Cache-Control": "public, max-age=300"}


def _project() -> str:
    return bootstrap.settings().project_id


def _format(request: flask.Request) -> str:
    """The requested format; XML, the spec's required one, when the path names none."""
    return "json" if request.path.endswith(".json") else "xml"


def _render(
    payload: Any, root: str, fmt: str, status: int = 200, headers: dict[str, str] | None = None
) -> flask.Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode() if fmt == "json" else None
    return flask.Response(
        body if body is not None else open311.to_xml(root, payload),
        status=status,
        headers={**SECURITY_HEADERS, **(headers or {})},
        content_type=f"{open311.FORMATS[fmt]}; charset=utf-8",
    )


def _render_error(request: flask.Request, error: errors.BahagiaError) -> flask.Response:
    payload = (
        error.payload()
        if isinstance(error, open311.Open311Error)
        else [{"code": error.status, "description": error.message}]
    )
    return _render(payload, "errors", _format(request), error.status, error.headers)


def _first_values(values: Any) -> dict[str, str]:
    return {str(key): str(value) for key, value in values.items() if isinstance(value, str | int | float)}


@functions_framework.http
@endpoint(["GET", "POST"], _project, render_error=_render_error)
def open311_api(request: flask.Request) -> flask.Response:
    """Open311 GeoReport v2: GET discovery, services, services/{code}, requests, requests/{id}; POST requests."""
    from open311 import service

    match = _PATH.match(request.path)
    if match is None:
        raise open311.not_found("Alamat")
    resource, ident, fmt = match["resource"], match["id"], match["format"]
    ctx = bootstrap.open311_context()
    args = _first_values(request.args)
    if resource == "requests" and ident is None and request.method == "POST":
        body, _ = read_body(request)
        # Some clients put api_key and jurisdiction_id in the query string and the rest in the body.
        form = {**args, **_first_values(body)}
        answer = service.post_request(ctx, form, request.headers.get("Idempotency-Key"))
        # 200, not 201: the spec shows none, and the Open311 servers clients were written against answer 200.
        return _render(answer, "service_requests", fmt)
    if request.method != "GET":
        raise errors.method_not_allowed(["GET"])
    if resource == "discovery" and ident is None:
        return _render(service.discovery(ctx), "discovery", fmt, headers=_CACHED)
    if resource == "services":
        open311.check_jurisdiction(args.get("jurisdiction_id"))
        payload: Any
        if ident is None:
            payload, root = open311.services(ctx.catalogue), "services"
        else:
            payload, root = open311.service_definition(ctx.catalogue, ident), "service_definition"
        return _render(payload, root, fmt, headers=_CACHED)
    if resource == "requests" and ident is None:
        return _render(service.list_requests(ctx, args), "service_requests", fmt)
    if resource == "requests":
        return _render(service.get_request(ctx, ident, args), "service_requests", fmt)
    raise open311.not_found("Alamat")
