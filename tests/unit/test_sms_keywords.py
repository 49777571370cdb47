"""Two-way SMS in the domain: keywords, one-segment replies, who gets a status, audit records, delivery receipts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bahagia import lifecycle, sms
from bahagia.codes import ALPHABET, new_tracking_code
from bahagia.sms_inbound import (
    REPLY_VARIANTS,
    Command,
    DeliveryOutcome,
    InboundSms,
    ReceiptError,
    Reply,
    audit_record,
    parse_text,
    plan_reply,
    receipt_from_aws_event,
    receipt_from_gateway,
    receipt_update,
    render_reply,
)
from tests.sns_signing import sms_event

CODE = new_tracking_code()
PHONE = "+6281234567890"
URL = "https://bahagia.jambikota.go.id/status"
LONGEST_URL = "https://" + "x" * (sms.STATUS_URL_MAX_LENGTH - len("https://"))
NOW = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC)  # 03:00 WIB on 3 December


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("STOP", Command.STOP),
        ("stop", Command.STOP),
        ("  Stop.  ", Command.STOP),
        ("s t o p", Command.STOP),
        ("Stop kirim sms", Command.STOP),
        ("BERHENTI", Command.STOP),
        ("berhenti!", Command.STOP),
        ("ＳＴＯＰ", Command.STOP),  # full-width letters from some keyboards
        ("MULAI", Command.START),
        ("mulai lagi", Command.START),
        ("Start", Command.START),
        ("", Command.HELP),
        ("halo pak", Command.HELP),
        ("stopwatch", Command.HELP),
        ("apa kabar STOP", Command.HELP),
        ("👍", Command.HELP),
    ],
)
def test_keywords_in_both_languages_forgive_case_spaces_and_punctuation(text: str, command: Command) -> None:
    assert parse_text(text).command is command


@pytest.mark.parametrize(
    "template",
    [
        "STATUS {code}",
        "status {code}",
        "Status: {code}",
        "STATUS  {dashed}",
        "status {spaced}",
        "STATUS{code}",
        "  status   {lower}  ",
    ],
)
def test_status_takes_the_code_however_it_is_typed(template: str) -> None:
    text = template.format(
        code=CODE, dashed=f"{CODE[:4]}-{CODE[4:]}", spaced=f"{CODE[:4]} {CODE[4:]}", lower=CODE.lower()
    )
    parsed = parse_text(text)
    assert parsed.command is Command.STATUS
    assert parsed.tracking_code == CODE


# Another check character than the right one: Luhn mod 30 catches every single-symbol change.
WRONG_CHECK = CODE[:-1] + ALPHABET[(ALPHABET.index(CODE[-1]) + 1) % len(ALPHABET)]


@pytest.mark.parametrize("text", ["STATUS", "STATUS 1234", f"STATUS {WRONG_CHECK}", "statusnya apa"])
def test_status_without_a_valid_code_has_no_code(text: str) -> None:
    parsed = parse_text(text)
    assert parsed.command is Command.STATUS
    assert parsed.tracking_code is None


def _labels() -> list[str]:
    return [info.label for kind in ("complaint", "application") for info in lifecycle.lifecycle(kind).statuses.values()]


@pytest.mark.parametrize("url", [URL, LONGEST_URL])
def test_every_reply_fits_one_gsm7_segment_with_the_longest_label_and_url(url: str) -> None:
    for reply in REPLY_VARIANTS:
        for label in _labels():
            text = render_reply(reply, url, CODE, label)
            assert sms.fits_one_segment(text), text
            assert text.startswith(sms.SENDER_PREFIX)


def test_the_status_reply_names_the_label_and_code_and_nothing_else() -> None:
    text = render_reply(Reply.STATUS, URL, CODE, "Sedang ditindaklanjuti")
    assert text == f"Pemkot Jambi: Status {CODE[:4]}-{CODE[4:]}: Sedang ditindaklanjuti. Info: {URL}"


def _inbound(text: str, sender: str = PHONE) -> InboundSms:
    return InboundSms("sns", "in-1", sender, text, NOW)


def _complaint(phone: str | None = PHONE, privacy: str = "public") -> dict[str, Any]:
    doc: dict[str, Any] = {"tracking_code": CODE, "kind": "complaint", "status": "ditindaklanjuti", "privacy": privacy}
    if phone:
        doc["reporter"] = {"name": "Budi", "phone": phone}
    return doc


def test_status_answers_the_label_to_the_number_that_filed_the_case() -> None:
    plan = plan_reply(
        _inbound(f"status {CODE}"),
        parse_text(f"status {CODE}"),
        message="k" * 64,
        submission=_complaint(),
        status_url=URL,
        now=NOW,
    )
    assert plan.reply is Reply.STATUS
    assert plan.text is not None
    assert "Sedang ditindaklanjuti" in plan.text
    assert plan.tracking_code == CODE
    assert plan.known_sender
    assert plan.event_id == "sms-reply-" + "k" * 32


@pytest.mark.parametrize(
    "submission",
    [None, "other_phone", "anonymous"],
)
def test_status_for_someone_elses_or_an_unknown_case_gets_the_same_neutral_answer(submission: Any) -> None:
    doc = {
        None: None,
        "other_phone": _complaint("+6281399998888"),
        "anonymous": _complaint(None, privacy="anonymous"),
    }[submission]
    plan = plan_reply(
        _inbound(f"STATUS {CODE}"),
        parse_text(f"STATUS {CODE}"),
        message="k" * 64,
        submission=doc,
        status_url=URL,
        now=NOW,
    )
    assert plan.reply is Reply.NOT_FOUND
    assert plan.text == render_reply(Reply.NOT_FOUND, URL)
    assert plan.tracking_code is None
    assert not plan.known_sender


def test_stop_and_start_change_the_opt_out_and_are_answered_per_message() -> None:
    stop = plan_reply(
        _inbound("BERHENTI"), parse_text("BERHENTI"), message="a" * 64, submission=None, status_url=URL, now=NOW
    )
    start = plan_reply(
        _inbound("MULAI"), parse_text("MULAI"), message="b" * 64, submission=None, status_url=URL, now=NOW
    )
    assert (stop.opt_out, stop.opt_in, stop.reply) == (True, False, Reply.STOPPED)
    assert (start.opt_out, start.opt_in, start.reply) == (False, True, Reply.STARTED)
    assert stop.event_id != start.event_id


def test_help_is_keyed_by_the_wib_date_so_a_number_gets_one_a_day() -> None:
    first = plan_reply(_inbound("halo"), parse_text("halo"), message="a" * 64, submission=None, status_url=URL, now=NOW)
    second = plan_reply(_inbound("??"), parse_text("??"), message="b" * 64, submission=None, status_url=URL, now=NOW)
    next_day = plan_reply(
        _inbound("halo"),
        parse_text("halo"),
        message="c" * 64,
        submission=None,
        status_url=URL,
        now=NOW + dt.timedelta(days=1),
    )
    assert first.event_id == second.event_id == "sms-help-2026-12-03"  # 03:00 WIB, though UTC still says the 2nd
    assert next_day.event_id == "sms-help-2026-12-04"


def test_the_audit_keeps_the_text_of_a_known_sender_only() -> None:
    inbound = _inbound("Tolong segera diperbaiki, pak")
    plan = plan_reply(inbound, parse_text(inbound.text), message="a" * 64, submission=None, status_url=URL, now=NOW)
    stranger = audit_record(inbound, plan, sender_key="s" * 64, known_sender=False, now=NOW)
    known = audit_record(inbound, plan, sender_key="s" * 64, known_sender=True, now=NOW)
    assert stranger["body"] is None
    assert stranger["body_length"] == len(inbound.text)
    assert known["body"] == inbound.text
    assert PHONE not in str(stranger)
    assert PHONE not in str(known)
    assert stranger["command"] == "help"


# --- delivery receipts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "final", "outcome", "reason"),
    [
        ("TEXT_DELIVERED", True, DeliveryOutcome.DELIVERED, None),
        ("TEXT_SUCCESSFUL", True, DeliveryOutcome.DELIVERED, None),
        ("TEXT_QUEUED", False, DeliveryOutcome.PENDING, "queued"),
        ("TEXT_PENDING", False, DeliveryOutcome.PENDING, "pending"),
        ("TEXT_CARRIER_UNREACHABLE", False, DeliveryOutcome.PENDING, "carrier_unreachable"),
        ("TEXT_BLOCKED", True, DeliveryOutcome.UNDELIVERED, "blocked"),
        ("TEXT_TTL_EXPIRED", True, DeliveryOutcome.UNDELIVERED, "ttl_expired"),
        ("TEXT_UNKNOWN", True, DeliveryOutcome.UNDELIVERED, "unknown"),
    ],
)
def test_aws_sms_events_map_to_delivered_undelivered_or_pending(
    event_type: str, final: bool, outcome: DeliveryOutcome, reason: str | None
) -> None:
    receipt = receipt_from_aws_event(sms_event("m-1", event_type, final))
    assert (receipt.message_id, receipt.outcome, receipt.reason) == ("m-1", outcome, reason)


def test_gateway_receipts_map_and_keep_only_a_clean_reason_code() -> None:
    receipt = receipt_from_gateway({"message_id": "g-1", "status": "failed", "reason": "Absent Subscriber +62812"})
    assert receipt.outcome is DeliveryOutcome.UNDELIVERED
    assert receipt.reason == "absent_subscriber"
    assert receipt_from_gateway({"message_id": "g-1", "status": "delivered"}).outcome is DeliveryOutcome.DELIVERED


@pytest.mark.parametrize("body", [{}, {"message_id": "x", "status": "exploded"}, {"message_id": 3, "status": "failed"}])
def test_bodies_that_are_not_receipts_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ReceiptError):
        receipt_from_gateway(body)
    with pytest.raises(ReceiptError):
        receipt_from_aws_event(body)


def test_a_receipt_moves_a_sent_record_once_and_nothing_else() -> None:
    delivered = receipt_from_aws_event(sms_event("m-1"))
    failed = receipt_from_aws_event(sms_event("m-1", "TEXT_BLOCKED"))
    record = {"status": "sent", "segments": 1, "business_date": "2026-12-02", "tracking_code": "ABCDEFGH2"}
    update = receipt_update("e:r", record, failed, NOW)
    assert update is not None
    assert update.notification_id == "e:r"
    assert update.fields["status"] == "undelivered"
    assert update.fields["delivery_reason"] == "blocked"
    # The report's counters: one record and its segment leave `sent` for `undelivered`.
    [counts] = update.counts(record).values()
    assert counts == {
        "sms__sent": -1,
        "sms__segments__sent": -1,
        "sms__undelivered": 1,
        "sms__segments__undelivered": 1,
    }
    assert receipt_update("e:r", record, delivered, NOW).fields["status"] == "delivered"  # type: ignore[union-attr]
    for status in ("delivered", "undelivered", "failed", "queued"):
        assert receipt_update("e:r", {**record, "status": status}, delivered, NOW) is None
    pending = receipt_from_aws_event(sms_event("m-1", "TEXT_PENDING", False))
    assert receipt_update("e:r", record, pending, NOW) is None
