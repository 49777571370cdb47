"""HTTP targets for citizens. Each one parses the request, calls one service function and maps the result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flask
import functions_framework

import bootstrap
from bahagia import channels, codes, errors
from edge.http import endpoint, html_response, json_response, prefers_html, read_body
from intake import devices, pages

if TYPE_CHECKING:
    from intake.service import Accepted, IntakeContext


def _project() -> str:
    return bootstrap.settings().project_id


def _client_address(request: flask.Request) -> str:
    hops = bootstrap.settings().trusted_proxy_hops
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return request.remote_addr or "unknown"


def _warm_catalogue() -> None:
    from bahagia.catalogue import catalogue

    catalogue()


def _warm_intake() -> None:
    """What a first submission or status look-up would otherwise build: the clients, validation, the holidays."""
    from bahagia import sla, validation  # noqa: F401 -- imported now for its cost, not at the first request
    from intake import parsing, service  # noqa: F401

    sla.initial_due_at("application", bootstrap.intake_context().clock())


@functions_framework.http
@endpoint(["GET"], _project, warm=_warm_catalogue)
def list_programs(request: flask.Request) -> flask.Response:
    """GET /v1/programs (the catalogue) and GET /v1/openapi.json; 404 for any other path routed here."""
    if request.path.rstrip("/") == "/v1/programs":
        from bahagia.catalogue import catalogue

        return json_response(catalogue().public, headers={"Cache-Control": "public, max-age=300"}, request=request)
    if request.path == "/v1/openapi.json":
        from edge.openapi import openapi_document

        return json_response(openapi_document(), headers={"Cache-Control": "public, max-age=300"}, request=request)
    raise errors.BahagiaError("not_found", "Alamat tidak ditemukan.", 404)


def accept(
    ctx: IntakeContext,
    kind: str,
    body: dict[str, Any],
    idempotency_header: str | None,
    channel: str = channels.DEFAULT_CHANNEL,
    client: str | None = None,
) -> Accepted:
    """Parse at the edge, then the service: a replayed key is answered before the body is judged. The one intake
    path: the forms and the JSON API (`web`), the Open311 facade (`open311`) and the Call Center desk
    (staff.handlers, with the caller's channel) all come through here. `client`: the address that posted it, for the
    SMS budget per address (kept only as a daily keyed hash); none for the desk and Open311, which file for others."""
    from bahagia.validation import parse_submission
    from intake import service
    from intake.parsing import idempotency_key

    key = idempotency_key(kind, body, idempotency_header, channel)
    replayed = service.replay(ctx, key) if key is not None else None
    if replayed is not None:
        return replayed
    return service.submit(ctx, parse_submission(kind, body, ctx.catalogue, service.today(ctx)), key, channel, client)


def _submit(request: flask.Request, kind: str) -> flask.Response:
    body, from_form = read_body(request)
    browser_form = from_form and prefers_html(request)
    try:
        accepted = accept(
            bootstrap.intake_context(),
            kind,
            body,
            request.headers.get("Idempotency-Key"),
            client=_client_address(request),
        )
    except errors.BahagiaError as error:
        if browser_form and error.status in (409, 422):
            return html_response(pages.form_errors(error, kind, body), error.status)
        raise
    code = accepted.response["tracking_code"]
    if browser_form:
        response = flask.Response(status=303, headers={"Location": f"/v1/receipt/{code}", **accepted.headers})
        pages.set_receipt_cookie(response, code, accepted.pin, accepted.response["submitted_at"])
    else:
        response = json_response(
            accepted.body(), 201, {"Location": accepted.response["status_url"], **accepted.headers}
        )
    # The device that filed the code is its owner's: its status look-ups get their own guessing budget.
    devices.remember(response, devices.read(request), code)
    return response


@functions_framework.http
@endpoint(["POST"], _project, warm=_warm_intake)
def submit_application(request: flask.Request) -> flask.Response:
    """POST /v1/applications."""
    return _submit(request, "application")


@functions_framework.http
@endpoint(["POST"], _project, warm=_warm_intake)
def submit_complaint(request: flask.Request) -> flask.Response:
    """POST /v1/complaints."""
    return _submit(request, "complaint")


@functions_framework.http
@endpoint(["GET", "POST"], _project, warm=_warm_intake)
def track_submission(request: flask.Request) -> flask.Response:
    """GET /v1/track/{code}?pin=, POST /v1/track (status form), GET /v1/receipt/{code} (after a form post)."""
    from intake import service

    path = request.path.rstrip("/")
    if path.startswith("/v1/receipt/") and request.method == "GET":
        return _receipt(request, path.removeprefix("/v1/receipt/"))
    raw_code, pin = _code_and_pin(request, path)
    device = devices.read(request)
    try:
        status: dict[str, Any] = service.track(
            bootstrap.intake_context(), raw_code, pin, _client_address(request), device
        )
    except errors.BahagiaError as error:
        if prefers_html(request) and error.status in (404, 429):
            return html_response(pages.track_error(error), error.status, error.headers)
        raise
    response = html_response(pages.status_page(status)) if prefers_html(request) else json_response(status)
    devices.remember(response, device, status["tracking_code"])  # it has shown the right PIN
    return response


def _receipt(request: flask.Request, raw_code: str) -> flask.Response:
    code = codes.normalize_tracking_code(raw_code)
    if code is None:
        raise errors.not_found()
    return pages.receipt(request, code)


def _code_and_pin(request: flask.Request, path: str) -> tuple[str, str | None]:
    """The code and PIN of a status look-up: from the status form's body, or from the path and the query."""
    if path == "/v1/track" and request.method == "POST":
        data, _ = read_body(request)
        raw_code, pin = str(data.get("tracking_code", "")), data.get("pin")
    elif path.startswith("/v1/track/") and request.method == "GET":
        raw_code, pin = path.removeprefix("/v1/track/"), request.args.get("pin")
    else:
        raise errors.BahagiaError("not_found", "Alamat tidak ditemukan.", 404)
    return raw_code, pin if isinstance(pin, str) else None


@functions_framework.http
@endpoint(["POST"], _project, warm=lambda: bootstrap.intake_context())
def relay_outbox(request: flask.Request) -> flask.Response:
    """Internal: publish events left in the outbox (Cloud Scheduler every minute, OIDC-authenticated)."""
    from intake import service

    return json_response(service.relay_outbox(bootstrap.intake_context()))
