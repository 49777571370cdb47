"""What the staff console needs from the staff API, in process on fakes: who am I, the queue's kelurahan filter, sort
and counts, the 409 of a stale `from`, the directory's history, the Call Center desk (the citizens' intake path with
a channel) and today's figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import bootstrap
from bahagia import calendar, channels, lifecycle, report_counters, sla
from bahagia.catalogue import catalogue
from intake.service import IntakeContext
from reports.figures import CountersInMemory, DocumentFigures
from reports.service import ReportContext
from settings import Settings, derive_key
from staff import auth
from staff.queries import parse_list_query
from staff.service import StaffContext
from tests import samples
from tests.fakes import FakePublisher, FakeStaffDirectory, FakeStaffStore, FakeSubmissionStore
from tests.in_process import STAFF_AUDIENCE, staff_bearer, staff_client
from tests.reports_fakes import FakeReportFiles, FakeReportStore

NOW = dt.datetime(2026, 3, 2, 4, tzinfo=dt.UTC)  # Monday 11:00 WIB
KEY = derive_key(b"staff-console-test-secret", "staff-token")
CALLER = "+6281398765432"
CODES = ["ABCD2345R", "BCDE2345Z", "CDEF2345Z", "DEFG2345Z", "EFGH2345Z"]


def _case(code: str, *, hours_ago: float, status: str = "diterima", **fields: Any) -> dict[str, Any]:
    submitted = NOW - dt.timedelta(hours=hours_ago)
    doc = {
        "tracking_code": code,
        "kind": "complaint",
        "channel": "web",
        "category": "infrastruktur",
        "program": None,
        "benefit": None,
        "privacy": "public",
        "status": status,
        "submitted_at": submitted,
        "status_changed_at": submitted,
        "business_date": calendar.business_date(submitted),
        "kecamatan": "15.71.01",
        "kelurahan": "15.71.01.1001",
        "opd": None,
        "due_at": sla.due_at("complaint", status, submitted),
        "timeline": [{"status": status, "at": submitted, "note": None}],
    }
    doc.update(fields)
    return doc


@pytest.fixture
def cases() -> dict[str, dict[str, Any]]:
    overdue = NOW - dt.timedelta(days=1)
    later_today = NOW + dt.timedelta(hours=3)
    return {
        # due in 3 working days, nothing special
        CODES[0]: _case(CODES[0], hours_ago=1),
        # past its deadline, another kelurahan of the same kecamatan
        CODES[1]: _case(CODES[1], hours_ago=200, due_at=overdue, kelurahan="15.71.01.1002"),
        # due later today, handed to an OPD
        CODES[2]: _case(CODES[2], hours_ago=100, status="didisposisikan", opd="dinas-pupr", due_at=later_today),
        # closed: no deadline
        CODES[3]: _case(CODES[3], hours_ago=300, status="selesai", due_at=None),
        # an old document from before channels existed
        CODES[4]: {
            k: v
            for k, v in _case(CODES[4], hours_ago=2, kecamatan="15.71.04", kelurahan=None).items()
            if k != "channel"
        },
    }


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch, cases: dict[str, dict[str, Any]]) -> StaffContext:
    opd_ids = set(catalogue().opd)
    context = StaffContext(
        settings=Settings(environment="test"),
        store=FakeStaffStore(submissions=cases),
        publisher=FakePublisher(),
        verifier=auth.LocalTokenVerifier(KEY, STAFF_AUDIENCE, opd_ids),
        directory=FakeStaffDirectory(),
        opd_ids=opd_ids,
        clock=lambda: NOW,
    )
    intake = IntakeContext(
        settings=Settings(environment="test", secret_key="desk-test-secret"),
        catalogue=catalogue(),
        store=FakeSubmissionStore(),
        publisher=FakePublisher(),
        clock=lambda: NOW,
    )
    reports = ReportContext(
        figures=lambda: DocumentFigures({"submissions": list(intake.store.submissions.values())}),  # type: ignore[attr-defined]
        counters=lambda: CountersInMemory(intake.store.report_counts),  # type: ignore[attr-defined]
        store=FakeReportStore(),
        files=FakeReportFiles(),
    )
    monkeypatch.setattr(bootstrap, "staff_context", lambda: context)
    monkeypatch.setattr(bootstrap, "intake_context", lambda: intake)
    monkeypatch.setattr(bootstrap, "report_context", lambda: reports)
    context.intake = intake  # type: ignore[attr-defined]
    return context


def bearer(role: str, opd: str | None = None, email: str | None = None) -> dict[str, str]:
    return staff_bearer(KEY, role, opd, email)


@pytest.fixture
def api() -> Any:
    return staff_client()


def _codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["tracking_code"] for item in response.get_json()["items"]]


# --- who am I ---------------------------------------------------------------------------------------------------------


def test_me_names_the_role_and_opd_of_the_token(ctx: StaffContext, api: Any) -> None:
    answer = api.get("/v1/staff/me", headers=bearer("opd", "dinas-pupr", "budi@jambikota.go.id"))
    assert answer.get_json() == {"email": "budi@jambikota.go.id", "role": "opd", "opd": "dinas-pupr"}
    assert api.get("/v1/staff/me", headers=bearer("operator")).get_json()["role"] == "operator"
    assert api.get("/v1/staff/me").status_code == 401


def test_the_roles_are_those_of_the_lifecycle_data() -> None:
    assert lifecycle.workflow().roles == auth.ROLES
    assert auth.check_role("operator", None, set()) == ("operator", None)


# --- the queue ------------------------------------------------------------------------------------------------------


def test_the_queue_filters_by_kelurahan_and_counts_the_first_page(ctx: StaffContext, api: Any) -> None:
    response = api.get("/v1/staff/submissions?kelurahan=15.71.01.1001", headers=bearer("verifikator"))
    assert _codes(response) == [CODES[0], CODES[2], CODES[3]]
    # overdue and due today are of the same filters: the one due later today, none past its deadline here
    assert response.get_json()["counts"] == {"total": 3, "overdue": 0, "due_today": 1}
    everything = api.get("/v1/staff/submissions", headers=bearer("verifikator")).get_json()
    assert everything["counts"] == {"total": 5, "overdue": 1, "due_today": 1}
    assert {item["tracking_code"]: item["channel"] for item in everything["items"]}[CODES[4]] == "web"


def test_most_overdue_first_lists_only_cases_waiting_for_a_person(ctx: StaffContext, api: Any) -> None:
    assert _codes(api.get("/v1/staff/submissions?sort=due", headers=bearer("verifikator"))) == [
        CODES[1],  # a day late
        CODES[2],  # later today
        CODES[0],
        CODES[4],
    ]
    overdue = api.get("/v1/staff/submissions?overdue=true", headers=bearer("verifikator"))
    assert _codes(overdue) == [CODES[1]]
    assert overdue.get_json()["counts"]["total"] == 1


def test_counts_come_with_the_first_page_only_and_follow_the_opd_scope(ctx: StaffContext, api: Any) -> None:
    first = api.get("/v1/staff/submissions?limit=2", headers=bearer("verifikator")).get_json()
    assert first["counts"]["total"] == 5
    second = api.get(f"/v1/staff/submissions?limit=2&cursor={first['next_cursor']}", headers=bearer("verifikator"))
    assert "counts" not in second.get_json()
    own = api.get("/v1/staff/submissions", headers=bearer("opd", "dinas-pupr")).get_json()
    assert (own["counts"], [i["tracking_code"] for i in own["items"]]) == (
        {"total": 1, "overdue": 0, "due_today": 1},
        [CODES[2]],
    )


def test_dates_with_other_filters_give_no_deadline_counts_rather_than_a_missing_index(ctx: StaffContext) -> None:
    from staff import service

    query = parse_list_query({"from": "2026-02-01", "kind": "complaint"}, ctx.opd_ids, 100)
    actor = lifecycle.Actor("v@x", "verifikator")
    counts = service.list_submissions(ctx, actor, query)["counts"]
    assert counts == {"total": 5, "overdue": None, "due_today": None}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"sort": "oldest"}, "sort"),
        ({"sort": "due", "from": "2026-02-01", "kecamatan": "15.71.01"}, "sort"),
        ({"overdue": "true", "to": "2026-02-01", "kelurahan": "15.71.01.1001"}, "overdue"),
    ],
)
def test_sorts_and_combinations_the_indexes_do_not_serve_are_422(args: dict[str, str], field: str) -> None:
    from bahagia.errors import BahagiaError

    with pytest.raises(BahagiaError) as raised:
        parse_list_query(args, set(catalogue().opd), 100)
    assert raised.value.status == 422
    assert [d.field for d in raised.value.details] == [field]


def test_the_due_order_is_shared_by_overdue_and_sort_due(ctx: StaffContext) -> None:
    assert parse_list_query({"sort": "due"}, ctx.opd_ids, 100).order == "due"
    assert parse_list_query({"overdue": "true"}, ctx.opd_ids, 100).order == "due"
    assert parse_list_query({"sort": "due", "from": "2026-01-01", "status": "diterima"}, ctx.opd_ids, 100).order == (
        "due,submitted"
    )
    assert parse_list_query({}, ctx.opd_ids, 100).order == "submitted"


# --- a case that moved on ---------------------------------------------------------------------------------------------


def test_a_stale_from_is_409_saying_what_the_case_is_now(ctx: StaffContext, api: Any) -> None:
    path = f"/v1/staff/submissions/{CODES[0]}/transitions"
    first = api.post(path, json={"to": "diverifikasi", "note": "ok", "from": "diterima"}, headers=bearer("verifikator"))
    assert first.status_code == 200
    second = api.post(path, json={"to": "ditolak", "note": "no", "from": "diterima"}, headers=bearer("verifikator"))
    assert second.status_code == 409
    error = second.get_json()["error"]
    assert error["code"] == "invalid_transition"
    assert "sekarang 'Diverifikasi'" in error["message"]
    assert ctx.store.submissions[CODES[0]]["status"] == "diverifikasi"  # type: ignore[attr-defined]
    assert api.get(f"/v1/staff/submissions/{CODES[0]}", headers=bearer("verifikator")).get_json()[
        "allowed_transitions"
    ] == ["didisposisikan", "ditolak"]


# --- the staff directory --------------------------------------------------------------------------------------------


def test_the_directory_history_names_who_changed_whom_newest_first(ctx: StaffContext, api: Any) -> None:
    ticks = iter(range(100))
    ctx.clock = lambda: NOW + dt.timedelta(minutes=next(ticks))
    admin = bearer("admin", email="kepala@jambikota.go.id")
    assert (
        api.put("/v1/staff/users/rudi@jambikota.go.id", json={"role": "verifikator"}, headers=admin).status_code == 200
    )
    changed = {"role": "opd", "opd": "dlh", "active": False}
    assert api.put("/v1/staff/users/rudi@jambikota.go.id", json=changed, headers=admin).status_code == 200
    history = api.get("/v1/staff/users/audit", headers=admin).get_json()["entries"]
    assert [(e["email"], e["role"], e["opd"], e["active"]) for e in history] == [
        ("rudi@jambikota.go.id", "opd", "dlh", False),
        ("rudi@jambikota.go.id", "verifikator", None, True),
    ]
    assert history[0]["actor"]["email"] == "kepala@jambikota.go.id"
    assert api.get("/v1/staff/users/audit", headers=bearer("verifikator")).status_code == 403
    assert api.put("/v1/staff/users/audit", json={"role": "admin"}, headers=admin).status_code == 405


# --- the Call Center desk -------------------------------------------------------------------------------------------


def _desk_body(**changes: Any) -> dict[str, Any]:
    body = samples.complaint(reporter={"name": "Wati Penelepon", "phone": CALLER}, occurred_on="2026-02-27")
    return {**body, "channel": "telepon", **changes}


def test_an_operator_files_a_phone_complaint_through_the_intake_path(
    ctx: StaffContext, api: Any, personal_data: Any
) -> None:
    personal_data.register(phone=CALLER, name="Wati Penelepon")
    headers = {**bearer("operator"), "Idempotency-Key": "desk-call-00000001"}
    response = api.post("/v1/staff/complaints", json=_desk_body(), headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["channel"], body["status"], body["category"], len(body["pin"])) == (
        "telepon",
        "diterima",
        "infrastruktur",
        6,
    )
    assert response.headers["Location"] == body["status_url"]
    intake = ctx.intake  # type: ignore[attr-defined]
    stored = intake.store.submissions[body["tracking_code"]]
    assert (stored["channel"], stored["reporter"]["phone"]) == ("telepon", CALLER)
    # the receipt SMS comes from this event, exactly as for a web complaint
    assert [e["type"] for e in intake.publisher.published] == ["submission.received"]
    shard = report_counters.shard_of(body["tracking_code"])
    assert intake.store.report_counts[f"{stored['business_date']}_{shard}"]["new__channel__telepon"] == 1

    replay = api.post("/v1/staff/complaints", json=_desk_body(), headers=headers)
    assert (replay.status_code, replay.get_json()["tracking_code"], replay.get_json()["pin"]) == (
        201,
        body["tracking_code"],
        body["pin"],
    )
    assert replay.headers["Idempotent-Replayed"] == "true"
    other_channel = api.post("/v1/staff/complaints", json=_desk_body(channel="whatsapp"), headers=headers)
    assert (other_channel.status_code, other_channel.get_json()["error"]["code"]) == (409, "idempotency_key_reused")
    assert len(intake.store.submissions) == 1


def test_the_desk_is_for_operators_and_judges_the_role_before_the_body(ctx: StaffContext, api: Any) -> None:
    for role in ("verifikator", "admin", "pimpinan"):
        refused = api.post("/v1/staff/complaints", json={}, headers=bearer(role))
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "forbidden"), role
    assert api.get("/v1/staff/complaints", headers=bearer("operator")).status_code == 405
    assert api.get("/v1/staff/submissions", headers=bearer("operator")).status_code == 403  # reads no case


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (_desk_body(channel="web"), ["channel"]),  # citizens use the forms; the desk names how the caller came
        ({k: v for k, v in _desk_body().items() if k != "channel"}, ["channel"]),
        (_desk_body(description="short"), ["description"]),
    ],
)
def test_a_bad_desk_body_is_422_field_by_field(
    ctx: StaffContext, api: Any, body: dict[str, Any], fields: list[str]
) -> None:
    response = api.post("/v1/staff/complaints", json=body, headers=bearer("operator"))
    assert response.status_code == 422
    assert [d["field"] for d in response.get_json()["error"]["details"]] == fields
    assert ctx.intake.store.submissions == {}  # type: ignore[attr-defined]


def test_citizens_cannot_claim_a_desk_channel(ctx: StaffContext) -> None:
    from bahagia.errors import BahagiaError
    from intake.handlers import accept

    with pytest.raises(BahagiaError) as raised:
        accept(ctx.intake, "complaint", {**samples.complaint(), "channel": "telepon"}, None)  # type: ignore[attr-defined]
    assert raised.value.status == 422
    assert [d.field for d in raised.value.details] == ["channel"]
    assert channels.channel_of({"channel": "carrier-pigeon"}) == "web"


# --- today's figures --------------------------------------------------------------------------------------------------


def test_pimpinan_sees_todays_figures_with_the_channels(ctx: StaffContext, api: Any, personal_data: Any) -> None:
    personal_data.register(phone=CALLER, name="Wati Penelepon")
    operator = {**bearer("operator"), "Idempotency-Key": "desk-call-00000002"}
    assert api.post("/v1/staff/complaints", json=_desk_body(), headers=operator).status_code == 201
    today = api.get("/v1/staff/dashboard", headers=bearer("pimpinan"))
    assert today.status_code == 200
    figures = today.get_json()
    assert (figures["date"], figures["as_of"]) == ("2026-03-02", "2026-03-02T04:00:00Z")
    assert figures["new_submissions"]["total"] == 1
    by_channel = {c["channel"]: c["count"] for c in figures["new_submissions"]["by_channel"]}
    assert by_channel == {**dict.fromkeys(channels.CHANNELS, 0), "telepon": 1}
    personal_data.scan(today.get_data(as_text=True), "today's figures")
    assert api.get("/v1/staff/dashboard", headers=bearer("verifikator")).status_code == 403


def test_the_nightly_files_count_submissions_by_channel() -> None:
    from reports import render, service

    day = dt.date(2026, 3, 2)
    counts = {"new": 7, "new__channel__web": 5, "new__channel__telepon": 2}
    report = service.compute_report(
        day, CountersInMemory({"2026-03-02_0": counts}), DocumentFigures({}), service.names(), service.sources()
    )
    # every channel of bahagia.channels, in its order, zero included
    assert [(c.channel, c.count) for c in report.new_submissions.by_channel] == [
        (channel, {"web": 5, "telepon": 2}.get(channel, 0)) for channel in channels.CHANNELS
    ]
    csv_text = render.render_csv(report).decode("utf-8-sig")
    assert "pengajuan_baru,saluran,web,Formulir web,5" in csv_text
    assert "pengajuan_baru,saluran,telepon,Telepon,<5" in csv_text  # small counts stay suppressed in the files
    html = render.render_html(report).decode()
    assert "Pengajuan baru per saluran" in html
    assert "<code>walk-in</code>" in html
