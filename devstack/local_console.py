"""The staff console's local-only pieces, served by the local gateway in front of everything else.

In production the console's sign-in is Google (web/petugas/masuk.html reads /petugas/config.json, which Terraform
writes with the OAuth client id). Locally there is no Google: this middleware answers

- `GET /petugas/config.json`: `{"auth": "local", ...}` (or the Google client id when BAHAGIA_STAFF_AUTH=google);
- `GET /petugas/masuk-lokal.html` and `/petugas/lokal/masuk-lokal.mjs`: a sign-in page, marked LOCAL ONLY, where a
  developer picks a role and an OPD (files in devstack/console_pages/, never in web/, which Terraform uploads);
- `POST /__lokal/staff-token` `{"role", "opd", "email"}`: the token `make staff-token` prints (devstack.staff_token).

Nothing here exists behind the production load balancer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from devstack import staff_token

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

PAGES_DIR = Path(__file__).resolve().parent / "console_pages"
SIGN_IN_PAGE = "/petugas/masuk-lokal.html"
FILES = {
    SIGN_IN_PAGE: ("masuk-lokal.html", "text/html; charset=utf-8"),
    "/petugas/masuk-lokal": ("masuk-lokal.html", "text/html; charset=utf-8"),
    "/petugas/lokal/masuk-lokal.mjs": ("masuk-lokal.mjs", "text/javascript; charset=utf-8"),
}
CONFIG_PATH = "/petugas/config.json"
TOKEN_PATH = "/__lokal/staff-token"  # noqa: S105 -- a path, not a secret
MAX_BODY = 4096


def _respond(start_response: StartResponse, status: str, body: bytes, content_type: str) -> list[bytes]:
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [body]


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    return _respond(start_response, status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")


def _error(start_response: StartResponse, status: str, code: str, message: str) -> list[bytes]:
    return _json(start_response, status, {"error": {"code": code, "message": message}})


def console_config(auth_mode: str, audience: str) -> dict[str, Any]:
    if auth_mode == "google":
        return {"auth": "google", "google_client_id": audience}
    return {"auth": "local", "local_sign_in": SIGN_IN_PAGE}


class LocalConsole:
    """WSGI middleware: the paths above, everything else to `app` (the gateway)."""

    def __init__(self, app: WSGIApp, issue: Callable[[str, str | None, str], str] = staff_token.issue) -> None:
        self.app = app
        self.issue = issue

    def _settings(self) -> tuple[str, str]:
        staff_token._functions_on_path()
        from settings import Settings

        settings = Settings()
        return settings.staff_auth, settings.staff_audience

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == CONFIG_PATH and method in ("GET", "HEAD"):
            return _json(start_response, "200 OK", console_config(*self._settings()))
        if path in FILES and method in ("GET", "HEAD"):
            if self._settings()[0] != "local":
                return self.app(environ, start_response)  # with Google sign-in there is no local page
            name, content_type = FILES[path]
            return _respond(start_response, "200 OK", (PAGES_DIR / name).read_bytes(), content_type)
        if path == TOKEN_PATH:
            return self._token(environ, start_response)
        return self.app(environ, start_response)

    def _token(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _error(start_response, "405 Method Not Allowed", "method_not_allowed", "Gunakan POST.")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            return _error(start_response, "400 Bad Request", "bad_request", "Isi permintaan tidak sah.")
        try:
            body = json.loads(environ["wsgi.input"].read(length))
        except (ValueError, UnicodeDecodeError):
            return _error(start_response, "400 Bad Request", "bad_request", "Isi permintaan bukan JSON.")
        if not isinstance(body, dict) or not all(isinstance(body.get(k, ""), str) for k in ("role", "opd", "email")):
            return _error(start_response, "400 Bad Request", "bad_request", "Isi permintaan tidak sah.")
        email = body.get("email", "").strip()
        if email and ("@" not in email or len(email) > 254 or any(ch.isspace() for ch in email)):
            return _error(start_response, "422 Unprocessable Content", "invalid_email", "Alamat e-mail tidak sah.")
        try:
            token = self.issue(body.get("role", ""), body.get("opd") or None, email)
        except staff_token.TokenRequestError as problem:
            return _error(start_response, "422 Unprocessable Content", "invalid_role", str(problem))
        return _json(start_response, "200 OK", {"token": token})
