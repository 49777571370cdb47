"""Every page and answer the functions render carries CSP with frame-ancestors, HSTS and no framing.

The static forms get theirs from the bucket and the load balancer (infra/); these are the pages the functions draw
themselves: receipt, status, the error pages of a form post or a status look-up, the report page, and JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from intake.service import IntakeContext
from reports.figures import CountersInMemory, DocumentFigures
from reports.service import HTML_TYPE, ReportContext, file_names
from reports.serving import report_download
from tests import samples
from tests.in_process import BROWSER, intake_client, wire_intake
from tests.reports_fakes import FakeReportFiles, FakeReportStore

NOW = dt.datetime(2026, 11, 29, 3, 0, tzinfo=dt.UTC)
HSTS = "max-age=31536000; includeSubDomains"
STATIC = json.loads((Path(__file__).parents[2] / "infra" / "topology.json").read_text())["static"]["response_headers"]


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> IntakeContext:
    return wire_intake(monkeypatch, NOW, "headers-test-secret")


def _policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def _assert_hardened_page(response: Any) -> None:
    assert response.content_type == "text/html; charset=utf-8"
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = _policy(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["style-src"] == policy["img-src"] == policy["script-src"] == "'self'"  # only the site's own files
    # One policy for the whole site: the static forms get the same one from the bucket and the gateway.
    assert response.headers["Content-Security-Policy"] == STATIC["Content-Security-Policy"]
    assert response.headers["Strict-Transport-Security"] == STATIC["Strict-Transport-Security"]


def test_every_page_the_intake_functions_draw(ctx: IntakeContext) -> None:
    form = dict(samples.flatten(samples.complaint()))
    posted = intake_client("submit_complaint").post("/v1/complaints", data=form, headers=BROWSER)
    assert posted.status_code == 303
    code = posted.headers["Location"].rsplit("/", 1)[1]
    tracker = intake_client("track_submission")
    pages = {
        "receipt": tracker.get(f"/v1/receipt/{code}", headers=BROWSER),
        "status error": tracker.post("/v1/track", data={"tracking_code": code, "pin": "000000"}, headers=BROWSER),
        "form errors": intake_client("submit_complaint").post(
            "/v1/complaints", data={**form, "description": "pendek"}, headers=BROWSER
        ),
    }
    assert [r.status_code for r in pages.values()] == [200, 404, 422]
    for response in pages.values():
        _assert_hardened_page(response)


def test_the_status_page(ctx: IntakeContext) -> None:
    accepted = intake_client("submit_application").post("/v1/applications", json=samples.application()).get_json()
    page = intake_client("track_submission").post(
        "/v1/track", data={"tracking_code": accepted["tracking_code"], "pin": accepted["pin"]}, headers=BROWSER
    )
    assert page.status_code == 200
    _assert_hardened_page(page)


def test_json_answers_may_not_be_framed_or_run_either(ctx: IntakeContext) -> None:
    for response in (
        intake_client("submit_application").post("/v1/applications", json=samples.application()),
        intake_client("track_submission").get("/v1/track/ABCD2345R?pin=123456"),
        intake_client("list_programs").get("/v1/nowhere"),
    ):
        assert response.headers["Strict-Transport-Security"] == HSTS
        assert _policy(response.headers["Content-Security-Policy"]) == {
            "default-src": "'none'",
            "frame-ancestors": "'none'",
        }


def test_the_report_page_may_not_be_framed() -> None:
    files = FakeReportFiles()
    files.upload(file_names("2026-03-01")["html"], b"<!doctype html><p>laporan</p>", HTML_TYPE, "x")
    reports = ReportContext(
        figures=lambda: DocumentFigures({}),
        counters=lambda: CountersInMemory({}),
        store=FakeReportStore(),
        files=files,
    )
    download = report_download(reports, "pimpinan", "/v1/staff/reports/2026-03-01.html")
    policy = _policy(download.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'none'"
    assert "script-src" not in policy  # default-src 'none' covers scripts
