"""The writers keep the nightly report's counters (issue 5): real submissions through the intake service, transitions
through the staff service (the scheduler's auto-close too) and SMS through the notifier, all on the Firestore
emulator, give a report built from `report_counters` equal to the naive full scan of what they stored."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from google.cloud import firestore

import ports
from bahagia import notifications as n
from bahagia import report_counters
from bahagia.lifecycle import Actor
from bahagia.sms_inbound import DeliveryOutcome, DeliveryReceipt
from bootstrap import (
    build_intake_context,
    build_report_context,
    build_sms_notifier,
    build_sms_responder,
    build_staff_context,
)
from inbound import service as inbound
from intake.handlers import accept
from notify import service as notify
from notify.events import SubmissionEvent
from reports import service as reports
from reports.figures import DocumentFigures
from settings import Settings
from staff import service as staff
from staff.bodies import parse_transition
from tests import samples
from tests.fakes import FakeSms

WIB = dt.timezone(dt.timedelta(hours=7))
VERIFIKATOR = Actor("verifikator@jambikota.go.id", "verifikator")
PUPR = Actor("pupr@jambikota.go.id", "opd", "dinas-pupr")
REPORTER = {"name": "Budi Contoh", "phone": "+62 813 1111 2222"}


def wib(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=WIB).astimezone(dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = wib(1, 0)

    def __call__(self) -> dt.datetime:
        return self.now


class Recorder:
    """EventPublisher keeping each event with the time the service published it, for the notifier."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.events: list[tuple[dict[str, Any], dt.datetime]] = []

    def publish(self, event: dict[str, Any]) -> str:
        self.events.append((event, self.clock.now))
        return str(len(self.events))


def _complaint(**changes: Any) -> dict[str, Any]:
    return samples.complaint(occurred_on="2026-11-01", **changes)


def _full_scan(db: firestore.Client, date: dt.date) -> dict[str, Any]:
    """The report counted from every stored submission, audit entry and SMS record (reports' naive path)."""
    documents = {
        "submissions": [s.to_dict() or {} for s in db.collection("submissions").stream()],
        "transitions": [s.to_dict() or {} for s in db.collection("audit").stream()],
        "notifications": [s.to_dict() or {} for s in db.collection("notifications").stream()],
    }
    report = reports.compute_report_by_queries(date, DocumentFigures(documents), reports.names(), reports.sources())
    return report.model_dump(mode="json")


