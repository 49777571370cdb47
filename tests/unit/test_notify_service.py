"""The notify service on fakes: once per (event, recipient), retries, permanent failures, consent and abuse rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import ports
from bahagia import calendar, report_counters, sms
from bahagia import notifications as n
from bahagia.catalogue import catalogue
from notify.events import PoisonEvent, SubmissionEvent
from notify.service import Notifier, Outcome, RetryLater, notify_citizen
from tests.fakes import FakeNotificationStore, FakeSms, FakeSubmissions

NOW = dt.datetime(2025, 11, 29, 3, 0, tzinfo=dt.UTC)  # 10:00 WIB
SECRET = b"test-secret"
PHONE = "+6281234567890"


def _code(i: int = 0) -> str:
    import random

    from bahagia.codes import new_tracking_code

    return new_tracking_code(random.Random(i).randrange)


def _application(code: str, phone: str | None = PHONE, **extra: Any) -> dict[str, Any]:
    return {
        "tracking_code": code,
        "kind": "application",
        "program": "kartu-bahagia",
        "benefit": "pendidikan",
        "status": "diterima",
        "privacy": "private",
        "applicant": {"name": "Siti", "nik": "1571...", "phone": phone},
        **extra,
    }


def _complaint(code: str, privacy: str, phone: str | None = PHONE, category: str = "pungli") -> dict[str, Any]:
    doc: dict[str, Any] = {
        "tracking_code": code,
        "kind": "complaint",
        "category": category,
        "status": "diterima",
        "privacy": privacy,
    }
    if privacy != "anonymous":
        doc["reporter"] = {"name": "Budi", "phone": phone}
    return doc


def _event(
    code: str,
    event_id: str = "evt-1",
    type_: str = sms.RECEIVED,
    status: str = "diterima",
    doc: dict[str, Any] | None = None,
) -> SubmissionEvent:
    doc = doc or {}
    return SubmissionEvent.model_validate(
        {
            "event_id": event_id,
            "type": type_,
            "occurred_at": NOW.isoformat(),
            "tracking_code": code,
            # as bahagia.events publishes it: the programme or the category, never the benefit
            "kind": doc.get("kind", "application"),
            "program": doc.get("program"),
            "category": doc.get("category"),
            "status": status,
        }
    )


@pytest.fixture
def provider() -> FakeSms:
    return FakeSms()


@pytest.fixture
def store() -> FakeNotificationStore:
    return FakeNotificationStore()


@pytest.fixture
def submissions() -> FakeSubmissions:
    return FakeSubmissions()


@pytest.fixture
def notifier(store: FakeNotificationStore, submissions: FakeSubmissions, provider: FakeSms) -> Notifier:
    c = catalogue()
    return Notifier(
        store=store,
        submissions=submissions,
        provider=provider,
        names=sms.names_from_catalogue(c.programs, c.categories, c.opd),
        status_url="http://127.0.0.1:8080/status",
        secret=SECRET,
        daily_cap=5,
    )


def test_a_receipt_is_one_sms_with_the_code_and_a_record_without_the_number(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms, store: FakeNotificationStore
) -> None:
    code = _code()
    submissions.docs[code] = _application(code)
    result = notify_citizen(_event(code, doc=submissions.docs[code]), notifier, NOW)
    assert result.outcome is Outcome.SENT
    assert len(provider.sent) == 1
    phone, text = provider.sent[0]
    assert phone == PHONE
    assert f"{code[:4]}-{code[4:]}" in text
    assert "Kartu Bahagia Pendidikan" in text
    [(record_id, record)] = store.records.items()
    assert record_id.startswith("evt-1:")
    assert record["status"] == "sent"
    assert record["provider_message_id"] == "fake-1"
    assert record["template"] == "receipt"
    assert record["segments"] == 1
    assert record["attempts"] == 1
    assert record["provider"] == "fake"
    assert record["sent_at"] == NOW
    assert record["recipient_role"] == "applicant"
    assert PHONE not in repr(record)
    assert PHONE[1:] not in repr(record)
    assert PHONE not in record_id


def test_the_same_event_again_sends_nothing(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms
) -> None:
    code = _code()
    submissions.docs[code] = _application(code)
    event = _event(code, doc=submissions.docs[code])
    assert notify_citizen(event, notifier, NOW).outcome is Outcome.SENT
    for minutes in (0, 1, 90):
        again = notify_citizen(event, notifier, NOW + dt.timedelta(minutes=minutes))
        assert again.outcome is Outcome.DUPLICATE
    assert len(provider.sent) == 1


def test_a_transient_failure_asks_for_a_retry_and_the_retry_sends_once(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms, store: FakeNotificationStore
) -> None:
    code = _code()
    submissions.docs[code] = _application(code)
    provider.failures = [ports.TransientSmsError(n.FailureReason.PROVIDER_THROTTLED)]
    event = _event(code, doc=submissions.docs[code])
    with pytest.raises(RetryLater):
        notify_citizen(event, notifier, NOW)
    [record] = store.records.values()
    assert record["status"] == "failed"
    assert record["retryable"] is True
    assert record["failure_reason"] == "provider_throttled"
    assert notify_citizen(event, notifier, NOW + dt.timedelta(seconds=10)).outcome is Outcome.SENT
    assert notify_citizen(event, notifier, NOW + dt.timedelta(seconds=20)).outcome is Outcome.DUPLICATE
    assert len(provider.sent) == 1
    assert record["status"] == "sent"
    assert record["attempts"] == 2
    assert record["failure_reason"] is None
    # one notification, one count towards the daily cap, however many attempts
    assert list(store.counters.values()) == [1]


def _report_counts(store: FakeNotificationStore) -> dict[str, int]:
    """The SMS counters of the nightly report the store was handed, non-zero ones only (one date, one shard here)."""
    [fields] = store.report_counts.values()
    return {name: value for name, value in fields.items() if value}


def test_the_report_counts_follow_the_record_through_a_failure_and_a_retry(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms, store: FakeNotificationStore
) -> None:
    code = _code()
    submissions.docs[code] = _application(code)
    provider.failures = [ports.TransientSmsError(n.FailureReason.PROVIDER_THROTTLED)]
    event = _event(code, doc=submissions.docs[code])
    with pytest.raises(RetryLater):
        notify_citizen(event, notifier, NOW)
    assert list(store.report_counts) == [f"2025-11-29_{report_counters.shard_of(code)}"]
    assert _report_counts(store) == {"sms__failed": 1, "sms__segments__failed": 1}
    notify_citizen(event, notifier, NOW + dt.timedelta(seconds=10))
    assert _report_counts(store) == {"sms__sent": 1, "sms__segments__sent": 1}
    notify_citizen(event, notifier, NOW + dt.timedelta(seconds=20))  # a duplicate delivery changes nothing
    assert _report_counts(store) == {"sms__sent": 1, "sms__segments__sent": 1}


def test_a_blocked_sms_is_counted_as_failed(
    notifier: Notifier, submissions: FakeSubmissions, store: FakeNotificationStore
) -> None:
    code = _code()
    submissions.docs[code] = _application(code, phone="+62741123456")  # a landline: never sent to
    assert notify_citizen(_event(code, doc=submissions.docs[code]), notifier, NOW).outcome is Outcome.BLOCKED
    assert _report_counts(store) == {"sms__failed": 1, "sms__segments__failed": 1}


def test_a_permanent_provider_failure_is_recorded_and_never_retried(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms, store: FakeNotificationStore
) -> None:
    code = _code()
    submissions.docs[code] = _application(code)
    provider.failures = [ports.PermanentSmsError(n.FailureReason.INVALID_NUMBER)]
    event = _event(code, doc=submissions.docs[code])
    result = notify_citizen(event, notifier, NOW)
    assert result.outcome is Outcome.FAILED
    assert result.reason == "invalid_number"
    assert notify_citizen(event, notifier, NOW + dt.timedelta(minutes=5)).outcome is Outcome.DUPLICATE
    assert provider.calls == 1
    assert provider.sent == []
    [record] = store.records.values()
    assert record["status"] == "failed"
    assert record["retryable"] is False


@pytest.mark.parametrize("phone", ["+62741123456", "+15555550100", "081234567890", "+62 812 3456 7890"])
def test_only_indonesian_mobile_numbers_in_e164_are_sent_to(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms, store: FakeNotificationStore, phone: str
) -> None:
    code = _code()
    submissions.docs[code] = _application(code, phone=phone)
    result = notify_citizen(_event(code, doc=submissions.docs[code]), notifier, NOW)
    assert result.outcome is Outcome.BLOCKED
    assert result.reason == "invalid_number"
    assert provider.calls == 0
    [record] = store.records.values()
    assert record["status"] == "failed"
    assert record["failure_reason"] == "invalid_number"


def test_an_opted_out_number_gets_nothing_and_a_provider_opt_out_is_remembered(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms, store: FakeNotificationStore
) -> None:
    first, second = _code(1), _code(2)
    submissions.docs[first] = _application(first)
    submissions.docs[second] = _application(second)
    provider.failures = [ports.PermanentSmsError(n.FailureReason.OPTED_OUT)]
    result = notify_citizen(_event(first, "evt-a", doc=submissions.docs[first]), notifier, NOW)
    assert result.outcome is Outcome.FAILED
    assert result.reason == "opted_out"
    assert list(store.opt_outs) == [n.recipient_key(SECRET, PHONE)]
    # from now on our own list answers, without asking the provider
    result = notify_citizen(_event(second, "evt-b", doc=submissions.docs[second]), notifier, NOW)
    assert result.outcome is Outcome.BLOCKED
    assert result.reason == "opted_out"
    assert provider.calls == 1


def test_the_daily_cap_per_number_holds_and_resets_the_next_wib_day(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms
) -> None:
    outcomes = []
    for i in range(7):
        code = _code(i + 1)
        submissions.docs[code] = _application(code)
        outcomes.append(notify_citizen(_event(code, f"evt-{i}", doc=submissions.docs[code]), notifier, NOW).outcome)
    assert outcomes == [Outcome.SENT] * 5 + [Outcome.BLOCKED] * 2
    assert len(provider.sent) == 5
    # 17:00 UTC is midnight in Jakarta: a new business day
    tomorrow = NOW.replace(hour=17)
    code = _code(20)
    submissions.docs[code] = _application(code)
    assert (
        notify_citizen(_event(code, "evt-next", doc=submissions.docs[code]), notifier, tomorrow).outcome is Outcome.SENT
    )
    # another number is not affected by the first one's cap
    other = _code(21)
    submissions.docs[other] = _application(other, phone="+6285212345678")
    assert (
        notify_citizen(_event(other, "evt-other", doc=submissions.docs[other]), notifier, NOW).outcome is Outcome.SENT
    )


def test_status_changes_are_not_capped_because_only_staff_cause_them(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms
) -> None:
    codes = [_code(i + 1) for i in range(6)]
    for i, code in enumerate(codes):
        submissions.docs[code] = _application(code)
        notify_citizen(_event(code, f"evt-{i}", doc=submissions.docs[code]), notifier, NOW)
    assert len(provider.sent) == 5
    changed = notify_citizen(
        _event(codes[0], "evt-verified", sms.STATUS_CHANGED, "diverifikasi", submissions.docs[codes[0]]), notifier, NOW
    )
    assert changed.outcome is Outcome.SENT
    assert "sudah diverifikasi" in provider.sent[-1][1]


def test_an_anonymous_report_sends_nothing_and_records_nothing(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms, store: FakeNotificationStore
) -> None:
    code = _code()
    submissions.docs[code] = _complaint(code, "anonymous")
    result = notify_citizen(_event(code, doc=submissions.docs[code]), notifier, NOW)
    assert result.outcome is Outcome.NO_RECIPIENT
    assert provider.calls == 0
    assert store.records == {}


def test_a_confidential_report_gets_a_neutral_text(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms
) -> None:
    code = _code()
    submissions.docs[code] = _complaint(code, "confidential")
    notify_citizen(_event(code, doc=submissions.docs[code]), notifier, NOW)
    [(_, text)] = provider.sent
    assert "Pungutan" not in text
    assert "BALAP" not in text
    assert "Laporan" not in text
    assert f"{code[:4]}-{code[4:]}" in text


def test_a_status_change_names_the_opd_from_the_submission(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms
) -> None:
    code = _code()
    submissions.docs[code] = {
        **_complaint(code, "public", category="lingkungan"),
        "opd": "dlh",
        "status": "didisposisikan",
    }
    result = notify_citizen(
        _event(code, "evt-s", sms.STATUS_CHANGED, "didisposisikan", submissions.docs[code]), notifier, NOW
    )
    assert result.template == "status.didisposisikan"
    assert "diteruskan ke Dinas Lingkungan Hidup" in provider.sent[0][1]


def test_a_status_without_a_text_sends_nothing(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms
) -> None:
    code = _code()
    submissions.docs[code] = _complaint(code, "public", category="lingkungan")
    result = notify_citizen(
        _event(code, "evt-x", sms.STATUS_CHANGED, "disalurkan", submissions.docs[code]), notifier, NOW
    )
    assert result.outcome is Outcome.NO_TEMPLATE
    assert provider.calls == 0


def test_a_concurrent_delivery_waits_while_the_first_holds_the_lease_and_takes_over_after(
    notifier: Notifier, submissions: FakeSubmissions, provider: FakeSms, store: FakeNotificationStore
) -> None:
    code = _code()
    submissions.docs[code] = _application(code)
    event = _event(code, doc=submissions.docs[code])
    # a first delivery claimed and died before sending (or is still sending)
    claim = store.claim(
        n.ClaimRequest(
            notification_id=n.notification_id(event.event_id, n.recipient_key(SECRET, PHONE)),
            recipient=n.recipient_key(SECRET, PHONE),
            counter_id="c",
            fresh={
                "status": "queued",
                "attempts": 1,
                "lease_until": NOW + dt.timedelta(seconds=60),
                "business_date": calendar.business_date(NOW),
            },
            now=NOW,
            lease_until=NOW + dt.timedelta(seconds=60),
            daily_cap=5,
        )
    )
    assert claim.outcome is n.ClaimOutcome.CLAIMED
    with pytest.raises(RetryLater):
        notify_citizen(event, notifier, NOW + dt.timedelta(seconds=30))
    assert provider.calls == 0
    assert notify_citizen(event, notifier, NOW + dt.timedelta(seconds=61)).outcome is Outcome.SENT
    assert len(provider.sent) == 1


def test_an_event_for_an_unknown_submission_is_poison(notifier: Notifier) -> None:
    with pytest.raises(PoisonEvent):
        notify_citizen(_event(_code()), notifier, NOW)
