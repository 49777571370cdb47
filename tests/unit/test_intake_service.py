import datetime as dt
import re

import pytest

from bahagia import calendar, codes, errors, report_counters
from bahagia.catalogue import catalogue
from intake import service
from intake.handlers import accept
from settings import Settings
from tests import samples
from tests.fakes import FakePublisher, FakeSubmissionStore

NOW = dt.datetime(2026, 11, 29, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def ctx():
    return service.IntakeContext(
        settings=Settings(environment="test", secret_key="unit-test-secret"),
        catalogue=catalogue(),
        store=FakeSubmissionStore(),
        publisher=FakePublisher(),
        clock=lambda: NOW,
    )


def test_an_application_is_committed_once_and_its_event_published_without_personal_data(ctx):
    accepted = accept(ctx, "application", samples.application(), None)
    body = accepted.body()
    assert body["status"] == "diterima"
    assert body["program"] == "kartu-bahagia"
    assert codes.normalize_tracking_code(body["tracking_code"]) == body["tracking_code"]
    assert len(body["pin"]) == 6
    assert ctx.store.commits == 1
    [event] = ctx.publisher.published
    assert event["type"] == "submission.received"
    assert event["tracking_code"] == body["tracking_code"]
    assert set(event) == {"event_id", "type", "occurred_at", "tracking_code", "kind", "program", "status"}
    text = str(event)
    for secret in (samples.NIK_WOMAN_1985, samples.KK, "Siti", "+6281234567890"):
        assert secret not in text
    assert ctx.store.outbox == {}


def _nonzero(counts):
    return {doc_id: {k: v for k, v in fields.items() if v} for doc_id, fields in counts.items()}


def test_the_report_counts_ride_on_the_commit_and_a_refused_submission_counts_nothing(ctx):
    accepted = accept(ctx, "application", samples.application(), None)
    code = accepted.response["tracking_code"]
    stored = ctx.store.submissions[code]
    shard = report_counters.shard_of(code)
    due_date = calendar.business_date(stored["due_at"])
    assert _nonzero(ctx.store.report_counts) == {
        f"2026-11-29_{shard}": {
            "new": 1,
            "new__kind__application": 1,
            "new__channel__web": 1,
            "new__program__kartu_bahagia": 1,
            "new__benefit__kartu_bahagia__pendidikan": 1,
            "new__kecamatan__15_71_01": 1,
            "new__kelurahan__15_71_01_1001": 1,
            "new__status__diterima": 1,
        },
        f"{due_date}_{shard}": {"sla__due": 1},
    }
    before = _nonzero(ctx.store.report_counts)
    with pytest.raises(errors.BahagiaError):
        accept(ctx, "application", samples.application(), None)  # a duplicate: its batch never commits
    assert _nonzero(ctx.store.report_counts) == before
    accept(ctx, "complaint", samples.complaint(), "key-12345678")
    accept(ctx, "complaint", samples.complaint(), "key-12345678")  # the replay commits nothing
    assert sum(fields.get("new", 0) for fields in ctx.store.report_counts.values()) == 2


def test_the_pin_is_stored_only_as_a_salted_hash(ctx):
    accepted = accept(ctx, "application", samples.application(), None)
    stored = ctx.store.submissions[accepted.response["tracking_code"]]
    # Not as a value of its own: a bare substring check would also fail, once in a great while, on the hex digests.
    assert not re.search(rf"(?<![0-9a-f]){accepted.pin}(?![0-9a-f])", str(stored))
    pepper = ctx.settings.keys.pin_pepper
    assert codes.check_pin(accepted.pin, bytes.fromhex(stored["pin_salt"]), pepper, stored["pin_hash"])
    # Peppered with the PIN's own key, not with the development secret nor another purpose's key.
    for other in (b"unit-test-secret", ctx.settings.keys.ids, ctx.settings.keys.cookie):
        assert not codes.check_pin(accepted.pin, bytes.fromhex(stored["pin_salt"]), other, stored["pin_hash"])


def test_a_second_open_application_for_the_same_nik_and_programme_is_409(ctx):
    accept(ctx, "application", samples.application(), None)
    with pytest.raises(errors.BahagiaError) as caught:
        accept(ctx, "application", samples.application(), None)
    assert caught.value.status == 409
    assert caught.value.code == "duplicate_application"
    assert samples.NIK_WOMAN_1985 not in caught.value.message
    # Another benefit of Kartu Bahagia is another application.
    accept(ctx, "application", samples.application(benefit="kesehatan"), None)
    assert ctx.store.commits == 2


def test_the_same_idempotency_key_and_body_returns_the_first_response_and_stores_nothing_new(ctx):
    first = accept(ctx, "complaint", samples.complaint(), "key-12345678")
    again = accept(ctx, "complaint", samples.complaint(), "key-12345678")
    assert again.body() == first.body()
    assert again.replayed
    assert ctx.store.commits == 1
    assert len(ctx.publisher.published) == 1


def test_the_same_idempotency_key_with_another_body_is_409(ctx):
    accept(ctx, "complaint", samples.complaint(), "key-12345678")
    with pytest.raises(errors.BahagiaError) as caught:
        accept(ctx, "complaint", samples.complaint(description="Sesuatu yang lain sama sekali."), "key-12345678")
    assert caught.value.status == 409
    assert caught.value.code == "idempotency_key_reused"


@pytest.mark.parametrize("key", ["short", "x" * 129])
def test_idempotency_keys_must_be_8_to_128_characters(ctx, key):
    with pytest.raises(errors.BahagiaError) as caught:
        accept(ctx, "complaint", samples.complaint(), key)
    assert caught.value.status == 422


def test_a_tracking_code_collision_draws_another_code(ctx):
    taken, fresh = codes.new_tracking_code(), codes.new_tracking_code()
    ctx.store.submissions[taken] = {"tracking_code": taken, "pin_hash": "someone else's"}
    sequence = iter([taken, fresh])
    ctx.new_code = lambda: next(sequence)
    accepted = accept(ctx, "complaint", samples.complaint(), None)
    assert accepted.response["tracking_code"] == fresh
    assert ctx.store.submissions[taken]["pin_hash"] == "someone else's"  # the first holder is untouched
    assert ctx.store.commits == 1


def test_an_anonymous_report_stores_no_identity_at_all(ctx):
    body = samples.complaint(category="pungli", privacy="anonymous")
    accepted = accept(ctx, "complaint", body, None)
    stored = ctx.store.submissions[accepted.response["tracking_code"]]
    assert "reporter" not in stored
    assert "Budi" not in str(stored)
    assert "+6281311112222" not in str(stored)
    assert accepted.response["privacy"] == "anonymous"


def test_a_failed_publish_leaves_the_event_in_the_outbox_and_the_relay_sends_it(ctx):
    ctx.publisher.fail_next = 1
    accepted = accept(ctx, "complaint", samples.complaint(), None)
    assert accepted.response["status"] == "diterima"
    assert ctx.publisher.published == []
    assert len(ctx.store.outbox) == 1
    # Too young for the relay: the request that wrote it might still be publishing.
    assert service.relay_outbox(ctx) == {"published": 0, "failed": 0}
    ctx.clock = lambda: NOW + dt.timedelta(minutes=1)
    assert service.relay_outbox(ctx) == {"published": 1, "failed": 0}
    assert [e["tracking_code"] for e in ctx.publisher.published] == [accepted.response["tracking_code"]]
    assert ctx.store.outbox == {}


def test_track_shows_status_with_the_right_pin_and_nothing_personal(ctx):
    accepted = accept(ctx, "application", samples.application(), None)
    code = accepted.response["tracking_code"]
    status = service.track(ctx, codes.format_tracking_code(code).lower(), accepted.pin, "198.51.100.7")
    assert status["status"] == "diterima"
    assert [step["status"] for step in status["timeline"]] == ["diterima"]
    text = str(status)
    for secret in (samples.NIK_WOMAN_1985, "Siti", "+6281234567890", "pin_hash"):
        assert secret not in text


def test_wrong_pin_missing_pin_and_unknown_code_are_the_same_404(ctx):
    accepted = accept(ctx, "application", samples.application(), None)
    code = accepted.response["tracking_code"]
    wrong = "000000" if accepted.pin != "000000" else "111111"
    outcomes = []
    for raw, pin in ((code, wrong), (code, None), (codes.new_tracking_code(), accepted.pin), ("nonsense", "1")):
        with pytest.raises(errors.BahagiaError) as caught:
            service.track(ctx, raw, pin, "198.51.100.7")
        outcomes.append((caught.value.status, caught.value.code, caught.value.message))
    assert len(set(outcomes)) == 1
    assert outcomes[0][0] == 404


def test_repeated_wrong_pins_are_rate_limited_per_code_even_from_many_clients(ctx):
    accepted = accept(ctx, "application", samples.application(), None)
    code = accepted.response["tracking_code"]
    wrong = "000000" if accepted.pin != "000000" else "111111"
    for i in range(ctx.settings.track_max_failures_per_code):
        with pytest.raises(errors.BahagiaError):
            service.track(ctx, code, wrong, f"203.0.113.{i}")
    with pytest.raises(errors.BahagiaError) as caught:
        service.track(ctx, code, accepted.pin, "203.0.113.200")
    assert caught.value.status == 429
    assert int(caught.value.headers["Retry-After"]) > 0
    # The next window forgives.
    ctx.clock = lambda: NOW + dt.timedelta(seconds=ctx.settings.track_failure_window_seconds)
    assert service.track(ctx, code, accepted.pin, "203.0.113.200")["status"] == "diterima"


def test_one_client_guessing_many_codes_is_rate_limited(ctx):
    for _ in range(ctx.settings.track_max_failures_per_client):
        with pytest.raises(errors.BahagiaError):
            service.track(ctx, codes.new_tracking_code(), "123456", "203.0.113.9")
    with pytest.raises(errors.BahagiaError) as caught:
        service.track(ctx, codes.new_tracking_code(), "123456", "203.0.113.9")
    assert caught.value.status == 429
