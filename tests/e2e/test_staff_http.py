"""The staff API over HTTP through the local gateway: tokens, roles, a complaint walked to selesai, the track page."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from settings import Settings
from staff import auth
from tests import samples

REPORTER_PHONE = "+6281311112222"


def token(
    role: str,
    opd: str | None = None,
    *,
    ttl: dt.timedelta = dt.timedelta(hours=1),
    key: bytes | None = None,
    email: str | None = None,
) -> str:
    """What `make staff-token` prints: signed with the settings the stack's processes read (same environment)."""
    settings = Settings()
    return auth.issue_local_token(
        key or settings.keys.staff_token,
        settings.staff_audience,
        email or f"{role}@jambikota.go.id",
        role,
        opd,
        dt.datetime.now(dt.UTC),
        ttl,
    )


def bearer(role: str, opd: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, opd)}"}


@pytest.fixture
def client(stack: Any, clean_emulators: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as http:
        yield http


def _complaint(client: httpx.Client, **changes: Any) -> tuple[str, str]:
    response = client.post("/v1/complaints", json=samples.complaint(**changes))
    assert response.status_code == 201, response.text
    body = response.json()
    return body["tracking_code"], body["pin"]


def _move(client: httpx.Client, code: str, headers: dict[str, str], to: str, **extra: str) -> httpx.Response:
    return client.post(
        f"/v1/staff/submissions/{code}/transitions", json={"to": to, "note": f"Langkah {to}", **extra}, headers=headers
    )


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no token"),
        pytest.param({"Authorization": "Bearer nonsense"}, id="garbage"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="basic"),
        pytest.param({"Authorization": f"Bearer {token('verifikator', ttl=dt.timedelta(minutes=-5))}"}, id="expired"),
        pytest.param({"Authorization": f"Bearer {token('admin', key=b'x' * 32)}"}, id="foreign key"),
    ],
)
def test_missing_bad_or_expired_tokens_are_401(client: httpx.Client, headers: dict[str, str]) -> None:
    for path in ("/v1/staff/submissions", "/v1/staff/submissions/ABCD2345X", "/v1/staff/nowhere"):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_complaint_walks_to_selesai_and_the_citizen_sees_every_step(client: httpx.Client, stack: Any) -> None:
    code, pin = _complaint(client)
    verifier, pupr = bearer("verifikator"), bearer("opd", "dinas-pupr")

    track = client.get(f"/v1/track/{code}", params={"pin": pin}).json()
    assert track["next_step"]["status"] == "diverifikasi"
    assert track["next_step"]["expected_by"] >= dt.datetime.now(dt.UTC).date().isoformat()

    assert _move(client, code, bearer("pimpinan"), "diverifikasi").status_code == 403
    assert _move(client, code, verifier, "selesai").status_code == 409
    no_note = client.post(f"/v1/staff/submissions/{code}/transitions", json={"to": "diverifikasi"}, headers=verifier)
    assert (no_note.status_code, no_note.json()["error"]["details"][0]["field"]) == (422, "note")
    assert client.get(f"/v1/staff/submissions/{code}", headers=pupr).status_code == 404, "not handed to it yet"

    steps = [
        (verifier, "diverifikasi", {}),
        (verifier, "didisposisikan", {"opd": "dinas-pupr"}),
        (pupr, "ditindaklanjuti", {}),
        (pupr, "selesai", {}),
    ]
    for headers, to, extra in steps:
        response = _move(client, code, headers, to, **extra)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == to
        track = client.get(f"/v1/track/{code}", params={"pin": pin}).json()
        assert track["status"] == to
        if to != "selesai":
            assert "expected_by" in track["next_step"]
    assert [step["status"] for step in track["timeline"]] == [
        "diterima",
        "diverifikasi",
        "didisposisikan",
        "ditindaklanjuti",
        "selesai",
    ]
    assert "next_step" not in track

    other_opd = bearer("opd", "dlh")
    assert client.get(f"/v1/staff/submissions/{code}", headers=other_opd).status_code == 404
    assert client.get(f"/v1/staff/submissions/{code}/audit", headers=other_opd).status_code == 404
    audit = client.get(f"/v1/staff/submissions/{code}/audit", headers=verifier)
    assert [(e["from"], e["to"], e["actor"]["email"]) for e in audit.json()["entries"]] == [
        ("diterima", "diverifikasi", "verifikator@jambikota.go.id"),
        ("diverifikasi", "didisposisikan", "verifikator@jambikota.go.id"),
        ("didisposisikan", "ditindaklanjuti", "opd@jambikota.go.id"),
        ("ditindaklanjuti", "selesai", "opd@jambikota.go.id"),
    ]
    for method in ("DELETE", "PATCH"):
        refused = client.request(method, f"/v1/staff/submissions/{code}/audit", headers=verifier)
        assert refused.status_code == 405
    assert len(client.get(f"/v1/staff/submissions/{code}/audit", headers=verifier).json()["entries"]) == 4

    listed = client.get("/v1/staff/submissions", params={"status": "selesai"}, headers=bearer("pimpinan")).json()
    assert [i["tracking_code"] for i in listed["items"]] == [code]
    assert "reporter" not in listed["items"][0]

    # One SMS per step: the receipt and the four status changes (notify, through Pub/Sub push and moto).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        texts = [m["message"] for m in stack.sms_messages() if m["phone_number"] == REPORTER_PHONE]
        if len(texts) >= 5:
            break
        time.sleep(1)
    time.sleep(2)
    texts = [m["message"] for m in stack.sms_messages() if m["phone_number"] == REPORTER_PHONE]
    assert len(texts) == 5, texts


def test_admin_manages_staff_and_nobody_else_does(client: httpx.Client) -> None:
    admin = bearer("admin")
    put = client.put("/v1/staff/users/Kadis.DLH@jambikota.go.id", json={"role": "opd", "opd": "dlh"}, headers=admin)
    assert put.status_code == 200, put.text
    assert put.json() == {"email": "kadis.dlh@jambikota.go.id", "role": "opd", "opd": "dlh", "active": True}
    users = client.get("/v1/staff/users", headers=admin).json()["users"]
    assert [u["email"] for u in users] == ["kadis.dlh@jambikota.go.id"]
    assert client.get("/v1/staff/submissions", headers=admin).status_code == 403
    for role in ("verifikator", "integritas", "pimpinan"):
        assert client.put("/v1/staff/users/x@y.id", json={"role": "admin"}, headers=bearer(role)).status_code == 403
    bad = client.put("/v1/staff/users/x@y.id", json={"role": "opd"}, headers=admin)
    assert bad.status_code == 422


def test_the_openapi_document_lists_the_staff_operations(client: httpx.Client) -> None:
    document = client.get("/v1/openapi.json").json()
    assert {"/v1/staff/submissions", "/v1/staff/submissions/{tracking_code}/transitions"} <= set(document["paths"])
    assert document["components"]["securitySchemes"]["staffBearer"]["scheme"] == "bearer"


def test_the_auto_close_target_answers_on_its_own_port(client: httpx.Client, stack: Any) -> None:
    response = httpx.post(stack.target_url("close_stale_followups"), timeout=30)
    assert response.status_code == 200
    assert response.json() == {"closed": 0}
    through_gateway = client.post("/v1/close_stale_followups")
    assert through_gateway.status_code in (404, 405), "never routed by the public gateway"
    assert "closed" not in through_gateway.text
