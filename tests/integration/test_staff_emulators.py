"""The staff service with its real adapters on the Firestore and Pub/Sub emulators: transactions, queries, events."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore, pubsub_v1  # type: ignore[attr-defined]  # namespace package

from bahagia import calendar, sla
from bahagia.errors import BahagiaError
from bahagia.lifecycle import Actor
from bootstrap import build_intake_context, build_staff_context
from intake.handlers import accept
from settings import Settings
from staff import service
from staff.bodies import parse_transition
from staff.queries import parse_list_query
from tests import samples

TOPIC = "submission-events"
SUBSCRIPTION = "staff-test-pull"

VERIFIKATOR = Actor("verifikator@jambikota.go.id", "verifikator")
INTEGRITAS = Actor("integritas@jambikota.go.id", "integritas")
PIMPINAN = Actor("pimpinan@jambikota.go.id", "pimpinan")
PUPR = Actor("pupr@jambikota.go.id", "opd", "dinas-pupr")
DLH = Actor("dlh@jambikota.go.id", "opd", "dlh")
INSPEKTORAT = Actor("inspektorat@jambikota.go.id", "opd", "inspektorat")


@pytest.fixture
def settings(clean_emulators: Any) -> Settings:
    return Settings(
        project_id=clean_emulators.project_id,
        environment="test",
        secret_key="integration-secret",
        publish_timeout_seconds=2.0,
    )


@pytest.fixture
def db(settings: Settings) -> firestore.Client:
    return firestore.Client(project=settings.project_id)


@pytest.fixture
def topic(clean_emulators: Any) -> str:
    """submission-events, so that publishing succeeds at once rather than timing out into the outbox."""
    publisher = pubsub_v1.PublisherClient()
    path = publisher.topic_path(clean_emulators.project_id, TOPIC)
    with contextlib.suppress(AlreadyExists):  # a running stack created the topology already
        publisher.create_topic(name=path)
    return str(path)


@pytest.fixture
def events(clean_emulators: Any, topic: str) -> Iterator[Callable[[int], list[dict[str, Any]]]]:
    """Everything published to submission-events from now on, through a pull subscription."""
    project = clean_emulators.project_id
    subscriber = pubsub_v1.SubscriberClient()
    subscription = subscriber.subscription_path(project, SUBSCRIPTION)
    subscriber.create_subscription(name=subscription, topic=topic, ack_deadline_seconds=10)

    def pull(expect: int, wait: float = 10.0) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and len(received) < expect:
            response = subscriber.pull(subscription=subscription, max_messages=100, timeout=5)
            if response.received_messages:
                subscriber.acknowledge(
                    subscription=subscription, ack_ids=[m.ack_id for m in response.received_messages]
                )
                received.extend(json.loads(m.message.data) for m in response.received_messages)
        time.sleep(0.5)  # one more pull, so that a duplicate would show
        extra = subscriber.pull(subscription=subscription, max_messages=100, timeout=2)
        if extra.received_messages:
            subscriber.acknowledge(subscription=subscription, ack_ids=[m.ack_id for m in extra.received_messages])
        received.extend(json.loads(m.message.data) for m in extra.received_messages)
        return received

    yield pull
    subscriber.close()


@pytest.fixture
def staff(settings: Settings, topic: str) -> service.StaffContext:
    return build_staff_context(settings)


@pytest.fixture
def submit(settings: Settings, topic: str) -> Callable[..., str]:
    ctx = build_intake_context(settings)

    def submit(kind: str = "complaint", **changes: Any) -> str:
        body = samples.complaint(**changes) if kind == "complaint" else samples.application(**changes)
        return str(accept(ctx, kind, body, None).response["tracking_code"])

    return submit


def _audit(db: firestore.Client, code: str) -> list[dict[str, Any]]:
    docs = [
        s.to_dict() or {}
        for s in db.collection("audit").where(filter=firestore.FieldFilter("tracking_code", "==", code)).stream()
    ]
    return sorted(docs, key=lambda d: d["at"])


def _move(staff: service.StaffContext, actor: Actor, code: str, to: str, **extra: str) -> dict[str, Any]:
    return service.transition(staff, actor, code, parse_transition({"to": to, "note": f"Catatan untuk {to}", **extra}))


def _status(excinfo: pytest.ExceptionInfo[BahagiaError]) -> int:
    return excinfo.value.status


def test_a_complaint_walks_to_selesai_with_one_event_and_one_audit_entry_per_step(
    staff: service.StaffContext,
    submit: Callable[..., str],
    events: Callable[..., list[dict[str, Any]]],
    db: firestore.Client,
) -> None:
    code = submit()
    _move(staff, VERIFIKATOR, code, "diverifikasi")
    _move(staff, VERIFIKATOR, code, "didisposisikan", opd="dinas-pupr")
    _move(staff, PUPR, code, "ditindaklanjuti")
    final = _move(staff, PUPR, code, "selesai")
    assert final["status"] == "selesai"
    assert final["due_at"] is None

    stored = db.collection("submissions").document(code).get().to_dict() or {}
    assert [step["status"] for step in stored["timeline"]] == [
        "diterima",
        "diverifikasi",
        "didisposisikan",
        "ditindaklanjuti",
        "selesai",
    ]
    assert stored["opd"] == "dinas-pupr"
    entries = _audit(db, code)
    assert [(e["from"], e["to"], e["actor"]["role"]) for e in entries] == [
        ("diterima", "diverifikasi", "verifikator"),
        ("diverifikasi", "didisposisikan", "verifikator"),
        ("didisposisikan", "ditindaklanjuti", "opd"),
        ("ditindaklanjuti", "selesai", "opd"),
    ]
    received = events(5)
    changes = [e for e in received if e["type"] == "submission.status_changed"]
    assert [e["status"] for e in changes] == ["diverifikasi", "didisposisikan", "ditindaklanjuti", "selesai"]
    assert len({e["event_id"] for e in received}) == len(received) == 5
    assert {e["event_id"] for e in changes} == {e["event_id"] for e in entries}
    assert "Budi" not in json.dumps(received)
    assert list(db.collection("outbox").stream()) == []


@pytest.mark.parametrize(
    "bodies",
    [
        pytest.param([{"to": "diverifikasi"}, {"to": "diverifikasi"}], id="same step twice"),
        pytest.param(
            [{"to": "diverifikasi", "from": "diterima"}, {"to": "ditolak", "from": "diterima"}],
            id="two steps from what both saw",
        ),
    ],
)
def test_two_concurrent_transitions_cannot_both_win(
    staff: service.StaffContext,
    submit: Callable[..., str],
    events: Callable[..., list[dict[str, Any]]],
    db: firestore.Client,
    bodies: list[dict[str, str]],
) -> None:
    code = submit()
    events(1)  # the submission.received
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def act(index: int) -> None:
        barrier.wait()
        try:
            body = {**bodies[index], "note": f"Petugas {index}"}
            results[index] = service.transition(staff, VERIFIKATOR, code, parse_transition(body))["status"]
        except BahagiaError as error:
            results[index] = error.status

    threads = [threading.Thread(target=act, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count(409) == 1, results
    [winner] = [r for r in results if r != 409]
    assert (db.collection("submissions").document(code).get().to_dict() or {})["status"] == winner
    assert [e["to"] for e in _audit(db, code)] == [winner]
    assert [e["status"] for e in events(1)] == [winner]


def test_roles_on_the_real_store(staff: service.StaffContext, submit: Callable[..., str]) -> None:
    code = submit()
    with pytest.raises(BahagiaError) as pimpinan:
        _move(staff, PIMPINAN, code, "diverifikasi")
    assert _status(pimpinan) == 403
    with pytest.raises(BahagiaError) as early:
        _move(staff, VERIFIKATOR, code, "selesai")
    assert _status(early) == 409
    with pytest.raises(BahagiaError) as no_note:
        service.transition(staff, VERIFIKATOR, code, parse_transition({"to": "diverifikasi"}))
    assert _status(no_note) == 422
    _move(staff, VERIFIKATOR, code, "diverifikasi")
    _move(staff, VERIFIKATOR, code, "didisposisikan", opd="dinas-pupr")
    with pytest.raises(BahagiaError) as other_opd:
        _move(staff, DLH, code, "ditindaklanjuti")
    assert _status(other_opd) == 404
    with pytest.raises(BahagiaError) as other_read:
        service.read_submission(staff, DLH, code)
    assert _status(other_read) == 404
    assert service.read_submission(staff, PUPR, code)["view"] == "full"


def test_confidential_content_is_for_integritas_only_and_every_read_is_audited(
    staff: service.StaffContext, submit: Callable[..., str], db: firestore.Client
) -> None:
    code = submit(category="pungli", description="Petugas loket meminta uang tambahan Rp50.000 untuk KTP.")
    with pytest.raises(BahagiaError) as verifier_acts:
        _move(staff, VERIFIKATOR, code, "diverifikasi")
    assert _status(verifier_acts) == 403
    _move(staff, INTEGRITAS, code, "diverifikasi")
    _move(staff, INTEGRITAS, code, "didisposisikan", opd="inspektorat")
    for actor in (VERIFIKATOR, PIMPINAN, INSPEKTORAT):
        view = service.read_submission(staff, actor, code)
        text = json.dumps(view)
        assert view["view"] == "redacted"
        assert "Rp50.000" not in text
        assert "Budi" not in text
        assert "+6281311112222" not in text
        trail = service.audit_trail(staff, actor, code)["entries"]
        assert all(e.get("note") is None for e in trail if e["action"] == "transition")
    full = service.read_submission(staff, INTEGRITAS, code)
    assert "Rp50.000" in full["complaint"]["description"]
    assert full["reporter"]["phone"] == "+6281311112222"
    reads = [(e["actor"]["role"], e["what"], e["view"]) for e in _audit(db, code) if e["action"] == "read"]
    assert reads == [
        ("verifikator", "submission", "redacted"),
        ("verifikator", "audit", "redacted"),
        ("pimpinan", "submission", "redacted"),
        ("pimpinan", "audit", "redacted"),
        ("opd", "submission", "redacted"),
        ("opd", "audit", "redacted"),
        ("integritas", "submission", "full"),
    ]


def test_every_read_of_a_full_personal_record_is_audited_without_the_data(
    staff: service.StaffContext, submit: Callable[..., str], db: firestore.Client
) -> None:
    application = submit("application")
    complaint = submit()  # public, with the reporter's name and phone
    anonymous = submit(privacy="anonymous", reporter=None)  # no reporter, but free text about a place and people
    staff.clock = lambda: dt.datetime(2026, 3, 2, 4, tzinfo=dt.UTC)
    assert service.read_submission(staff, VERIFIKATOR, application)["applicant"]["nik"] == samples.NIK_WOMAN_1985
    assert service.read_submission(staff, VERIFIKATOR, complaint)["reporter"]["name"] == "Budi Contoh"
    assert service.read_submission(staff, PIMPINAN, application)["view"] == "redacted"
    assert "reporter" not in service.read_submission(staff, VERIFIKATOR, anonymous)
    [application_read] = [e for e in _audit(db, application) if e["action"] == "read"]
    assert application_read["actor"] == {"email": VERIFIKATOR.email, "role": "verifikator", "opd": None}
    assert (application_read["what"], application_read["view"]) == ("submission", "full")
    assert application_read["at"] == dt.datetime(2026, 3, 2, 4, tzinfo=dt.UTC)
    [complaint_read] = [e for e in _audit(db, complaint) if e["action"] == "read"]
    assert (complaint_read["actor"]["role"], complaint_read["view"]) == ("verifikator", "full")
    # Who, when and which code, never what was read. The pimpinan's redacted read showed nothing personal: no entry.
    assert set(application_read) == {"tracking_code", "action", "what", "view", "at", "actor"}
    text = json.dumps(list(_audit(db, application) + _audit(db, complaint)), default=str)
    for personal in (samples.NIK_WOMAN_1985, samples.KK, "Siti", "Budi", "+6281234567890", "+6281311112222"):
        assert personal not in text
    assert [e["view"] for e in _audit(db, anonymous) if e["action"] == "read"] == ["full"]


def test_closing_an_application_frees_the_nik_for_a_new_one(
    staff: service.StaffContext, submit: Callable[..., str], db: firestore.Client
) -> None:
    code = submit("application")
    assert len(list(db.collection("open_applications").stream())) == 1
    verified = _move(staff, VERIFIKATOR, code, "diverifikasi")
    assert verified["opd"] == "dinsos"
    _move(staff, VERIFIKATOR, code, "ditolak")
    assert list(db.collection("open_applications").stream()) == []
    assert submit("application") != code


def test_a_nik_squatter_cannot_block_the_owner(
    settings: Settings,
    staff: service.StaffContext,
    db: firestore.Client,
    personal_data: Any,
) -> None:
    intake = build_intake_context(settings)
    phones = [f"0857-0000-{n:04d}" for n in range(5)]
    for phone in phones:
        personal_data.register(phone=phone)

    def file(phone: str) -> str:
        body = samples.application()
        body["applicant"]["phone"] = phone
        return str(accept(intake, "application", body, None).response["tracking_code"])

    # Five people file at once with the same NIK, each with their own phone: every one is accepted, in one commit
    # each, and none is lost from the marker or from the holder's links.
    barrier = threading.Barrier(len(phones))

    def file_together(phone: str) -> str:
        barrier.wait()
        return file(phone)

    with ThreadPoolExecutor(len(phones)) as pool:
        codes = list(pool.map(file_together, phones))
    docs = {code: db.collection("submissions").document(code).get().to_dict() or {} for code in codes}
    [holder] = [code for code, doc in docs.items() if "possible_duplicate_of" not in doc]
    flagged = sorted(code for code in codes if code != holder)
    assert all(docs[code]["possible_duplicate_of"] == holder for code in flagged)
    assert sorted(docs[holder]["possible_duplicates"]) == flagged
    [marker] = [snap.to_dict() or {} for snap in db.collection("open_applications").stream()]
    assert (marker["tracking_code"], sorted(marker["duplicates"])) == (holder, flagged)
    # The same person (same NIK, same phone) again: 409, as before.
    with pytest.raises(BahagiaError) as again:
        file(phones[codes.index(flagged[0])])
    assert _status(again) == 409
    # The verifikator rejects the holder (the squatter, say): the NIK stays held by the earliest open filing.
    _move(staff, VERIFIKATOR, holder, "ditolak")
    [marker] = [snap.to_dict() or {} for snap in db.collection("open_applications").stream()]
    assert marker["tracking_code"] in flagged
    assert holder not in marker["duplicates"]
    assert len(marker["duplicates"]) == len(flagged) - 1
    # Both sides of each link are visible to the verifikator.
    view = service.read_submission(staff, VERIFIKATOR, flagged[0])
    assert view["possible_duplicate_of"] == holder
    assert flagged[0] in service.read_submission(staff, VERIFIKATOR, holder)["possible_duplicates"]


def test_list_filters_overdue_dates_and_cursor_pages(
    staff: service.StaffContext, submit: Callable[..., str], db: firestore.Client
) -> None:
    codes = [submit() for _ in range(3)] + [submit(category="lingkungan"), submit("application")]
    now = staff.clock()
    # Two of them long overdue: moved back in time directly in the store.
    for code, days in ((codes[0], 20), (codes[3], 10)):
        past = now - dt.timedelta(days=days)
        db.collection("submissions").document(code).update({"due_at": sla.initial_due_at("complaint", past)})
    opd_ids = staff.opd_ids

    def listing(actor: Actor = VERIFIKATOR, /, **args: str) -> dict[str, Any]:
        return service.list_submissions(staff, actor, parse_list_query(args, opd_ids, 100))

    assert len(listing()["items"]) == 5
    assert {i["tracking_code"] for i in listing(kind="application")["items"]} == {codes[4]}
    assert {i["tracking_code"] for i in listing(category="lingkungan")["items"]} == {codes[3]}
    overdue = listing(overdue="true")["items"]
    assert [i["tracking_code"] for i in overdue] == [codes[0], codes[3]], "most overdue first"
    assert all(i["overdue"] for i in overdue)
    assert [i["tracking_code"] for i in listing(overdue="true", category="lingkungan")["items"]] == [codes[3]]
    today = calendar.business_day(now)
    assert len(listing(**{"from": today.isoformat(), "to": today.isoformat()})["items"]) == 5
    assert listing(**{"from": (today + dt.timedelta(days=1)).isoformat()})["items"] == []
    assert len(listing(overdue="true", **{"from": today.isoformat()})["items"]) == 2

    seen: list[str] = []
    page = listing(limit="2")
    while True:
        seen.extend(i["tracking_code"] for i in page["items"])
        if page["next_cursor"] is None:
            break
        page = listing(limit="2", cursor=page["next_cursor"])
    assert sorted(seen) == sorted(codes)
    assert len(seen) == 5
    first = listing(overdue="true", limit="1")
    second = listing(overdue="true", limit="1", cursor=first["next_cursor"])
    assert [i["tracking_code"] for i in first["items"] + second["items"]] == [codes[0], codes[3]]
    assert listing(PUPR)["items"] == []


def test_the_consoles_queue_kelurahan_sort_counts_and_directory_history_on_the_emulator(
    staff: service.StaffContext, submit: Callable[..., str], db: firestore.Client
) -> None:
    other_place = {"kecamatan": "15.71.01", "kelurahan": "15.71.01.1001", "address": "Jl. Contoh"}
    codes = [submit(), submit(), submit(location=other_place), submit(category="lingkungan")]
    now = staff.clock()
    end_of_today = calendar.start_of(calendar.business_day(now) + dt.timedelta(days=1))
    due = {
        codes[0]: now - dt.timedelta(days=3),  # overdue
        codes[1]: end_of_today - dt.timedelta(seconds=1),  # later today
        codes[2]: now - dt.timedelta(days=1),  # overdue
    }
    for code, at in due.items():
        db.collection("submissions").document(code).update({"due_at": at})
    service.transition(staff, VERIFIKATOR, codes[3], parse_transition({"to": "ditolak", "note": "Bukan laporan"}))

    def listing(**args: str) -> dict[str, Any]:
        return service.list_submissions(staff, VERIFIKATOR, parse_list_query(args, staff.opd_ids, 100))

    everything = listing()
    assert everything["counts"] == {"total": 4, "overdue": 2, "due_today": 1}
    assert {i["channel"] for i in everything["items"]} == {"web"}
    assert [i["tracking_code"] for i in listing(kelurahan="15.71.01.1001")["items"]] == [codes[2]]
    assert listing(kelurahan="15.71.01.1001")["counts"] == {"total": 1, "overdue": 1, "due_today": 0}
    by_due = listing(sort="due")
    assert [i["tracking_code"] for i in by_due["items"]] == [codes[0], codes[2], codes[1]], "closed cases left out"
    first = listing(sort="due", limit="2")
    rest = listing(sort="due", limit="2", cursor=first["next_cursor"])
    assert [i["tracking_code"] for i in first["items"] + rest["items"]] == [codes[0], codes[2], codes[1]]
    assert "counts" not in rest
    today = calendar.business_day(now).isoformat()
    dated = listing(sort="due", status="diterima", **{"from": today})
    assert [i["tracking_code"] for i in dated["items"]] == [codes[0], codes[2], codes[1]]
    assert dated["counts"] == {"total": 3, "overdue": 2, "due_today": 1}

    admin = Actor("admin@jambikota.go.id", "admin")
    ticks = iter(range(10))
    staff.clock = lambda: now + dt.timedelta(seconds=next(ticks))
    from staff.bodies import parse_staff_user

    for body in ({"role": "verifikator"}, {"role": "opd", "opd": "dlh", "active": False}):
        service.put_staff(staff, admin, parse_staff_user("rudi@jambikota.go.id", body, staff.opd_ids))
    history = service.staff_changes(staff, admin)["entries"]
    assert [(e["email"], e["role"], e["active"]) for e in history] == [
        ("rudi@jambikota.go.id", "opd", False),
        ("rudi@jambikota.go.id", "verifikator", True),
    ]


def test_stale_follow_ups_are_closed_once(
    staff: service.StaffContext,
    submit: Callable[..., str],
    events: Callable[..., list[dict[str, Any]]],
    db: firestore.Client,
) -> None:
    stale, fresh = submit(), submit()
    for code in (stale, fresh):
        _move(staff, VERIFIKATOR, code, "diverifikasi")
        _move(staff, VERIFIKATOR, code, "didisposisikan", opd="dinas-pupr")
        _move(staff, PUPR, code, "ditindaklanjuti")
    events(2 + 6)
    eleven_working_days_ago = staff.clock() - dt.timedelta(days=21)
    db.collection("submissions").document(stale).update(
        {"due_at": sla.due_at("complaint", "ditindaklanjuti", eleven_working_days_ago)}
    )
    assert service.close_stale_followups(staff) == {"closed": 1}
    assert service.close_stale_followups(staff) == {"closed": 0}
    assert (db.collection("submissions").document(stale).get().to_dict() or {})["status"] == "selesai"
    assert (db.collection("submissions").document(fresh).get().to_dict() or {})["status"] == "ditindaklanjuti"
    closing = _audit(db, stale)[-1]
    assert (closing["to"], closing["actor"]["role"]) == ("selesai", "sistem")
    assert [(e["tracking_code"], e["status"]) for e in events(1)] == [(stale, "selesai")]
