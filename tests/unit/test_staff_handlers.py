"""The staff targets in process: a flask test request through functions-framework, fakes wired through bootstrap.

Tokens, routes, methods, the report files, and the order in which a request is judged: the token (401), the path
(404), the method (405), the body's form (400, 413, 415), the role (403), what the body says (422).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import bootstrap
from bahagia import calendar, sla
from bahagia.catalogue import catalogue
from reports.figures import CountersInMemory, DocumentFigures
from reports.service import ReportContext
from settings import Settings, derive_key
from staff import auth
from staff.service import StaffContext
from tests.fakes import FakePublisher, FakeStaffDirectory, FakeStaffStore
from tests.in_process import STAFF_AUDIENCE, staff_bearer, staff_client, target_client
from tests.reports_fakes import FakeReportFiles, FakeReportStore

NOW = dt.datetime(2026, 3, 2, 4, tzinfo=dt.UTC)  # Monday 11:00 WIB
KEY = derive_key(b"staff-handler-test-secret", "staff-token")  # 32 bytes, as Settings derives it
CODE = "ABCD2345R"  # a valid tracking code (check character included)


def _complaint(code: str) -> dict[str, Any]:
    submitted = NOW - dt.timedelta(hours=1)
    return {
        "tracking_code": code,
        "kind": "complaint",
        "category": "infrastruktur",
        "program": None,
        "benefit": None,
        "privacy": "public",
        "status": "diterima",
        "submitted_at": submitted,
        "status_changed_at": submitted,
        "business_date": calendar.business_date(submitted),
        "kecamatan": "15.71.01",
        "kelurahan": "15.71.01.1001",
        "opd": None,
        "due_at": sla.due_at("complaint", "diterima", submitted),
        "timeline": [{"status": "diterima", "at": submitted, "note": None}],
        "complaint": {"description": "Jalan berlubang", "location": {"address": "Jl. Sudirman"}},
        "pin_hash": "h",
        "pin_salt": "s",
    }


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> StaffContext:
    opd_ids = set(catalogue().opd)
    context = StaffContext(
        settings=Settings(environment="test"),
        store=FakeStaffStore(submissions={CODE: _complaint(CODE)}),
        publisher=FakePublisher(),
        verifier=auth.LocalTokenVerifier(KEY, STAFF_AUDIENCE, opd_ids),
        directory=FakeStaffDirectory(),
        opd_ids=opd_ids,
        clock=lambda: NOW,
    )
    reports = ReportContext(
        figures=lambda: DocumentFigures({}),
        counters=lambda: CountersInMemory({}),
        store=FakeReportStore(),
        files=FakeReportFiles(),
    )
    # The composition root is the one seam: the target asks bootstrap for its contexts.
    monkeypatch.setattr(bootstrap, "staff_context", lambda: context)
    monkeypatch.setattr(bootstrap, "report_context", lambda: reports)
    return context


def bearer(role: str, opd: str | None = None, email: str | None = None) -> dict[str, str]:
    return staff_bearer(KEY, role, opd, email)


@pytest.fixture
def api() -> Any:
    return staff_client()


def store(ctx: StaffContext) -> FakeStaffStore:
    assert isinstance(ctx.store, FakeStaffStore)
    return ctx.store


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


def test_no_token_or_a_bad_one_is_401_with_a_challenge(ctx: StaffContext, api: Any) -> None:
    response = api.get("/v1/staff/submissions")
    assert _error(response) == (401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="bahagia-staff"'
    assert _error(api.get("/v1/staff/submissions", headers={"Authorization": "Bearer nonsense"})) == (
        401,
        "unauthorized",
    )


def test_a_verifier_lists_reads_moves_and_audits_a_case(ctx: StaffContext, api: Any) -> None:
    headers = bearer("verifikator")
    listed = api.get("/v1/staff/submissions?status=diterima", headers=headers)
    assert listed.status_code == 200
    assert [item["tracking_code"] for item in listed.get_json()["items"]] == [CODE]
    assert api.get(f"/v1/staff/submissions/{CODE.lower()}", headers=headers).get_json()["view"] == "full"
    moved = api.post(
        f"/v1/staff/submissions/{CODE}/transitions", json={"to": "diverifikasi", "note": "Lengkap"}, headers=headers
    )
    assert moved.status_code == 200
    assert moved.get_json()["status"] == "diverifikasi"
    assert [e["status"] for e in ctx.publisher.published] == ["diverifikasi"]  # type: ignore[attr-defined]
    audit = api.get(f"/v1/staff/submissions/{CODE}/audit", headers=headers).get_json()
    assert [(e["action"], e.get("to")) for e in audit["entries"]] == [("read", None), ("transition", "diverifikasi")]


def test_a_transition_is_judged_path_then_body_form_then_role_then_body(ctx: StaffContext, api: Any) -> None:
    path = f"/v1/staff/submissions/{CODE}/transitions"
    bad_json = {"data": b"{", "content_type": "application/json"}
    assert _error(api.post("/v1/staff/submissions/NOT-A-CODE/transitions", **bad_json, headers=bearer("pimpinan"))) == (
        404,
        "not_found",
    )
    assert _error(api.post(path, **bad_json, headers=bearer("pimpinan"))) == (400, "malformed_body")
    # admin reads no cases at all: refused before its body is judged (pimpinan is refused by the lifecycle, later)
    assert _error(api.post(path, json={"note": ""}, headers=bearer("admin"))) == (403, "forbidden")
    assert _error(api.post(path, json={"note": ""}, headers=bearer("pimpinan"))) == (422, "validation_failed")
    refused = api.post(path, json={"note": " ", "x": 1}, headers=bearer("verifikator"))
    assert _error(refused) == (422, "validation_failed")
    assert [(d["field"], d["code"]) for d in refused.get_json()["error"]["details"]] == [
        ("to", "required"),
        ("note", "required"),
        ("x", "unknown_field"),
    ]
    assert _error(api.post(path, json={"to": "selesai", "note": "x"}, headers=bearer("verifikator"))) == (
        409,
        "invalid_transition",
    )
    assert store(ctx).audit == []


def test_staff_management_is_for_admins_and_judged_role_before_body(ctx: StaffContext, api: Any) -> None:
    path = "/v1/staff/users/Kadis@JambiKota.go.id"
    assert _error(api.put(path, json={"role": 5}, headers=bearer("verifikator"))) == (403, "forbidden")
    refused = api.put(path, json={"role": "opd", "zz": 1}, headers=bearer("admin"))
    assert [(d["field"], d["code"]) for d in refused.get_json()["error"]["details"]] == [
        ("zz", "unknown_field"),
        ("role", "invalid_role"),
    ]
    created = api.put(path, json={"role": "opd", "opd": "dlh"}, headers=bearer("admin"))
    assert created.status_code == 200
    assert created.get_json() == {"email": "kadis@jambikota.go.id", "role": "opd", "opd": "dlh", "active": True}
    assert api.get("/v1/staff/users", headers=bearer("admin")).get_json()["users"] == [created.get_json()]
    own = api.put("/v1/staff/users/admin@jambikota.go.id", json={"role": "verifikator"}, headers=bearer("admin"))
    assert _error(own) == (403, "forbidden")


def test_methods_and_unknown_paths(ctx: StaffContext, api: Any) -> None:
    headers = bearer("verifikator")
    assert api.delete(f"/v1/staff/submissions/{CODE}", headers=headers).headers["Allow"] == "GET, POST, PUT"
    wrong = api.put(f"/v1/staff/submissions/{CODE}", headers=headers)
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "GET")
    assert api.get(f"/v1/staff/submissions/{CODE}/transitions", headers=headers).headers["Allow"] == "POST"
    assert _error(api.get("/v1/staff/elsewhere", headers=headers)) == (404, "not_found")


def test_report_files_are_for_pimpinan_and_admin(ctx: StaffContext, api: Any) -> None:
    assert _error(api.get("/v1/staff/reports/2026-03-01", headers=bearer("verifikator"))) == (403, "forbidden")
    assert _error(api.get("/v1/staff/reports/2026-03-01.csv", headers=bearer("pimpinan"))) == (404, "not_found")


def test_the_scheduled_auto_close_answers_what_it_closed(ctx: StaffContext) -> None:
    scheduler = target_client("close_stale_followups", "staff/handlers.py")
    assert scheduler.post("/").get_json() == {"closed": 0}
    assert scheduler.get("/").status_code == 405


def test_the_warm_up_call_needs_no_token_builds_the_context_and_changes_nothing(
    api: Any, ctx: StaffContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edge.warmup import WARMUP_PATH

    built: list[StaffContext] = []

    def build() -> StaffContext:
        built.append(ctx)
        return ctx

    monkeypatch.setattr(bootstrap, "staff_context", build)
    answer = api.get(WARMUP_PATH)
    assert answer.status_code == 204
    assert built == [ctx]
    assert store(ctx).submissions == {CODE: _complaint(CODE)}
    assert isinstance(ctx.publisher, FakePublisher)
    assert ctx.publisher.published == []
