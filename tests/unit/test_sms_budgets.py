"""SMS pumping: beyond the cap per number, a daily budget of receipts per client address and one for the whole city.

A script posting forms with ever new numbers from one address (or from many) makes the city pay for SMS to numbers
it chose. The submitting client's address reaches notify only as a keyed hash that changes every WIB day
(`client_key` on the submission), never in events or logs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest

from bahagia import notifications as n
from bahagia import report_counters, sms
from bahagia.catalogue import catalogue
from intake import service
from intake.service import IntakeContext
from notify.events import SubmissionEvent
from notify.service import Notifier, Outcome, notify_citizen
from settings import Settings
from tests import samples
from tests.fakes import FakeNotificationStore, FakeSms, FakeSubmissions, FakeSubmissionStore
from tests.in_process import intake_client, wire_intake
from tests.privacy import PersonalData

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
ADDRESS = "203.0.113.77"


# --- intake: the client key --------------------------------------------------------------------------------------


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> IntakeContext:
    return wire_intake(monkeypatch, NOW, "budget-secret")


def _stored(ctx: IntakeContext, code: str) -> dict[str, Any]:
    assert isinstance(ctx.store, FakeSubmissionStore)
    return ctx.store.submissions[code]


def test_the_submission_carries_a_daily_keyed_hash_of_the_clients_address(
    ctx: IntakeContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    post = intake_client("submit_complaint").post
    first = post("/v1/complaints", json=samples.complaint(), headers={"X-Forwarded-For": ADDRESS}).get_json()
    again = post(
        "/v1/complaints", json=samples.complaint(description="Lampu jalan padam sejak seminggu."),
        headers={"X-Forwarded-For": ADDRESS},
    ).get_json()  # fmt: skip
    other = post("/v1/complaints", json=samples.complaint(), headers={"X-Forwarded-For": "198.51.100.1"}).get_json()
    keys = [_stored(ctx, body["tracking_code"])["client_key"] for body in (first, again, other)]
    assert keys[0] == keys[1] != keys[2]
    ctx.clock = lambda: NOW + dt.timedelta(days=1)  # the next WIB day: unlinkable to the day before
    tomorrow = post("/v1/complaints", json=samples.complaint(), headers={"X-Forwarded-For": ADDRESS}).get_json()
    assert _stored(ctx, tomorrow["tracking_code"])["client_key"] not in keys
    # Neither the address nor its key leaves in the event, the answer or a log line.
    events = json.dumps(ctx.publisher.published)  # type: ignore[attr-defined]
    for text in (events, json.dumps(first), caplog.text):
        assert ADDRESS not in text
        assert keys[0] not in text


def test_without_an_address_there_is_no_client_key(ctx: IntakeContext) -> None:
    from bahagia.validation import parse_submission

    parsed = parse_submission("complaint", samples.complaint(), ctx.catalogue, service.today(ctx))
    accepted = service.submit(ctx, parsed, None)
    assert "client_key" not in _stored(ctx, accepted.response["tracking_code"])


# --- notify: the budgets -----------------------------------------------------------------------------------------


def _notifier(store: FakeNotificationStore, docs: FakeSubmissions, provider: FakeSms, **budgets: int) -> Notifier:
    c = catalogue()
    return Notifier(
        store=store,
        submissions=docs,
        provider=provider,
        names=sms.names_from_catalogue(c.programs, c.categories, c.opd),
        status_url="http://127.0.0.1:8080/status",
        secret=b"budget-ids",
        daily_cap=5,
        client_daily_budget=budgets.get("client", 30),
        daily_budget=budgets.get("city", 5000),
    )


def _receipt(docs: FakeSubmissions, index: int, client_key: str | None, status: str = "diterima") -> SubmissionEvent:
    from bahagia.codes import new_tracking_code

    code = new_tracking_code(lambda n, i=index: (i * 7 + 3) % n)
    phone = f"+62812000{index:05d}"
    docs.docs[code] = {
        "tracking_code": code,
        "kind": "complaint",
        "category": "infrastruktur",
        "status": status,
        "privacy": "public",
        "reporter": {"name": "Warga Contoh", "phone": phone},
        **({"client_key": client_key} if client_key else {}),
    }
    return SubmissionEvent.model_validate(
        {
            "event_id": f"evt-{index}-{status}",
            "type": sms.RECEIVED if status == "diterima" else sms.STATUS_CHANGED,
            "occurred_at": NOW.isoformat(),
            "tracking_code": code,
            "kind": "complaint",
            "category": "infrastruktur",
            "status": status,
        }
    )


@pytest.fixture(autouse=True)
def _numbers(personal_data: PersonalData) -> None:
    for index in range(12):
        personal_data.register(phone=f"+62812000{index:05d}", name="Warga Contoh")


def test_one_address_gets_its_daily_budget_of_receipts_and_then_a_clear_refusal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, docs, provider = FakeNotificationStore(), FakeSubmissions(), FakeSms()
    notifier = _notifier(store, docs, provider, client=3)
    caplog.set_level(logging.INFO)
    outcomes = [notify_citizen(_receipt(docs, i, "client-key-a"), notifier, NOW) for i in range(5)]
    assert [o.outcome for o in outcomes] == [Outcome.SENT] * 3 + [Outcome.BLOCKED] * 2
    assert {o.reason for o in outcomes[3:]} == {"client_budget_reached"}
    assert len(provider.sent) == 3
    refused = [r for r in store.records.values() if r["status"] == "failed"]
    assert [r["failure_reason"] for r in refused] == ["client_budget_reached"] * 2
    # Another address is not held back by the first one's budget.
    assert notify_citizen(_receipt(docs, 9, "client-key-b"), notifier, NOW).outcome is Outcome.SENT
    # The log says it once, with the figure, as a warning an alert can match.
    [warning] = [r for r in caplog.records if r.getMessage() == "daily SMS budget reached"]
    assert warning.levelno == logging.WARNING
    assert warning.fields == {"budget": "client", "limit": 3, "business_date": "2026-11-30"}  # type: ignore[attr-defined]


def test_the_city_wide_budget_holds_whatever_the_addresses() -> None:
    store, docs, provider = FakeNotificationStore(), FakeSubmissions(), FakeSms()
    notifier = _notifier(store, docs, provider, city=4)
    outcomes = [notify_citizen(_receipt(docs, i, f"client-{i}"), notifier, NOW).outcome for i in range(6)]
    assert outcomes == [Outcome.SENT] * 4 + [Outcome.BLOCKED] * 2
    assert [r["failure_reason"] for r in store.records.values() if r["status"] == "failed"] == [
        "daily_budget_reached"
    ] * 2
    # Status changes come from staff, a handful per case: a citizen must not miss them.
    assert notify_citizen(_receipt(docs, 0, "client-0", "diverifikasi"), notifier, NOW).outcome is Outcome.SENT
    # The next WIB day starts afresh.
    tomorrow = NOW + dt.timedelta(days=1)
    assert notify_citizen(_receipt(docs, 11, "client-11"), notifier, tomorrow).outcome is Outcome.SENT


def test_the_nightly_report_counts_the_refusals() -> None:
    store, docs, provider = FakeNotificationStore(), FakeSubmissions(), FakeSms()
    notifier = _notifier(store, docs, provider, client=1, city=2)
    for i in range(4):
        notify_citizen(_receipt(docs, i, "same-client" if i < 2 else f"client-{i}"), notifier, NOW)
    totals: dict[str, int] = {}
    for fields in store.report_counts.values():
        for name, value in fields.items():
            totals[name] = totals.get(name, 0) + value
    assert totals[report_counters.field("sms", "refused", n.FailureReason.CLIENT_BUDGET_REACHED.value)] == 1
    assert totals[report_counters.field("sms", "refused", n.FailureReason.DAILY_BUDGET_REACHED.value)] == 1
    assert totals[report_counters.field("sms", "sent")] == 2


def test_the_budgets_are_settings() -> None:
    settings = Settings(environment="test", sms_daily_budget_per_client=7, sms_daily_budget=900)
    assert (settings.sms_daily_budget_per_client, settings.sms_daily_budget) == (7, 900)
    defaults = Settings(environment="test")
    assert defaults.sms_daily_budget_per_client >= defaults.sms_daily_cap_per_number
