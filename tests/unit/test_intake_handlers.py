"""The intake targets in process: a flask test request through functions-framework, fakes wired through bootstrap.

What the e2e tests check over the running stack, here in milliseconds: status codes, headers, the error shape, the
form flow of a browser without JavaScript (303, receipt cookie, HTML errors) and the order the edge checks things in.
"""

from __future__ import annotations

import datetime as dt

import pytest

import bootstrap
from intake.service import IntakeContext
from tests import samples
from tests.fakes import FakePublisher, FakeSubmissionStore
from tests.in_process import BROWSER, intake_client, wire_intake

NOW = dt.datetime(2026, 11, 29, 3, 0, tzinfo=dt.UTC)  # Sunday 10:00 WIB
JSON = {"Accept": "application/json"}


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> IntakeContext:
    return wire_intake(monkeypatch, NOW, "handler-test-secret")


def store(ctx: IntakeContext) -> FakeSubmissionStore:
    assert isinstance(ctx.store, FakeSubmissionStore)
    return ctx.store


def test_a_json_application_is_201_with_its_location_pin_and_one_event(ctx: IntakeContext) -> None:
    response = intake_client("submit_application").post("/v1/applications", json=samples.application(), headers=JSON)
    assert response.status_code == 201
    body = response.get_json()
    assert (
        response.headers["Location"] == body["status_url"] == f"http://127.0.0.1:8080/v1/track/{body['tracking_code']}"
    )
    assert (body["status"], body["program"], body["benefit"], len(body["pin"])) == (
        "diterima",
        "kartu-bahagia",
        "pendidikan",
        6,
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert list(store(ctx).submissions) == [body["tracking_code"]]
    assert [e["type"] for e in ctx.publisher.published] == ["submission.received"]  # type: ignore[attr-defined]


def test_the_same_key_twice_is_one_submission_and_the_replay_says_so(ctx: IntakeContext) -> None:
    post = intake_client("submit_complaint").post
    headers = {**JSON, "Idempotency-Key": "handler-key-0001"}
    first = post("/v1/complaints", json=samples.complaint(), headers=headers)
    again = post("/v1/complaints", json=samples.complaint(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert store(ctx).commits == 1
    other = post(
        "/v1/complaints", json=samples.complaint(description="Sesuatu yang lain sama sekali."), headers=headers
    )
    assert (other.status_code, other.get_json()["error"]["code"]) == (409, "idempotency_key_reused")


def test_a_bad_key_is_judged_before_the_body(ctx: IntakeContext) -> None:
    response = intake_client("submit_complaint").post(
        "/v1/complaints", json={"category": "nope"}, headers={**JSON, "Idempotency-Key": "short"}
    )
    assert response.status_code == 422
    assert response.get_json() == {
        "error": {
            "code": "validation_failed",
            "message": "Ada isian yang perlu diperbaiki.",
            "details": [
                {
                    "field": "idempotency_key",
                    "code": "invalid_idempotency_key",
                    "message": "Kunci idempotensi harus 8-128 karakter.",
                }
            ],
        }
    }


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed_body"),
        (b"[1, 2]", "application/json", 400, "malformed_body"),
        (b"<xml/>", "text/xml", 415, "unsupported_media_type"),
        (b"x" * (64 * 1024 + 1), "application/json", 413, "body_too_large"),
        (b'{"program": "kartu-sakti"}', "application/json", 422, "validation_failed"),
    ],
)
def test_what_cannot_be_read_is_answered_in_the_contracts_shape(
    ctx: IntakeContext, data: bytes, content_type: str, status: int, code: str
) -> None:
    response = intake_client("submit_application").post("/v1/applications", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.content_type == "application/json; charset=utf-8"
    assert response.get_json()["error"]["code"] == code
    assert store(ctx).commits == 0


def test_a_browser_form_post_goes_to_its_receipt_with_the_pin_in_a_cookie(ctx: IntakeContext) -> None:
    browser = intake_client("submit_complaint")
    form = dict(samples.flatten(samples.complaint()))
    response = browser.post("/v1/complaints", data=form, headers=BROWSER)
    assert response.status_code == 303
    [code] = store(ctx).submissions
    assert response.headers["Location"] == f"/v1/receipt/{code}"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert f"Path=/v1/receipt/{code}" in cookie
    name, _, value = cookie.split(";")[0].partition("=")
    tracker = intake_client("track_submission")
    tracker.set_cookie(name, value, path=f"/v1/receipt/{code}")
    receipt = tracker.get(f"/v1/receipt/{code}", headers=BROWSER)
    assert receipt.status_code == 200
    assert receipt.content_type == "text/html; charset=utf-8"
    html = receipt.get_data(as_text=True)
    assert 'data-testid="pin"' in html
    assert f"{code[:4]}-{code[4:]}" in html
    assert "frame-ancestors 'none'" in receipt.headers["Content-Security-Policy"]
    without_cookie = intake_client("track_submission").get(f"/v1/receipt/{code}", headers=BROWSER)
    assert 'data-testid="pin"' not in without_cookie.get_data(as_text=True)


def test_the_receipt_shows_the_pin_once_and_a_reload_does_not(ctx: IntakeContext) -> None:
    form = dict(samples.flatten(samples.complaint()))
    response = intake_client("submit_complaint").post("/v1/complaints", data=form, headers=BROWSER)
    [code] = store(ctx).submissions
    name, _, value = response.headers["Set-Cookie"].split(";")[0].partition("=")
    tracker = intake_client("track_submission")  # one browser: its cookie jar keeps what the answers set
    tracker.set_cookie(name, value, path=f"/v1/receipt/{code}")
    first = tracker.get(f"/v1/receipt/{code}", headers=BROWSER)
    assert 'data-testid="pin"' in first.get_data(as_text=True)
    # The answer that showed the PIN also removes the cookie that carried it.
    cleared = first.headers["Set-Cookie"]
    assert cleared.startswith(f"{name}=;")
    assert f"Path=/v1/receipt/{code}" in cleared
    assert "Max-Age=0" in cleared
    reload = tracker.get(f"/v1/receipt/{code}", headers=BROWSER)
    assert reload.status_code == 200
    html = reload.get_data(as_text=True)
    assert 'data-testid="pin"' not in html
    assert "PIN sudah ditampilkan sebelumnya" in html


def test_a_browser_form_that_fails_validation_gets_a_page_of_its_errors(ctx: IntakeContext) -> None:
    form = dict(samples.flatten(samples.complaint(description="pendek")))
    response = intake_client("submit_complaint").post("/v1/complaints", data=form, headers=BROWSER)
    assert response.status_code == 422
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert 'data-testid="form-errors"' in html
    assert "Uraian laporan" in html  # the field's label, from the catalogue
    assert 'href="/pengaduan.html?kategori=infrastruktur"' in html
    assert store(ctx).commits == 0


def test_tracking_by_path_and_by_the_status_form(ctx: IntakeContext) -> None:
    accepted = intake_client("submit_application").post("/v1/applications", json=samples.application(), headers=JSON)
    code, pin = accepted.get_json()["tracking_code"], accepted.get_json()["pin"]
    track = intake_client("track_submission")
    found = track.get(f"/v1/track/{code.lower()}?pin={pin}", headers=JSON)
    assert found.status_code == 200
    assert found.get_json()["status"] == "diterima"
    assert found.get_json()["next_step"]["status"] == "diverifikasi"
    page = track.post("/v1/track", data={"tracking_code": code, "pin": pin}, headers=BROWSER)
    assert page.status_code == 200
    assert 'data-testid="status"' in page.get_data(as_text=True)
    wrong = track.get(f"/v1/track/{code}?pin=000000" if pin != "000000" else f"/v1/track/{code}?pin=111111")
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (404, "not_found")
    assert track.get("/v1/track/", headers=JSON).status_code == 404
    assert track.delete(f"/v1/track/{code}").headers["Allow"] == "GET, POST"


def test_the_catalogue_and_the_openapi_document_and_nothing_else(ctx: IntakeContext) -> None:
    programs = intake_client("list_programs")
    catalogue_response = programs.get("/v1/programs", headers={"Accept-Encoding": "gzip"})
    assert catalogue_response.status_code == 200
    assert catalogue_response.headers["Content-Encoding"] == "gzip"
    assert catalogue_response.headers["Cache-Control"] == "public, max-age=300"
    assert programs.get("/v1/openapi.json").get_json()["openapi"] == "3.1.0"
    assert programs.get("/v1/elsewhere").status_code == 404
    refused = programs.post("/v1/programs")
    assert (refused.status_code, refused.headers["Allow"]) == (405, "GET")


def test_the_relay_publishes_what_the_requests_left(ctx: IntakeContext) -> None:
    ctx.publisher.fail_next = 1  # type: ignore[attr-defined]
    assert intake_client("submit_complaint").post("/v1/complaints", json=samples.complaint()).status_code == 201
    relay = intake_client("relay_outbox")
    assert relay.post("/").get_json() == {"published": 0, "failed": 0}  # too young: its request may still publish
    ctx.clock = lambda: NOW + dt.timedelta(minutes=1)
    assert relay.post("/").get_json() == {"published": 1, "failed": 0}
    assert store(ctx).outbox == {}


@pytest.mark.parametrize("target", ["list_programs", "submit_application", "submit_complaint", "track_submission"])
def test_the_warm_up_call_builds_the_context_and_changes_nothing(
    target: str, monkeypatch: pytest.MonkeyPatch, ctx: IntakeContext
) -> None:
    from edge.warmup import WARMUP_PATH

    built: list[IntakeContext] = []

    def build() -> IntakeContext:
        built.append(ctx)
        return ctx

    monkeypatch.setattr(bootstrap, "intake_context", build)
    answer = intake_client(target).get(WARMUP_PATH)
    assert answer.status_code == 204
    assert built if target != "list_programs" else not built
    assert store(ctx).submissions == {}
    assert store(ctx).rate_limits == {}
    assert isinstance(ctx.publisher, FakePublisher)
    assert ctx.publisher.published == []
