"""The console's local-only sign-in (devstack/local_console.py): served by the local gateway, never part of web/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from bahagia.catalogue import catalogue
from devstack.local_console import LocalConsole, console_config
from settings import Settings
from staff import auth

ROOT = Path(__file__).resolve().parents[2]


def _gateway(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"gateway"]


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.delenv("BAHAGIA_STAFF_AUTH", raising=False)
    return Client(LocalConsole(_gateway), Response)


def test_the_config_offers_the_local_sign_in(client: Client) -> None:
    response = client.get("/petugas/config.json")
    assert response.status_code == 200
    assert response.get_json() == {"auth": "local", "local_sign_in": "/petugas/masuk-lokal.html"}


def test_with_google_sign_in_the_config_names_the_client_id_and_there_is_no_local_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAHAGIA_STAFF_AUTH", "google")
    monkeypatch.setenv("BAHAGIA_STAFF_AUDIENCE", "123.apps.googleusercontent.com")
    assert client.get("/petugas/config.json").get_json() == {
        "auth": "google",
        "google_client_id": "123.apps.googleusercontent.com",
    }
    assert client.get("/petugas/masuk-lokal.html").get_data() == b"gateway"
    assert console_config("google", "x") == {"auth": "google", "google_client_id": "x"}


def test_the_local_page_says_it_is_local_only(client: Client) -> None:
    page = client.get("/petugas/masuk-lokal.html")
    assert page.status_code == 200
    assert page.content_type == "text/html; charset=utf-8"
    assert "HANYA LOKAL" in page.get_data(as_text=True)
    script = client.get("/petugas/lokal/masuk-lokal.mjs")
    assert script.content_type.startswith("text/javascript")
    assert client.get("/petugas/").get_data() == b"gateway"


def test_a_token_for_the_chosen_role_is_one_the_stack_accepts(client: Client) -> None:
    response = client.post(
        "/__lokal/staff-token", json={"role": "opd", "opd": "dinas-pupr", "email": "budi@staff.local"}
    )
    assert response.status_code == 200
    settings = Settings()
    verifier = auth.LocalTokenVerifier(settings.keys.staff_token, settings.staff_audience, set(catalogue().opd))
    actor = verifier.verify(response.get_json()["token"])
    assert (actor.email, actor.role, actor.opd) == ("budi@staff.local", "opd", "dinas-pupr")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"role": "lurah"}, 422, "invalid_role"),
        ({"role": "opd"}, 422, "invalid_role"),
        ({"role": "verifikator", "email": "not an address"}, 422, "invalid_email"),
        ({"role": 7}, 400, "bad_request"),
        ([], 400, "bad_request"),
    ],
)
def test_a_role_that_cannot_be_is_refused_in_json(client: Client, body: Any, status: int, code: str) -> None:
    response = client.post("/__lokal/staff-token", data=json.dumps(body), content_type="application/json")
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert client.get("/__lokal/staff-token").status_code == 405
    assert client.post("/__lokal/staff-token", data=b"{", content_type="application/json").status_code == 400


def test_web_which_terraform_uploads_holds_no_local_sign_in_and_no_config() -> None:
    uploaded = {str(path.relative_to(ROOT / "web")) for path in (ROOT / "web").rglob("*") if path.is_file()}
    assert "petugas/config.json" not in uploaded  # Terraform writes it (infra/gateway.tf), with Google's client id
    assert not [name for name in uploaded if "lokal" in name]
    for name in uploaded:
        if name.endswith((".html", ".mjs", ".js")):
            text = (ROOT / "web" / name).read_text(encoding="utf-8")
            assert "__lokal" not in text, name


def test_the_local_page_carries_the_consoles_policy() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import build_console

    page = (ROOT / "devstack" / "console_pages" / "masuk-lokal.html").read_text(encoding="utf-8")
    assert f'<meta http-equiv="Content-Security-Policy" content="{build_console.content_security_policy()}">' in page
