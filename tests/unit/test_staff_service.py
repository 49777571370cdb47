"""The staff use cases on fakes: scoping, views, audit of confidential reads, events, auto-close, staff admin."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bahagia import calendar, report_counters, sla
from bahagia.catalogue import catalogue
from bahagia.errors import BahagiaError
from bahagia.lifecycle import Actor
from settings import Settings
from staff import auth, service
from staff.bodies import parse_staff_user, parse_transition
from staff.queries import parse_list_query
from tests.fakes import FakePublisher, FakeStaffDirectory, FakeStaffStore

MONDAY = dt.datetime(2026, 3, 2, 3, tzinfo=dt.UTC)  # 10:00 WIB
PERSONAL = ("Siti Aminah", "+6281234567890", "Kepala seksi minta uang", "1571014107500001")

VERIFIKATOR = Actor("v@jambikota.go.id", "verifikator")
INTEGRITAS = Actor("i@jambikota.go.id", "integritas")
PIMPINAN = Actor("p@jambikota.go.id", "pimpinan")
ADMIN = Actor("a@jambikota.go.id", "admin")
OPD_PUPR = Actor("o@jambikota.go.id", "opd", "dinas-pupr")
OPD_DLH = Actor("d@jambikota.go.id", "opd", "dlh")


def complaint(
    code: str,
    status: str = "diterima",
    *,
    category: str = "infrastruktur",
    privacy: str = "public",
    opd: str | None = None,
    submitted: dt.datetime = MONDAY,
    **extra: Any,
) -> dict[str, Any]:
    doc = {
        "tracking_code": code,
        "kind": "complaint",
        "category": category,
        "program": None,
        "benefit": None,
        "privacy": privacy,
        "status": status,
        "submitted_at": submitted,
        "status_changed_at": submitted,
        "business_date": calendar.business_date(submitted),
        "kecamatan": "15.71.01",
        "kelurahan": "15.71.01.1001",
        "opd": opd,
        "due_at": sla.due_at("complaint", status, submitted),
        "timeline": [{"status": "diterima", "at": submitted, "note": None}],
        "complaint": {"description": "Kepala seksi minta uang", "location": {"address": "Jl. Sudirman"}},
        "reporter": {"name": "Siti Aminah", "phone": "+6281234567890"},
        "pin_hash": "h",
        "pin_salt": "s",
    }
    doc.update(extra)
    return doc


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def ctx() -> service.StaffContext:
    ids = iter(range(1, 10_000))
    return service.StaffContext(
        settings=Settings(),
        store=FakeStaffStore(),
        publisher=FakePublisher(),
        verifier=auth.LocalTokenVerifier(b"k", "aud", set(catalogue().opd)),
        directory=FakeStaffDirectory(),
        opd_ids=set(catalogue().opd),
        clock=Clock(MONDAY + dt.timedelta(hours=1)),
        new_event_id=lambda: f"evt-{next(ids)}",
    )


def store(ctx: service.StaffContext) -> FakeStaffStore:
    assert isinstance(ctx.store, FakeStaffStore)
    return ctx.store


def add(ctx: service.StaffContext, *docs: dict[str, Any]) -> None:
    for doc in docs:
        store(ctx).submissions[doc["tracking_code"]] = doc


def query(**args: str) -> Any:
    return parse_list_query(args, set(catalogue().opd), 100)


# --- reading -------------------------------------------------------------------------------------------------------


def test_restricted_content_is_for_integritas_only(ctx: service.StaffContext) -> None:
    add(
        ctx,
        complaint("PUNGLI001", category="pungli", privacy="confidential", status="didisposisikan", opd="inspektorat"),
    )
    inspektorat = Actor("x@jambikota.go.id", "opd", "inspektorat")
    for actor in (VERIFIKATOR, PIMPINAN, inspektorat):
        view = service.read_submission(ctx, actor, "PUNGLI001")
        text = json.dumps(view)
        assert view["view"] == "redacted"
        assert not any(secret in text for secret in PERSONAL), actor.role
        assert "reporter" not in view
        assert "complaint" not in view
    full = service.read_submission(ctx, INTEGRITAS, "PUNGLI001")
    assert full["reporter"]["name"] == "Siti Aminah"
    assert full["complaint"]["description"] == "Kepala seksi minta uang"
    assert "pin_hash" not in full
    reads = [e for e in store(ctx).audit if e["action"] == "read"]
    assert [(e["actor"]["role"], e["view"]) for e in reads] == [
        ("verifikator", "redacted"),
        ("pimpinan", "redacted"),
        ("opd", "redacted"),
        ("integritas", "full"),
    ]


def test_ordinary_records_are_full_for_case_workers_and_each_full_read_is_audited(ctx: service.StaffContext) -> None:
    add(ctx, complaint("PUBLIC001"))
    view = service.read_submission(ctx, VERIFIKATOR, "PUBLIC001")
    assert view["reporter"]["phone"] == "+6281234567890"
    assert view["allowed_transitions"] == ["diverifikasi", "ditolak"]
    assert view["due_at"] == "2026-03-05T16:59:59Z"
    assert view["next_step"]["expected_by"] == "2026-03-05"
    assert service.read_submission(ctx, PIMPINAN, "PUBLIC001")["view"] == "redacted"
    # The full read (personal data) is audited; pimpinan's redacted view of an ordinary record shows none.
    assert [(e["action"], e["actor"]["role"], e["view"]) for e in store(ctx).audit] == [("read", "verifikator", "full")]


def test_other_opd_cases_are_404_and_admin_is_403(ctx: service.StaffContext) -> None:
    add(ctx, complaint("PUPR00001", status="didisposisikan", opd="dinas-pupr"))
    assert service.read_submission(ctx, OPD_PUPR, "PUPR00001")["tracking_code"] == "PUPR00001"
    with pytest.raises(BahagiaError) as other:
        service.read_submission(ctx, OPD_DLH, "PUPR00001")
    assert other.value.status == 404
    with pytest.raises(BahagiaError) as missing:
        service.read_submission(ctx, OPD_DLH, "NOTHERE01")
    assert (missing.value.status, missing.value.message) == (other.value.status, other.value.message)
    with pytest.raises(BahagiaError) as admin:
        service.read_submission(ctx, ADMIN, "PUPR00001")
    assert admin.value.status == 403


def test_notifications_are_listed_without_recipient_keys(ctx: service.StaffContext) -> None:
    add(ctx, complaint("PUBLIC001"))
    store(ctx).notification_records.append(
        {"tracking_code": "PUBLIC001", "event_id": "e1", "status": "sent", "recipient_key": "hmac", "template": "t"}
    )
    view = service.read_submission(ctx, VERIFIKATOR, "PUBLIC001")
    assert view["notifications"][0]["status"] == "sent"
    assert "recipient_key" not in view["notifications"][0]


# --- listing -------------------------------------------------------------------------------------------------------


def test_list_items_are_summaries_and_pages_follow_the_cursor(ctx: service.StaffContext) -> None:
    add(ctx, *(complaint(f"CODE0000{i}", submitted=MONDAY - dt.timedelta(hours=i)) for i in range(5)))
    first = service.list_submissions(ctx, INTEGRITAS, query(limit="2"))
    assert [i["tracking_code"] for i in first["items"]] == ["CODE00000", "CODE00001"]
    assert "reporter" not in first["items"][0]
    second = service.list_submissions(ctx, INTEGRITAS, query(limit="2", cursor=first["next_cursor"]))
    third = service.list_submissions(ctx, INTEGRITAS, query(limit="2", cursor=second["next_cursor"]))
    assert [i["tracking_code"] for i in second["items"] + third["items"]] == ["CODE00002", "CODE00003", "CODE00004"]
    assert third["next_cursor"] is None


def test_an_opd_lists_only_its_own_cases(ctx: service.StaffContext) -> None:
    add(
        ctx,
        complaint("PUPR00001", status="didisposisikan", opd="dinas-pupr"),
        complaint("DLH000001", status="didisposisikan", opd="dlh"),
    )
    items = service.list_submissions(ctx, OPD_PUPR, query())["items"]
    assert [i["tracking_code"] for i in items] == ["PUPR00001"]
    assert service.list_submissions(ctx, OPD_PUPR, query(opd="dlh"))["items"] == []


def test_overdue_filter(ctx: service.StaffContext) -> None:
    late = complaint("LATE00001", submitted=MONDAY - dt.timedelta(days=14))
    fresh = complaint("FRESH0001")
    idle = complaint("IDLE00001", status="ditindaklanjuti", opd="dlh", submitted=MONDAY - dt.timedelta(days=30))
    add(ctx, late, fresh, idle)
    result = service.list_submissions(ctx, VERIFIKATOR, query(overdue="true"))
    assert [i["tracking_code"] for i in result["items"]] == ["LATE00001"]
    assert result["items"][0]["overdue"] is True
    assert service.list_submissions(ctx, VERIFIKATOR, query(overdue="true", status="selesai"))["items"] == []


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"status": "hilang"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"from": "2026-13-01"}, "from"),
        ({"cursor": "xyz"}, "cursor"),
        ({"overdue": "maybe"}, "overdue"),
        ({"sort": "name"}, "sort"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"overdue": "true", "from": "2026-03-01", "category": "pungli"}, "overdue"),
    ],
)
def test_bad_list_parameters_are_422(args: dict[str, str], field: str) -> None:
    with pytest.raises(BahagiaError) as caught:
        query(**args)
    assert caught.value.status == 422
    assert [d.field for d in caught.value.details] == [field]


def test_a_cursor_of_another_order_is_refused(ctx: service.StaffContext) -> None:
    add(ctx, *(complaint(f"CODE0000{i}", submitted=MONDAY - dt.timedelta(days=10 + i)) for i in range(3)))
    page = service.list_submissions(ctx, VERIFIKATOR, query(limit="1"))
    with pytest.raises(BahagiaError):
        query(overdue="true", cursor=page["next_cursor"])


# --- transitions ---------------------------------------------------------------------------------------------------


def test_a_transition_commits_audits_and_publishes_once(ctx: service.StaffContext) -> None:
    add(ctx, complaint("PUBLIC001"))
    view = service.transition(
        ctx, VERIFIKATOR, "PUBLIC001", parse_transition({"to": "diverifikasi", "note": "Lengkap"})
    )
    assert view["status"] == "diverifikasi"
    publisher = ctx.publisher
    assert isinstance(publisher, FakePublisher)
    assert [(e["type"], e["status"]) for e in publisher.published] == [("submission.status_changed", "diverifikasi")]
    assert store(ctx).outbox == {}, "published events leave the outbox"
    assert [(e["action"], e["from"], e["to"], e["note"]) for e in store(ctx).audit] == [
        ("transition", "diterima", "diverifikasi", "Lengkap")
    ]


def _nonzero(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {doc_id: {k: v for k, v in fields.items() if v} for doc_id, fields in counts.items()}


def test_a_transition_hands_its_report_counts_to_the_store(ctx: service.StaffContext) -> None:
    add(ctx, complaint("PUBLIC001"))
    service.transition(ctx, VERIFIKATOR, "PUBLIC001", parse_transition({"to": "diverifikasi", "note": "Lengkap"}))
    shard = report_counters.shard_of("PUBLIC001")
    # Monday 2 March, an hour after it arrived: verified on time, on its own business date (working day 0); the
    # next step (disposition) is due 3 working days later, on Thursday 5 March.
    assert _nonzero(store(ctx).report_counts) == {
        f"2026-03-02_{shard}": {
            "new__status__diterima": -1,
            "new__status__diverifikasi": 1,
            "moves": 1,
            "moves__to__diverifikasi": 1,
            "sla__met": 1,
            "sla__verification": 1,
            "hist__verification__0": 1,
        },
        f"2026-03-05_{shard}": {"sla__due": 1},
    }
    with pytest.raises(BahagiaError):
        service.transition(ctx, VERIFIKATOR, "PUBLIC001", parse_transition({"to": "selesai", "note": "x"}))
    assert sum(fields.get("moves", 0) for fields in store(ctx).report_counts.values()) == 1, (
        "a refused one counts nothing"
    )


def test_the_auto_close_counts_too(ctx: service.StaffContext) -> None:
    followed_up = MONDAY - dt.timedelta(days=30)
    add(ctx, complaint("STALE0001", "ditindaklanjuti", submitted=followed_up, opd="dinas-pupr"))
    assert service.close_stale_followups(ctx) == {"closed": 1}
    moved = {k: v for fields in store(ctx).report_counts.values() for k, v in fields.items() if v}
    assert moved["moves__to__selesai"] == 1
    assert moved["new__status__selesai"] == 1
    assert moved["new__status__ditindaklanjuti"] == -1


def test_a_failed_publish_leaves_the_event_for_the_relay(ctx: service.StaffContext) -> None:
    add(ctx, complaint("PUBLIC001"))
    publisher = ctx.publisher
    assert isinstance(publisher, FakePublisher)
    publisher.fail_next = 1
    service.transition(ctx, VERIFIKATOR, "PUBLIC001", parse_transition({"to": "diverifikasi", "note": "Lengkap"}))
    assert [e["event"]["status"] for e in store(ctx).outbox.values()] == ["diverifikasi"]


def test_a_refused_transition_writes_nothing(ctx: service.StaffContext) -> None:
    add(ctx, complaint("PUBLIC001"))
    with pytest.raises(BahagiaError) as caught:
        service.transition(ctx, VERIFIKATOR, "PUBLIC001", parse_transition({"to": "selesai", "note": "x"}))
    assert caught.value.status == 409
    assert store(ctx).audit == []
    assert store(ctx).submissions["PUBLIC001"]["status"] == "diterima"
    assert ctx.publisher.published == []  # type: ignore[attr-defined]


def test_an_unknown_case_is_404(ctx: service.StaffContext) -> None:
    with pytest.raises(BahagiaError) as caught:
        service.transition(ctx, VERIFIKATOR, "NOTHERE01", parse_transition({"to": "diverifikasi", "note": "x"}))
    assert caught.value.status == 404


# --- auto-close ----------------------------------------------------------------------------------------------------


def test_close_stale_followups(ctx: service.StaffContext) -> None:
    followed_up = MONDAY
    stale = complaint(
        "STALE0001",
        status="ditindaklanjuti",
        opd="dlh",
        status_changed_at=followed_up,
        due_at=sla.due_at("complaint", "ditindaklanjuti", followed_up),
    )
    recent = complaint(
        "RECENT001",
        status="ditindaklanjuti",
        opd="dlh",
        due_at=sla.due_at("complaint", "ditindaklanjuti", MONDAY + dt.timedelta(days=7)),
    )
    late_verification = complaint("LATE00001", submitted=MONDAY - dt.timedelta(days=30))
    add(ctx, stale, recent, late_verification)
    assert isinstance(ctx.clock, Clock)
    ctx.clock.now = dt.datetime(2026, 3, 16, 16, 0, tzinfo=dt.UTC)  # Monday 23:00 WIB, the 10th working day
    assert service.close_stale_followups(ctx) == {"closed": 0}
    ctx.clock.now = dt.datetime(2026, 3, 16, 17, 0, tzinfo=dt.UTC)  # Tuesday 00:00 WIB
    assert service.close_stale_followups(ctx) == {"closed": 1}
    assert store(ctx).submissions["STALE0001"]["status"] == "selesai"
    assert store(ctx).submissions["RECENT001"]["status"] == "ditindaklanjuti"
    assert store(ctx).submissions["LATE00001"]["status"] == "diterima"
    assert [e["status"] for e in ctx.publisher.published] == ["selesai"]  # type: ignore[attr-defined]
    assert service.close_stale_followups(ctx) == {"closed": 0}, "running twice closes nothing twice"


# --- staff management ----------------------------------------------------------------------------------------------


def test_admin_manages_staff(ctx: service.StaffContext) -> None:
    result = service.put_staff(
        ctx, ADMIN, parse_staff_user("Kadis@JambiKota.go.id", {"role": "opd", "opd": "dlh"}, ctx.opd_ids)
    )
    assert result == {"email": "kadis@jambikota.go.id", "role": "opd", "opd": "dlh", "active": True}
    assert ctx.directory.get("kadis@jambikota.go.id") is not None
    assert store(ctx).audit[-1]["action"] == "staff_update"
    assert "kadis" not in json.dumps(store(ctx).audit[-1]["staff_id"])
    assert service.list_staff(ctx, ADMIN)["users"][0]["email"] == "kadis@jambikota.go.id"


@pytest.mark.parametrize(
    "body",
    [
        {"role": "opd"},
        {"role": "opd", "opd": "dinas-sulap"},
        {"role": "raja"},
        {"role": "admin", "active": "ya"},
        {"role": "verifikator", "opd": "dlh"},
    ],
)
def test_bad_staff_assignments_are_422(ctx: service.StaffContext, body: dict[str, Any]) -> None:
    with pytest.raises(BahagiaError) as caught:
        parse_staff_user("x@jambikota.go.id", body, ctx.opd_ids)
    assert caught.value.status == 422


@pytest.mark.parametrize("actor", [VERIFIKATOR, INTEGRITAS, PIMPINAN, OPD_DLH])
def test_only_admin_manages_staff(ctx: service.StaffContext, actor: Actor) -> None:
    with pytest.raises(BahagiaError) as caught:
        service.put_staff(ctx, actor, parse_staff_user("x@jambikota.go.id", {"role": "admin"}, ctx.opd_ids))
    assert caught.value.status == 403


def test_admin_cannot_demote_itself(ctx: service.StaffContext) -> None:
    with pytest.raises(BahagiaError) as caught:
        service.put_staff(ctx, ADMIN, parse_staff_user(ADMIN.email, {"role": "verifikator"}, ctx.opd_ids))
    assert caught.value.status == 403