def test_intake_staff_and_notify_keep_the_counters_the_report_reads(
    clean_emulators: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        project_id=clean_emulators.project_id,
        environment="test",
        secret_key="integration-secret",
        publish_timeout_seconds=2.0,
        sms_daily_cap_per_number=1,
    )
    db = firestore.Client(project=settings.project_id)
    clock = Clock()
    recorder = Recorder(clock)
    intake_ctx = dataclasses.replace(build_intake_context(settings), clock=clock, publisher=recorder)
    staff_ctx = dataclasses.replace(build_staff_context(settings), clock=clock, publisher=recorder)
    notifier = build_sms_notifier(settings)  # SNS on moto, records in the real Firestore store

    def submit(at: dt.datetime, kind: str, body: dict[str, Any]) -> str:
        clock.now = at
        return str(accept(intake_ctx, kind, body, None).response["tracking_code"])

    def move(at: dt.datetime, actor: Actor, code: str, to: str, **extra: str) -> None:
        clock.now = at
        staff.transition(staff_ctx, actor, code, parse_transition({"to": to, "note": f"Catatan untuk {to}", **extra}))

    # Tuesday 3 November 2026 (WIB): a complaint, an application, a complaint at 23:30 WIB (the 3rd in UTC too) from
    # the same number (the daily cap of 1 blocks its SMS: a record created as failed), then one at 00:10 WIB on the
    # 4th, which UTC still calls the 3rd.
    c1 = submit(wib(3, 9), "complaint", _complaint(reporter=REPORTER))
    a1 = submit(wib(3, 9, 5), "application", samples.application())
    c2 = submit(wib(3, 23, 30), "complaint", _complaint(category="lingkungan", reporter=REPORTER))
    submit(wib(4, 0, 10), "complaint", _complaint(category="budaya", reporter={"name": "Ani", "phone": "081377778888"}))

    move(wib(3, 11), VERIFIKATOR, a1, "diverifikasi")
    move(wib(3, 14), VERIFIKATOR, c1, "diverifikasi")
    move(wib(3, 15), VERIFIKATOR, c1, "didisposisikan", opd="dinas-pupr")
    move(wib(4, 10), PUPR, c1, "ditindaklanjuti")
    move(wib(4, 11), VERIFIKATOR, a1, "ditolak")
    move(wib(20, 9), VERIFIKATOR, c2, "diverifikasi")  # long after its deadline: late
    # Ten working days after the 4th without news: the scheduler closes c1 (through the same commit_transition).
    clock.now = wib(25, 9)
    assert staff.close_stale_followups(staff_ctx) == {"closed": 1}

    # Every event to the notifier, at the time it was published; the first status change fails once (transient),
    # is recorded failed, and its redelivery is sent: failed -> queued -> sent, counted once in the end.
    flaky = dataclasses.replace(
        notifier, provider=FakeSms(failures=[ports.TransientSmsError(n.FailureReason.PROVIDER_UNAVAILABLE)])
    )
    outcomes: list[notify.Outcome] = []
    failed_once = False
    for event, at in recorder.events:
        parsed = SubmissionEvent.model_validate(event)
        if parsed.type == "submission.status_changed" and not failed_once:
            failed_once = True
            with pytest.raises(notify.RetryLater):
                notify.notify_citizen(parsed, flaky, at)
            at += dt.timedelta(minutes=1)
        outcomes.append(notify.notify_citizen(parsed, notifier, at).outcome)
    assert failed_once
    assert notify.Outcome.BLOCKED in outcomes
    assert outcomes.count(notify.Outcome.SENT) >= 5
    assert len(clean_emulators.sms_messages()) == outcomes.count(notify.Outcome.SENT)

    # Delivery receipts through the sms_webhook's service: one delivered, one not, each moving its record once.
    responder = build_sms_responder(settings)
    sent = [
        record
        for record in (s.to_dict() or {} for s in db.collection("notifications").stream())
        if record["status"] == "sent" and record["provider"] == "sns" and record["business_date"] == "2026-11-03"
    ]
    for record, outcome in zip(sent, (DeliveryOutcome.DELIVERED, DeliveryOutcome.UNDELIVERED), strict=False):
        receipt = DeliveryReceipt("sns", record["provider_message_id"], outcome, "blocked")
        assert inbound.record_receipt(responder, receipt, wib(3, 23, 50)) == "updated"
        assert inbound.record_receipt(responder, receipt, wib(3, 23, 51)) == "unchanged"

    # The counters were written with the changes, by the writers themselves.
    assert list(db.collection(report_counters.COLLECTION).limit(1).stream())
    report_ctx = build_report_context(settings)
    monkeypatch.setattr("bootstrap.report_context", lambda: report_ctx)
    dates = sorted({dt.date(2026, 11, d) for d in (3, 4, 20, 25)})
    built: dict[str, dict[str, Any]] = {}
    for date in dates:
        reports.build_and_publish(date, report_ctx, wib(30, 2))
        stored = report_ctx.store.load(date.isoformat())
        assert stored is not None
        naive = _full_scan(db, date)
        assert {k: stored[k] for k in naive} == naive, date
        built[date.isoformat()] = stored

    # Not an empty report equal to an empty scan: the figures the story wrote are there.
    third, fourth = built["2026-11-03"], built["2026-11-04"]
    assert (third["new_submissions"]["total"], third["new_submissions"]["applications"]) == (3, 1)
    assert third["transitions"]["total"] == 3
    assert (third["sla"]["met"], third["sla"]["late"]) == (3, 0)  # a1 and c1 verified, c1 handed on in time
    # The capped one, and the one its receipt says never reached the phone; the transient failure was sent in the end.
    assert third["sms"]["failed"] == 2
    assert third["sms"]["delivered"] == 1
    assert third["sms"]["sent"] >= 4
    assert fourth["new_submissions"]["total"] == 1
    assert fourth["transitions"]["total"] == 2
    assert built["2026-11-20"]["sla"]["late"] == 1
    closed = built["2026-11-25"]
    assert {s["status"]: s["count"] for s in closed["transitions"]["by_status"] if s["count"]} == {"selesai": 1}
    assert closed["sla"]["to_completion"]["cases"] == 1
    assert fourth["sla"]["to_completion"]["cases"] == 1
