"""The few HTML pages a browser without JavaScript needs: receipt, status, and errors of a form post."""

from __future__ import annotations

from functools import cache
from typing import Any

import flask
import jinja2
from itsdangerous import BadSignature, URLSafeTimedSerializer

import bootstrap
from bahagia import calendar, codes
from bahagia.errors import BahagiaError

RECEIPT_COOKIE = "bahagia_receipt"
RECEIPT_MAX_AGE = 15 * 60


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        # intake's own pages, on the one base.html that the static forms (tools/build_web.py) share.
        loader=jinja2.ChoiceLoader(
            [jinja2.PackageLoader("intake", "templates"), jinja2.PackageLoader("edge", "templates")]
        ),
        autoescape=jinja2.select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Every date a citizen reads: the WIB calendar date, in Indonesian ("27 Maret 2026").
    env.filters["tanggal"] = calendar.indonesian_date
    return env


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(bootstrap.settings().keys.cookie, salt="receipt")


def _secure() -> bool:
    return bootstrap.settings().public_base_url.startswith("https://")


def set_receipt_cookie(response: flask.Response, code: str, pin: str, submitted_at: str) -> None:
    """The PIN travels to the receipt page in a short-lived signed cookie, never in a URL (URLs end up in logs)."""
    response.set_cookie(
        RECEIPT_COOKIE,
        _serializer().dumps({"c": code, "p": pin, "t": submitted_at}),
        max_age=RECEIPT_MAX_AGE,
        path=f"/v1/receipt/{code}",
        secure=_secure(),
        httponly=True,
        samesite="Lax",
    )


def receipt(request: flask.Request, code: str) -> flask.Response:
    from edge.http import html_response

    pin = received_at = None
    token = request.cookies.get(RECEIPT_COOKIE)
    if token:
        try:
            data = _serializer().loads(token, max_age=RECEIPT_MAX_AGE)
            if data.get("c") == code:
                pin, received_at = data.get("p"), data.get("t")
        except BadSignature:
            pin = None
    html = (
        _env()
        .get_template("receipt.html")
        .render(
            code=codes.format_tracking_code(code),
            raw_code=code,
            pin=pin,
            received_at=received_at,
            base_url=bootstrap.settings().public_base_url,
        )
    )
    response = html_response(html)
    if token:
        # Shown once: the answer that shows the PIN removes the cookie that carried it, so a reload, the back button
        # or the next person at a shared computer sees the code without the PIN (Cache-Control: no-store keeps the
        # page itself out of the history cache).
        response.delete_cookie(
            RECEIPT_COOKIE, path=f"/v1/receipt/{code}", secure=_secure(), httponly=True, samesite="Lax"
        )
    return response


def status_page(status: dict[str, Any]) -> str:
    return (
        _env()
        .get_template("status.html")
        .render(status=status, code=codes.format_tracking_code(status["tracking_code"]))
    )


def track_error(error: BahagiaError) -> str:
    return (
        _env()
        .get_template("message.html")
        .render(title="Status tidak dapat ditampilkan", error=error, back="/status.html")
    )


def _form_of(kind: str, data: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The static form a post came from (web/, built by tools/build_web.py) and its field labels by dotted name."""
    from bahagia.catalogue import catalogue

    public = catalogue().public
    if kind == "application":
        program = next((p for p in public["programs"] if p["id"] == data.get("program")), None)
        if program is None:
            return "/", {}
        return f"/program/{program['id']}.html", {f["name"]: f["label"] for f in program["fields"]}
    categories = public["complaint_categories"]
    category = next((c for c in categories if c["id"] == data.get("category")), categories[0])
    url = "/pengaduan.html" + (f"?kategori={category['id']}" if category["id"] == data.get("category") else "")
    return url, {f["name"]: f["label"] for f in category["fields"]}


def form_errors(error: BahagiaError, kind: str, data: dict[str, Any]) -> str:
    form_url, labels = _form_of(kind, data)
    details = [{"label": labels.get(d.field), "message": d.message} for d in error.details]
    return _env().get_template("form_errors.html").render(error=error, details=details, form_url=form_url)
