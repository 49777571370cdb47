"""The sms_webhook service on fakes: one answer per text, opt-out and opt-in, help once a day, caps, receipts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bahagia import notifications as n
from bahagia.codes import format_tracking_code, new_tracking_code
from bahagia.sms_inbound import Command, DeliveryOutcome, DeliveryReceipt, InboundSms, Reply
from inbound.service import Outcome, Responder, RetryLater, answer_text, record_receipt
from ports import TransientSmsError
from tests.fakes import FakeNotificationStore, FakeSms, FakeSubmissions
from tests.inbound_fakes import FakeInboundStore

SECRET = b"test-secret"
OWNER = "+6281311112222"  # the sample complaint's reporter
STRANGER = "+6285799990000"
URL = "https://bahagia.jambikota.go.id/status"
NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
CODE = new_tracking_code()


class World:
    def __init__(self, daily_cap: int = 5) -> None:
        self.sms = FakeSms(name="sns")
        self.notifications = FakeNotificationStore()
        self.store = FakeInboundStore(self.notifications)
        self.submissions = FakeSubmissions(
            {
                CODE: {
                    "tracking_code": CODE,
                    "kind": "complaint",
                    "category": "pungli",
                    "privacy": "confidential",
                    "status": "didisposisikan",
                    "reporter": {"name": "Budi Contoh", "phone": OWNER},
                }
            }
        )
        self.responder = Responder(
            store=self.store,
            notifications=self.notifications,
            submissions=self.submissions,
            provider=self.sms,
            status_url=URL,
            secret=SECRET,
            daily_cap=daily_cap,
        )
        self.count = 0

    def text(self, body: str, sender: str = OWNER, message_id: str | None = None, at: dt.datetime = NOW) -> Any:
        self.count += 1
        inbound = InboundSms("sns", message_id or f"in-{self.count}", sender, body, at)
        return answer_text(self.responder, inbound, at)

    def recipient(self, phone: str) -> str:
        return n.recipient_key(SECRET, phone)


def test_status_answers_the_filer_with_the_label_only_once_per_message() -> None:
    world = World()
    result = world.text(f"status {CODE.lower()}", message_id="m-1")
    assert (result.outcome, result.reply) == (Outcome.REPLIED, Reply.STATUS)
    assert world.sms.sent == [(OWNER, f"Pemkot Jambi: Status {format_tracking_code(CODE)}: "
                                      f"Diteruskan ke perangkat daerah. Info: {URL}")]  # fmt: skip
    assert "pungli" not in world.sms.sent[0][1].lower()

    again = world.text(f"status {CODE.lower()}", message_id="m-1")  # the provider delivers the same text again
    assert again.duplicate
    assert len(world.sms.sent) == 1
    assert len(world.store.audit) == 1
    record = next(iter(world.notifications.records.values()))
    assert record["tracking_code"] == CODE
    assert record["status"] == "sent"
    assert record["recipient_role"] == "sender"


def test_status_from_another_number_gets_the_neutral_answer_and_its_text_is_not_kept() -> None:
    world = World()
    world.text(f"STATUS {CODE}", sender=STRANGER)
    assert world.sms.sent[0][0] == STRANGER
    assert "Kode tidak ditemukan" in world.sms.sent[0][1]
    audit = next(iter(world.store.audit.values()))
    assert audit["body"] is None
    assert audit["known_sender"] is False
    assert audit["tracking_code"] is None
    assert STRANGER not in str(audit)


def test_the_filer_is_a_known_sender_whose_text_is_kept() -> None:
    world = World()
    world.text(f"STATUS {CODE}")
    world.text("Terima kasih, mohon segera ditindak")
    texts = [record["body"] for record in world.store.audit.values()]
    assert texts == [f"STATUS {CODE}", "Terima kasih, mohon segera ditindak"]


def test_help_is_sent_once_per_number_per_wib_day() -> None:
    world = World()
    assert world.text("halo").outcome is Outcome.REPLIED
    assert world.text("ada orang?").outcome is Outcome.NOT_REPLIED
    assert world.text("halo", sender=STRANGER).outcome is Outcome.REPLIED
    tomorrow = NOW + dt.timedelta(days=1)
    assert world.text("halo lagi", at=tomorrow).outcome is Outcome.REPLIED
    assert len(world.sms.sent) == 3
    assert len(world.store.audit) == 4  # every text is audited, answered or not


def test_stop_confirms_once_then_nothing_more_reaches_the_number_until_mulai() -> None:
    world = World()
    stop = world.text("Berhenti")
    assert (stop.command, stop.outcome) == (Command.STOP, Outcome.REPLIED)
    assert "MULAI" in world.sms.sent[-1][1]
    assert world.recipient(OWNER) in world.notifications.opt_outs

    assert world.text(f"STATUS {CODE}").outcome is Outcome.NOT_REPLIED
    assert world.text("halo").outcome is Outcome.NOT_REPLIED
    assert len(world.sms.sent) == 1

    start = world.text("mulai")
    assert (start.command, start.outcome) == (Command.START, Outcome.REPLIED)
    assert world.recipient(OWNER) not in world.notifications.opt_outs
    assert world.text(f"STATUS {CODE}").outcome is Outcome.REPLIED
    assert len(world.sms.sent) == 3


def test_replies_count_towards_the_daily_cap() -> None:
    world = World(daily_cap=2)
    for _ in range(4):
        world.text(f"STATUS {CODE}")
    assert len(world.sms.sent) == 2
    blocked = [r for r in world.notifications.records.values() if r["status"] == "failed"]
    assert {r["failure_reason"] for r in blocked} == {"daily_cap_reached"}


def test_a_transient_provider_failure_asks_for_redelivery_and_then_sends_once() -> None:
    world = World()
    world.sms.failures.append(TransientSmsError(n.FailureReason.PROVIDER_UNAVAILABLE, "503"))
    with pytest.raises(RetryLater):
        world.text(f"STATUS {CODE}", message_id="m-9")
    assert world.sms.sent == []
    assert world.text(f"STATUS {CODE}", message_id="m-9").outcome is Outcome.REPLIED
    assert world.text(f"STATUS {CODE}", message_id="m-9").outcome is Outcome.NOT_REPLIED
    assert len(world.sms.sent) == 1
    audit = next(iter(world.store.audit.values()))
    assert audit["outcome"] == "replied"


@pytest.mark.parametrize("sender", ["+14255550182", "PEMKOT", "12345", "+62741123456"])
def test_texts_from_numbers_we_may_not_answer_are_audited_and_ignored(sender: str) -> None:
    world = World()
    result = world.text("STOP", sender=sender)
    assert result.outcome is Outcome.IGNORED
    assert world.sms.sent == []
    assert world.notifications.opt_outs == {}
    audit = next(iter(world.store.audit.values()))
    assert audit["outcome"] == "ignored"
    assert audit["body"] is None


def test_a_receipt_moves_the_record_and_an_unknown_id_is_reported_as_such() -> None:
    world = World()
    world.text(f"STATUS {CODE}")
    record = next(iter(world.notifications.records.values()))
    message_id = record["provider_message_id"]
    delivered = DeliveryReceipt("sns", message_id, DeliveryOutcome.DELIVERED, None)
    assert record_receipt(world.responder, delivered, NOW) == "updated"
    assert record["status"] == "delivered"
    assert record_receipt(world.responder, delivered, NOW) == "unchanged"
    assert record_receipt(world.responder, DeliveryReceipt("sns", "nope", DeliveryOutcome.DELIVERED, None), NOW) == (
        "unknown"
    )
    pending = DeliveryReceipt("sns", message_id, DeliveryOutcome.PENDING, "queued")
    assert record_receipt(world.responder, pending, NOW) == "pending"
