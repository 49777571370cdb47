"""Dates shown to people are WIB calendar dates in Indonesian, from the one formatter (bahagia.calendar).

A moment at 23:30 UTC is already the next morning in Jambi (06:30 WIB): a page that cut the UTC timestamp showed the
previous day.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from bahagia import calendar
from intake.service import IntakeContext
from tests import samples
from tests.in_process import BROWSER, intake_client, wire_intake

LATE_UTC = dt.datetime(2026, 3, 26, 23, 30, tzinfo=dt.UTC)  # Friday 27 March 2026, 06:30 WIB


@pytest.mark.parametrize(
    "value",
    [LATE_UTC, "2026-03-26T23:30:00Z", "2026-03-26T23:30:00+00:00", dt.date(2026, 3, 27), "2026-03-27"],
)
def test_one_formatter_writes_the_wib_date_in_indonesian(value: Any) -> None:
    assert calendar.indonesian_date(value) == "27 Maret 2026"


def test_the_long_form_names_the_wib_weekday() -> None:
    assert calendar.long_date(LATE_UTC) == "Jumat, 27 Maret 2026"


def test_a_naive_timestamp_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="timezone"):
        calendar.indonesian_date(dt.datetime(2026, 3, 26, 23, 30))  # naive on purpose


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> IntakeContext:
    return wire_intake(monkeypatch, LATE_UTC, "dates-test-secret")


def _visible_times(html: str) -> list[str]:
    return re.findall(r"<time[^>]*>([^<]*)</time>", html)


def test_the_status_page_shows_the_wib_date_of_a_step_made_at_2330_utc(ctx: IntakeContext) -> None:
    accepted = intake_client("submit_application").post("/v1/applications", json=samples.application())
    code, pin = accepted.get_json()["tracking_code"], accepted.get_json()["pin"]
    page = intake_client("track_submission").post(
        "/v1/track", data={"tracking_code": code, "pin": pin}, headers=BROWSER
    )
    html = page.get_data(as_text=True)
    assert _visible_times(html) == ["27 Maret 2026"]
    # Verification is due 3 working days after Friday 27 March: Monday 30, Tuesday 31 March, Wednesday 1 April.
    assert "paling lambat 1 April 2026" in html
    assert "2026-03-26" not in re.sub(r"<[^>]+>", "", html)


def test_the_receipt_page_shows_the_wib_date_it_was_received(ctx: IntakeContext) -> None:
    form = dict(samples.flatten(samples.complaint(occurred_on="2026-03-20")))
    browser = intake_client("submit_complaint")
    response = browser.post("/v1/complaints", data=form, headers=BROWSER)
    code = response.headers["Location"].rsplit("/", 1)[1]
    name, _, value = response.headers["Set-Cookie"].split(";")[0].partition("=")
    tracker = intake_client("track_submission")
    tracker.set_cookie(name, value, path=f"/v1/receipt/{code}")
    html = tracker.get(f"/v1/receipt/{code}", headers=BROWSER).get_data(as_text=True)
    assert _visible_times(html) == ["27 Maret 2026"]
