"""PIN guessing budgets (docs/SECURITY.md): bounded for strangers, never a lockout of the owner's device.

The atomic count-then-check runs against the real emulator in tests/integration/test_track_guessing_emulators.py;
these tests drive the rules and the HTTP flow in process, on fakes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bahagia.errors import BahagiaError
from intake import service
from intake.devices import DEVICE_COOKIE, TrustedDevice
from intake.handlers import accept
from intake.service import IntakeContext
from tests import samples
from tests.fakes import FakeSubmissionStore
from tests.in_process import BROWSER, intake_client, wire_intake

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> IntakeContext:
    return wire_intake(monkeypatch, NOW, "guessing-unit-secret")


def _status(ctx: IntakeContext, code: str, pin: str, client: str, device: TrustedDevice | None = None) -> int:
    try:
        service.track(ctx, code, pin, client, device)
    except BahagiaError as error:
        return error.status
    return 200


def _wrong(pin: str, offset: int) -> str:
    return f"{(int(pin) + offset) % 10**6:06d}"


def test_a_stranger_with_the_right_pin_is_refused_once_the_codes_budget_is_spent(ctx: IntakeContext) -> None:
    accepted = accept(ctx, "complaint", samples.complaint(), None)
    code, pin = accepted.response["tracking_code"], accepted.pin
    assert [_status(ctx, code, _wrong(pin, i), f"10.0.0.{i}") for i in range(1, 6)] == [404] * 5
    with pytest.raises(BahagiaError) as refused:
        service.track(ctx, code, pin, "10.0.1.1")
    assert refused.value.status == 429
    assert 0 < int(refused.value.headers["Retry-After"]) <= 15 * 60


def test_the_owners_device_is_never_locked_out_and_its_right_pins_cost_nothing(ctx: IntakeContext) -> None:
    accepted = accept(ctx, "complaint", samples.complaint(), None)
    code, pin = accepted.response["tracking_code"], accepted.pin
    phone = TrustedDevice("owner", (code,))
    for i in range(1, 30):  # strangers from many addresses, all day long
        _status(ctx, code, _wrong(pin, i), f"10.0.0.{i}")
    assert [_status(ctx, code, pin, "10.9.9.9", phone) for _ in range(12)] == [200] * 12
    # A device trusted for another code is a stranger here.
    assert _status(ctx, code, pin, "10.9.9.9", TrustedDevice("owner", ("ABCD2345R",))) == 429
    # The device's own wrong guesses are bounded too (a copied cookie is no skeleton key).
    own = [_status(ctx, code, _wrong(pin, i), "10.9.9.9", phone) for i in range(1, 8)]
    assert own == [404] * 5 + [429] * 2


def test_strangers_get_at_most_the_daily_budget_over_every_window_of_a_day(ctx: IntakeContext) -> None:
    accepted = accept(ctx, "complaint", samples.complaint(), None)
    code, pin = accepted.response["tracking_code"], accepted.pin
    checked, guess = 0, 0
    for window in range(12):  # three hours of 15-minute windows, 5 guesses each
        ctx.clock = lambda window=window: NOW + dt.timedelta(minutes=15 * window)  # type: ignore[misc]
        for _ in range(5):
            guess += 1
            checked += _status(ctx, code, _wrong(pin, guess), f"10.1.{window}.{guess}") == 404
    assert checked == ctx.settings.track_max_failures_per_code_per_day == 20
    # The next WIB day starts afresh (00:00 WIB = 17:00 UTC).
    ctx.clock = lambda: dt.datetime(2026, 11, 30, 17, 0, 1, tzinfo=dt.UTC)
    assert _status(ctx, code, pin, "10.2.0.1") == 200


def test_one_address_cannot_spray_many_codes(ctx: IntakeContext) -> None:
    answers = [_status(ctx, f"ABCD{n:04d}", "123456", "10.3.0.1") for n in range(25)]
    assert answers[:20] == [404] * 20
    assert set(answers[20:]) == {429}


def _device_cookie(response: Any) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{DEVICE_COOKIE}=")]
    assert "Path=/v1/;" in cookie or cookie.endswith("Path=/v1/")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    return cookie.split(";")[0].partition("=")[2]


def test_over_http_the_phone_that_filed_the_code_keeps_access_during_an_attack(ctx: IntakeContext) -> None:
    form = dict(samples.flatten(samples.complaint()))
    filed = intake_client("submit_complaint").post("/v1/complaints", data=form, headers=BROWSER)
    [code] = store_codes(ctx)
    phone = intake_client("track_submission")
    phone.set_cookie(DEVICE_COOKIE, _device_cookie(filed), path="/v1/")
    stranger = intake_client("track_submission")
    for i in range(1, 9):
        wrong = stranger.post(
            "/v1/track",
            data={"tracking_code": code, "pin": f"{i:06d}"},
            headers={**BROWSER, "X-Forwarded-For": f"10.4.0.{i}"},
        )
        assert wrong.status_code in (404, 429)
    assert wrong.status_code == 429
    # The owner reads the PIN off the receipt page; then the status form works from that phone.
    pin_on_receipt = _receipt_pin(filed, code)
    page = phone.post(
        "/v1/track",
        data={"tracking_code": code, "pin": pin_on_receipt},
        headers={**BROWSER, "X-Forwarded-For": "10.5.0.1"},
    )
    assert page.status_code == 200
    _device_cookie(page)  # trusted again, for another 180 days
    forged = intake_client("track_submission")
    forged.set_cookie(DEVICE_COOKIE, "eyJkIjoib3duZXIiLCJjIjpbXX0.forged.signature", path="/v1/")
    refused = forged.post(
        "/v1/track",
        data={"tracking_code": code, "pin": pin_on_receipt},
        headers={**BROWSER, "X-Forwarded-For": "10.6.0.1"},
    )
    assert refused.status_code == 429


def test_a_json_submission_and_a_right_pin_make_the_device_trusted(ctx: IntakeContext) -> None:
    filed = intake_client("submit_application").post("/v1/applications", json=samples.application())
    body = filed.get_json()
    _device_cookie(filed)
    found = intake_client("track_submission").get(f"/v1/track/{body['tracking_code']}?pin={body['pin']}")
    assert found.status_code == 200
    _device_cookie(found)


def store_codes(ctx: IntakeContext) -> list[str]:
    assert isinstance(ctx.store, FakeSubmissionStore)
    return list(ctx.store.submissions)


def _receipt_pin(filed: Any, code: str) -> str:
    name, _, value = filed.headers["Set-Cookie"].split(";")[0].partition("=")
    browser = intake_client("track_submission")
    browser.set_cookie(name, value, path=f"/v1/receipt/{code}")
    html = browser.get(f"/v1/receipt/{code}", headers=BROWSER).get_data(as_text=True)
    return html.split('data-testid="pin">', 1)[1].split("<", 1)[0]


def test_a_device_that_files_twice_is_trusted_for_both_codes(ctx: IntakeContext) -> None:
    from intake import devices

    first = intake_client("submit_application").post("/v1/applications", json=samples.application())
    phone = intake_client("submit_complaint")  # the same browser: the cookie's path sends it with the second filing
    phone.set_cookie(DEVICE_COOKIE, _device_cookie(first), path="/v1/")
    second = phone.post("/v1/complaints", json=samples.complaint())
    assert second.status_code == 201
    codes = [first.get_json()["tracking_code"], second.get_json()["tracking_code"]]
    request = intake_client("track_submission").application.test_request_context(
        "/v1/track", headers={"Cookie": f"{DEVICE_COOKIE}={_device_cookie(second)}"}
    )
    with request:
        import flask

        device = devices.read(flask.request)
    assert device is not None
    assert list(device.codes) == codes
