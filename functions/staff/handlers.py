"""HTTP targets of the staff workflow: `staff_api` (everything under /v1/staff/) and the scheduled auto-close."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flask
import functions_framework

import bootstrap
from bahagia import codes, errors
from bahagia.lifecycle import Actor
from edge.http import endpoint, json_response, read_body

if TYPE_CHECKING:
    from staff.service import StaffContext

_SUBMISSION = re.compile(r"^/v1/staff/submissions/(?P<code>[^/]+)(?P<rest>/transitions|/audit)?$")
_USER = re.compile(r"^/v1/staff/users/(?P<email>[^/]+)$")


def _project() -> str:
    return bootstrap.settings().project_id


def _not_found() -> errors.BahagiaError:
    return errors.BahagiaError("not_found", "Alamat tidak ditemukan.", 404)


def _code(raw: str) -> str:
    code = codes.normalize_tracking_code(raw)
    if code is None:
        raise errors.BahagiaError("not_found", "Data tidak ditemukan.", 404)
    return code


def _route(request: flask.Request) -> tuple[list[str], Callable[[Actor], Any]]:
    """(methods the path allows, the call for this request)."""
    from staff import service
    from staff.queries import parse_list_query

    ctx = bootstrap.staff_context()
    path = request.path.rstrip("/")
    if path == "/v1/staff/me":
        return ["GET"], service.whoami
    if path == "/v1/staff/submissions":
        args = {key: request.args.get(key, "") for key in request.args}
        return ["GET"], lambda actor: service.list_submissions(
            ctx, actor, parse_list_query(args, ctx.opd_ids, ctx.settings.staff_page_size_max)
        )
    if match := _SUBMISSION.match(path):
        code, rest = match["code"], match["rest"]
        if rest == "/transitions":
            return ["POST"], lambda actor: _transition(ctx, actor, code, request)
        if rest == "/audit":
            return ["GET"], lambda actor: service.audit_trail(ctx, actor, _code(code))
        return ["GET"], lambda actor: service.read_submission(ctx, actor, _code(code))
    if path == "/v1/staff/users":
        return ["GET"], lambda actor: service.list_staff(ctx, actor)
    if path == "/v1/staff/users/audit":
        return ["GET"], lambda actor: service.staff_changes(ctx, actor)
    if match := _USER.match(path):
        email = match["email"]
        return ["PUT"], lambda actor: _put_staff(ctx, actor, email, request)
    if path.startswith("/v1/staff/reports/"):
        return ["GET"], lambda actor: _report(actor, path)
    if path == "/v1/staff/dashboard":
        return ["GET"], _dashboard
    if path == "/v1/staff/complaints":
        return ["POST"], lambda actor: _file_complaint(actor, request)
    raise _not_found()


# Checked in this order, as clients see it: the path's code (404), the body (400, 413, 415), the role (403), then
# what the body says (422).


def _transition(ctx: StaffContext, actor: Actor, raw_code: str, request: flask.Request) -> dict[str, Any]:
    from staff import service
    from staff.bodies import parse_transition

    code = _code(raw_code)
    body, _ = read_body(request)
    service.require_case_reader(actor)
    return service.transition(ctx, actor, code, parse_transition(body))


def _put_staff(ctx: StaffContext, actor: Actor, email: str, request: flask.Request) -> dict[str, Any]:
    from staff import service
    from staff.bodies import parse_staff_user

    body, _ = read_body(request)
    service.require_admin(actor)
    return service.put_staff(ctx, actor, parse_staff_user(email, body, ctx.opd_ids))


def _file_complaint(actor: Actor, request: flask.Request) -> flask.Response:
    """POST /v1/staff/complaints: the Call Center desk files a caller's complaint or aspiration through the citizens'
    own intake path (validation, Idempotency-Key, outbox, receipt SMS, report counters), with its `channel`."""
    from intake.handlers import accept
    from staff import service
    from staff.bodies import parse_desk_channel

    body, _ = read_body(request)
    service.require_operator(actor)
    channel = parse_desk_channel(body)
    accepted = accept(bootstrap.intake_context(), "complaint", body, request.headers.get("Idempotency-Key"), channel)
    answer = {**accepted.body(), "channel": channel}
    return json_response(answer, 201, {"Location": accepted.response["status_url"], **accepted.headers})


def _dashboard(actor: Actor) -> dict[str, Any]:
    """GET /v1/staff/dashboard: today's figures so far (WIB), computed like the nightly report, nothing stored."""
    from reports.serving import today_figures

    return today_figures(bootstrap.report_context(), actor.role, bootstrap.staff_context().clock())


def _report(actor: Actor, path: str) -> flask.Response:
    """The nightly report files (reports.serving): JSON for staff, suppressed CSV and HTML from the bucket."""
    from edge.http import SECURITY_HEADERS
    from reports.serving import report_download

    download = report_download(bootstrap.report_context(), actor.role, path)
    return flask.Response(
        download.body, headers={**SECURITY_HEADERS, **download.headers}, content_type=download.content_type
    )


@functions_framework.http
@endpoint(["GET", "POST", "PUT"], _project, warm=lambda: bootstrap.staff_context())
def staff_api(request: flask.Request) -> flask.Response:
    """/v1/staff/*: bearer-authenticated list, read, transition and audit of submissions; staff management; the
    Call Center desk; reports and today's figures."""
    from staff import service

    actor = service.authenticate(bootstrap.staff_context(), request.headers.get("Authorization"))
    methods, call = _route(request)
    if request.method not in methods:
        raise errors.method_not_allowed(methods)
    result = call(actor)
    return result if isinstance(result, flask.Response) else json_response(result, request=request)


@functions_framework.http
@endpoint(["POST"], _project, warm=lambda: bootstrap.staff_context())
def close_stale_followups(request: flask.Request) -> flask.Response:
    """Internal: close follow-ups idle for 10 working days (Cloud Scheduler daily, OIDC-authenticated)."""
    from staff import service

    return json_response(service.close_stale_followups(bootstrap.staff_context()))
