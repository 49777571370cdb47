"""The intake targets over HTTP, through the local gateway, exactly as a web form or an API client uses them."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import httpx
import pytest

from bahagia import codes
from tests import samples

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def client(stack, clean_emulators):
    with httpx.Client(base_url=stack.base_url, timeout=30, follow_redirects=False) as http:
        yield http


def test_catalogue_lists_every_programme_category_and_area(client):
    response = client.get("/v1/programs", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    catalogue = response.json()
    assert [p["id"] for p in catalogue["programs"]] == [
        "kartu-bahagia", "balikat", "banharkat", "lansia-bahagia", "rumel", "kampung-bahagia",
    ]  # fmt: skip
    assert len(catalogue["complaint_categories"]) == 7
    assert len(catalogue["kecamatan"]) == 11
    assert sum(len(k["kelurahan"]) for k in catalogue["kecamatan"]) == 68
    assert {o["id"] for o in catalogue["opd"]} >= {"dinas-pupr", "inspektorat"}
    assert response.headers["content-encoding"] == "gzip"


def test_a_json_application_gets_201_with_code_and_pin(client):
    response = client.post("/v1/applications", json=samples.application())
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) >= {"tracking_code", "pin", "status", "program", "submitted_at", "status_url"}
    assert body["status"] == "diterima"
    assert codes.normalize_tracking_code(body["tracking_code"]) == body["tracking_code"]


def test_a_form_encoded_complaint_from_a_script_gets_json(client):
    response = client.post(
        "/v1/complaints",
        content=urlencode(samples.flatten(samples.complaint(category="lingkungan"))),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["category"] == "lingkungan"
    assert response.json()["privacy"] == "public"


def test_a_browser_form_post_gets_303_to_a_receipt_with_code_and_pin(client):
    form = [*samples.flatten(samples.application()), ("idempotency_key", "browser-form-0001")]
    response = client.post(
        "/v1/applications",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": BROWSER_ACCEPT},
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/v1/receipt/[2-9A-Z]{9}", location)
    # The PIN never travels in a URL.
    assert not re.search(r"\d{6}", location)
    assert "bahagia_receipt" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]
    receipt = client.get(location, headers={"Accept": BROWSER_ACCEPT})  # the client's jar sends the cookie back
    assert receipt.status_code == 200
    code = location.rsplit("/", 1)[1]
    assert codes.format_tracking_code(code) in receipt.text
    found = re.search(r'data-testid="pin">(\d{6})<', receipt.text)
    assert found is not None
    pin = found.group(1)
    status = client.get(f"/v1/track/{code}", params={"pin": pin})
    assert status.status_code == 200
    assert status.json()["status"] == "diterima"
    # Without the cookie the receipt still shows the code, never the PIN.
    with httpx.Client(base_url=str(client.base_url)) as without_cookies:
        bare = without_cookies.get(location, headers={"Accept": BROWSER_ACCEPT})
    assert bare.status_code == 200
    assert pin not in bare.text


def test_track_without_or_with_a_wrong_pin_is_404_like_an_unknown_code(client):
    created = client.post("/v1/complaints", json=samples.complaint()).json()
    code, pin = created["tracking_code"], created["pin"]
    wrong = "000000" if pin != "000000" else "111111"
    answers = [
        client.get(f"/v1/track/{code}"),
        client.get(f"/v1/track/{code}", params={"pin": wrong}),
        client.get(f"/v1/track/{codes.new_tracking_code()}", params={"pin": pin}),
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
    ok = client.get(f"/v1/track/{code.lower()}", params={"pin": pin})
    assert ok.status_code == 200
    assert "Budi" not in ok.text


def test_the_status_form_posts_code_and_pin_in_the_body(client):
    created = client.post("/v1/complaints", json=samples.complaint()).json()
    page = client.post(
        "/v1/track",
        content=urlencode({"tracking_code": created["tracking_code"], "pin": created["pin"]}),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": BROWSER_ACCEPT},
    )
    assert page.status_code == 200
    assert "Diterima" in page.text


def test_idempotent_retry_over_http_returns_the_same_answer(client):
    first = client.post("/v1/complaints", json=samples.complaint(), headers={"Idempotency-Key": "http-key-0001"})
    again = client.post("/v1/complaints", json=samples.complaint(), headers={"Idempotency-Key": "http-key-0001"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = client.post(
        "/v1/complaints",
        json=samples.complaint(description="Isi yang berbeda dari yang pertama."),
        headers={"Idempotency-Key": "http-key-0001"},
    )
    assert other.status_code == 409


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/v1/applications", {}, 405, "method_not_allowed"),
        (
            "POST",
            "/v1/applications",
            {"content": b"{", "headers": {"Content-Type": "application/json"}},
            400,
            "malformed_body",
        ),
        (
            "POST",
            "/v1/applications",
            {"content": b"x", "headers": {"Content-Type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        ("POST", "/v1/complaints", {"json": {"category": "pungli"}}, 422, "validation_failed"),
        ("GET", "/v1/nothing-here", {}, 404, "not_found"),
        (
            "POST",
            "/v1/complaints",
            {"content": b'{"description": "' + b"x" * 70000 + b'"}', "headers": {"Content-Type": "application/json"}},
            413,
            "body_too_large",
        ),
    ],
)
def test_errors_are_json_with_the_contract_status(client, method, path, kwargs, status, code):
    response = client.request(method, path, **kwargs)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == code


def test_a_validation_error_names_every_bad_field_in_bahasa_indonesia(client):
    body = samples.application()
    body["applicant"]["phone"] = "0741-61234"
    body["applicant"]["address"]["kelurahan"] = "15.71.04.1003"
    response = client.post("/v1/applications", json=body)
    assert response.status_code == 422
    details = {d["field"]: d for d in response.json()["error"]["details"]}
    assert set(details) == {"applicant.phone", "applicant.address.kelurahan"}
    assert "telepon rumah" in details["applicant.phone"]["message"]


def test_the_duplicate_nik_conflict_reveals_nothing_about_the_first(client):
    assert client.post("/v1/applications", json=samples.application()).status_code == 201
    second = client.post("/v1/applications", json=samples.application())
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "duplicate_application"
    assert "tracking_code" not in second.text


def test_openapi_document_is_served_and_matches_the_checked_in_copy(client):
    from pathlib import Path

    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    served = response.json()  # httpx has already undone the gzip
    checked_in = json.loads((Path(__file__).parents[2] / "schemas" / "openapi.json").read_text())
    assert served == checked_in
