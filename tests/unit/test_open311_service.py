"""The open311 service on fakes: POST through the one intake path, api_key, public lists and detail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from bahagia import errors, open311
from bahagia.catalogue import catalogue
from intake import service as intake
from intake.handlers import accept
from open311 import service
from open311.locator import kelurahan_locator
from settings import Settings
from tests.fakes import FakePublisher, FakeSubmissionStore

NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
KEY = "partner-key-0001"
INSIDE = ("-1.61557", "103.57677")
FORM = {
    "api_key": KEY,
    "service_code": "infrastruktur",
    "lat": INSIDE[0],
    "long": INSIDE[1],
    "description": "Lampu jalan mati sejak seminggu di depan sekolah.",
    "first_name": "Budi",
    "last_name": "Contoh",
    "phone": "0813-1111-2222",
}


@dataclass
class FakeReader:
    """PublicComplaintReader over the fake intake store; counts what it reads."""

    store: FakeSubmissionStore
    reads: int = 0

    def get(self, code: str) -> Mapping[str, Any] | None:
        self.reads += 1
        return self.store.submissions.get(code)

    def newest_first(self, categories: list[str], start: dt.datetime, end: dt.datetime) -> Iterator[Mapping[str, Any]]:
        docs = [
            d
            for d in self.store.submissions.values()
            if d.get("category") in categories and start <= d["submitted_at"] < end
        ]
        for doc in sorted(docs, key=lambda d: d["submitted_at"], reverse=True):
            self.reads += 1
            yield doc


@pytest.fixture
def ctx() -> service.Open311Context:
    intake_ctx = intake.IntakeContext(
        settings=Settings(environment="test", secret_key="unit-test-secret"),
        catalogue=catalogue(),
        store=FakeSubmissionStore(),
        publisher=FakePublisher(),
        clock=lambda: NOW,
    )
    return service.Open311Context(
        catalogue=catalogue(),
        reader=FakeReader(intake_ctx.store),  # type: ignore[arg-type]
        submit=lambda body, key: accept(intake_ctx, "complaint", body, key, open311.CHANNEL),
        api_keys=(KEY, "another-partner-key"),
        locate=kelurahan_locator(),
        endpoint_url="https://bahagia.jambikota.go.id/open311/v2",
        status_page_url="https://bahagia.jambikota.go.id/status",
        clock=lambda: NOW + dt.timedelta(hours=1),
    )


def _store(ctx: service.Open311Context) -> FakeSubmissionStore:
    return ctx.reader.store  # type: ignore[attr-defined]


def test_a_post_is_one_intake_submission_with_channel_open311_and_the_place_of_its_point(ctx: Any) -> None:
    [answer] = service.post_request(ctx, FORM, None)
    code = answer["service_request_id"]
    stored = _store(ctx).submissions[code]
    assert stored["channel"] == "open311"
    assert (stored["kecamatan"], stored["kelurahan"]) == ("15.71.01", "15.71.01.1001")
    assert stored["reporter"]["phone"] == "+6281311112222"
    assert stored["reporter"]["name"] == "Budi Contoh"
    assert _store(ctx).commits == 1
    assert "Diverifikasi" in answer["service_notice"]
    assert "PIN " in answer["service_notice"]


def test_the_same_idempotency_key_replays_the_answer_and_stores_nothing_new(ctx: Any) -> None:
    first = service.post_request(ctx, FORM, "partner-request-0001")
    again = service.post_request(ctx, FORM, "partner-request-0001")
    assert first == again
    assert _store(ctx).commits == 1


@pytest.mark.parametrize("api_key", [None, "", "wrong", KEY + "x"])
def test_posting_without_a_valid_api_key_is_403_and_stores_nothing(ctx: Any, api_key: str | None) -> None:
    form = {**FORM, "api_key": api_key} if api_key is not None else {k: v for k, v in FORM.items() if k != "api_key"}
    with pytest.raises(open311.Open311Error) as raised:
        service.post_request(ctx, form, None)
    assert raised.value.status == 403
    assert _store(ctx).commits == 0


def test_intake_validation_errors_come_back_per_field_under_the_open311_names(ctx: Any) -> None:
    form = {**FORM, "description": "pendek", "phone": "0741-123456"}
    with pytest.raises(open311.Open311Error) as raised:
        service.post_request(ctx, form, None)
    assert raised.value.status == 400
    fields = sorted(text.split(":")[0] for text in raised.value.descriptions)
    assert fields == ["description", "phone"]
    assert _store(ctx).commits == 0


def test_an_outage_stays_a_503_for_the_client_to_retry(ctx: Any) -> None:
    def down(body: dict[str, Any], key: str | None) -> Any:
        raise errors.unavailable()

    ctx.submit = down
    with pytest.raises(errors.BahagiaError) as raised:
        service.post_request(ctx, FORM, None)
    assert raised.value.status == 503


def _post(ctx: Any, **over: str) -> str:
    [answer] = service.post_request(ctx, {**FORM, **over}, None)
    return str(answer["service_request_id"])


def test_lists_and_detail_show_public_complaints_only(ctx: Any) -> None:
    public = _post(ctx)
    anonymous = _post(ctx, service_code="lingkungan", **{"attribute[privacy]": "anonymous"})
    confidential = _post(ctx, **{"attribute[privacy]": "confidential"})
    pungli = _post(ctx, service_code="pungli", **{"attribute[privacy]": "public"})

    listed = [view["service_request_id"] for view in service.list_requests(ctx, {})]
    assert sorted(listed) == sorted([public, anonymous])
    by_id = service.list_requests(ctx, {"service_request_id": ",".join([public, confidential, pungli])})
    assert [view["service_request_id"] for view in by_id] == [public]
    assert service.list_requests(ctx, {"service_code": "pungli"}) == []

    assert service.get_request(ctx, public.lower(), {})[0]["service_request_id"] == public
    for hidden in (confidential, pungli, "ABCDEFGH2", "x"):
        with pytest.raises(open311.Open311Error) as raised:
            service.get_request(ctx, hidden, {})
        assert raised.value.status == 404


def test_lists_filter_by_status_and_service_code(ctx: Any) -> None:
    lighting = _post(ctx)
    _post(ctx, service_code="lingkungan")
    _store(ctx).submissions[lighting]["status"] = "selesai"
    assert [v["service_request_id"] for v in service.list_requests(ctx, {"status": "closed"})] == [lighting]
    assert len(service.list_requests(ctx, {"status": "open"})) == 1
    assert len(service.list_requests(ctx, {"service_code": "infrastruktur"})) == 1
    assert len(service.list_requests(ctx, {"start_date": "2026-01-01T00:00:00Z"})) == 0
