"""The two lifecycles: the tables as the issue states them, every allowed and forbidden transition, load checks."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
from importlib import resources
from typing import Any

import pytest

from bahagia import calendar, lifecycle, sla
from bahagia.catalogue import catalogue
from bahagia.errors import BahagiaError
from bahagia.models import StaffTransition

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)  # Monday 10:00 WIB
ROLES = ("verifikator", "opd", "integritas", "pimpinan", "admin")

# Written out here, not read from the data: the test must fail if lifecycles.json drifts from the issue.
COMPLAINT = {
    ("diterima", "diverifikasi"): {"verifikator"},
    ("diterima", "ditolak"): {"verifikator"},
    ("diverifikasi", "didisposisikan"): {"verifikator"},
    ("diverifikasi", "ditolak"): {"verifikator"},
    ("didisposisikan", "ditindaklanjuti"): {"opd"},
    ("ditindaklanjuti", "selesai"): {"opd", "verifikator"},
}
# pungli and confidential complaints: integritas does what the verifier does; the OPD keeps its own steps.
RESTRICTED_COMPLAINT = {
    ("diterima", "diverifikasi"): {"integritas"},
    ("diterima", "ditolak"): {"integritas"},
    ("diverifikasi", "didisposisikan"): {"integritas"},
    ("diverifikasi", "ditolak"): {"integritas"},
    ("didisposisikan", "ditindaklanjuti"): {"opd", "integritas"},
    ("ditindaklanjuti", "selesai"): {"opd", "integritas"},
}
APPLICATION = {
    ("diterima", "diverifikasi"): {"verifikator"},
    ("diterima", "ditolak"): {"verifikator"},
    ("diverifikasi", "disetujui"): {"opd", "verifikator"},
    ("diverifikasi", "ditolak"): {"opd", "verifikator"},
    ("disetujui", "disalurkan"): {"opd", "verifikator"},
}
COMPLAINT_STATUSES = ["diterima", "diverifikasi", "didisposisikan", "ditindaklanjuti", "selesai", "ditolak"]
APPLICATION_STATUSES = ["diterima", "diverifikasi", "disetujui", "ditolak", "disalurkan"]


def complaint(status: str = "diterima", **extra: Any) -> dict[str, Any]:
    doc = {
        "tracking_code": "ABCD2345X",
        "kind": "complaint",
        "category": "infrastruktur",
        "privacy": "public",
        "status": status,
        "opd": "dinas-pupr" if status in ("didisposisikan", "ditindaklanjuti") else None,
        "timeline": [{"status": "diterima", "at": NOW, "note": None}],
        "reporter": {"name": "Siti Aminah", "phone": "+6281234567890"},
        "complaint": {"description": "Jalan berlubang di depan sekolah"},
    }
    doc.update(extra)
    return doc


def application(status: str = "diterima", **extra: Any) -> dict[str, Any]:
    doc = {
        "tracking_code": "QRST6789Y",
        "kind": "application",
        "program": "lansia-bahagia",
        "benefit": None,
        "privacy": "private",
        "status": status,
        "opd": "dinsos" if status not in ("diterima",) else None,
        "timeline": [{"status": "diterima", "at": NOW, "note": None}],
        "applicant": {"nik": "1571014107500001", "name": "Budi", "phone": "+6281234567890"},
        "dedup_key": "marker-123",
    }
    doc.update(extra)
    return doc


def actor(role: str, opd: str | None = None) -> lifecycle.Actor:
    return lifecycle.Actor(email=f"{role}@jambikota.go.id", role=role, opd=opd)


def request(to: str, opd: str | None = None) -> StaffTransition:
    return StaffTransition(to=to, note="Sudah dicek di lapangan.", opd=opd)


def expected_error(table: dict[tuple[str, str], set[str]], source: str, target: str, role: str) -> int | None:
    if role in table.get((source, target), set()):
        return None
    if (source, target) in table:
        return 403  # the step exists now, but not for this role
    may_ever = role in set().union(*(roles for (_, t), roles in table.items() if t == target))
    return 409 if may_ever else 403


def _cases(kind: str) -> list[tuple[str, str, str, bool]]:
    statuses = COMPLAINT_STATUSES if kind == "complaint" else APPLICATION_STATUSES
    restricted = (False, True) if kind == "complaint" else (False,)
    return [
        (source, target, role, is_restricted)
        for source, target in itertools.product(statuses, statuses)
        for role in ROLES
        for is_restricted in restricted
    ]


def test_the_data_matches_the_issue() -> None:
    for kind, table, statuses in (
        ("complaint", COMPLAINT, COMPLAINT_STATUSES),
        ("application", APPLICATION, APPLICATION_STATUSES),
    ):
        life = lifecycle.lifecycle(kind)
        assert set(life.statuses) == set(statuses)
        assert set(life.rules) == set(table)
        assert life.initial == "diterima"
    assert lifecycle.lifecycle("complaint").open_statuses == [
        "diterima",
        "diverifikasi",
        "didisposisikan",
        "ditindaklanjuti",
    ]
    assert set(lifecycle.lifecycle("application").open_statuses) == {"diterima", "diverifikasi", "disetujui"}


@pytest.mark.parametrize(("source", "target", "role", "restricted"), _cases("complaint"))
def test_every_complaint_transition(source: str, target: str, role: str, restricted: bool) -> None:
    table = RESTRICTED_COMPLAINT if restricted else COMPLAINT
    doc = complaint(source, category="pungli", privacy="confidential") if restricted else complaint(source)
    # The table is about roles; what an OPD may see at all is test_opd_sees_only_its_cases.
    doc["opd"] = "dinas-pupr"
    who = actor(role, opd="dinas-pupr" if role == "opd" else None)
    _check(doc, who, target, table, source, opd="dinas-pupr" if target == "didisposisikan" else None)


@pytest.mark.parametrize(("source", "target", "role", "restricted"), _cases("application"))
def test_every_application_transition(source: str, target: str, role: str, restricted: bool) -> None:
    doc = application(source, opd="dinsos")
    who = actor(role, opd="dinsos" if role == "opd" else None)
    _check(doc, who, target, APPLICATION, source)


def _check(
    doc: dict[str, Any],
    who: lifecycle.Actor,
    target: str,
    table: dict[tuple[str, str], set[str]],
    source: str,
    opd: str | None = None,
) -> None:
    expected = expected_error(table, source, target, who.role)
    if expected is None:
        outcome = lifecycle.transition(doc, request(target, opd=opd), who, NOW, "evt-1")
        assert outcome.changes["status"] == target
        assert outcome.audit["from"] == source
        assert outcome.audit["to"] == target
        assert outcome.event["status"] == target
    else:
        with pytest.raises(BahagiaError) as caught:
            lifecycle.transition(doc, request(target, opd=opd), who, NOW, "evt-1")
        assert caught.value.status == expected, caught.value.code
        assert caught.value.code == ("invalid_transition" if expected == 409 else "forbidden")


def test_a_transition_writes_state_timeline_audit_and_event() -> None:
    due = NOW + dt.timedelta(hours=6)
    doc = complaint("diverifikasi", business_date="2026-02-25", due_at=due)
    outcome = lifecycle.transition(doc, request("didisposisikan", opd="dlh"), actor("verifikator"), NOW, "evt-9")
    changes = outcome.changes
    assert changes["status"] == "didisposisikan"
    assert changes["opd"] == "dlh"
    assert changes["status_changed_at"] == NOW
    assert changes["due_at"] == calendar.add_working_days(NOW, 5)
    assert changes["timeline"][:-1] == doc["timeline"]
    assert changes["timeline"][-1] == {
        "status": "didisposisikan",
        "at": NOW,
        "note": "Laporan Anda telah diteruskan ke Dinas Lingkungan Hidup.",
    }
    assert outcome.audit == {
        "tracking_code": "ABCD2345X",
        "action": "transition",
        "at": NOW,
        "actor": {"email": "verifikator@jambikota.go.id", "role": "verifikator", "opd": None},
        "from": "diverifikasi",
        "to": "didisposisikan",
        "note": "Sudah dicek di lapangan.",
        "opd": "dlh",
        "event_id": "evt-9",
        # The nightly report's facts, judged on the case before the move: the step closed in time, 3 working days
        # after the Wednesday it came in (Thursday, Friday, Monday).
        "business_date": "2026-03-02",
        "kind": "complaint",
        "program": None,
        "benefit": None,
        "category": "infrastruktur",
        "kecamatan": None,
        "sla_due_at": due,
        "on_time": True,
        "working_days": 3,
    }
    assert outcome.event == {
        "event_id": "evt-9",
        "type": "submission.status_changed",
        "occurred_at": "2026-03-02T03:00:00Z",
        "tracking_code": "ABCD2345X",
        "kind": "complaint",
        "category": "infrastruktur",
        "status": "didisposisikan",
    }
    assert outcome.release_marker is None
    assert doc["status"] == "diverifikasi", "the stored state is not mutated"


def test_events_carry_no_personal_data() -> None:
    outcome = lifecycle.transition(application(), request("diverifikasi"), actor("verifikator"), NOW, "e")
    text = json.dumps(outcome.event)
    for secret in ("1571014107500001", "Budi", "+6281234567890", "Sudah dicek"):
        assert secret not in text
    assert outcome.event["program"] == "lansia-bahagia"


def test_verifying_an_application_hands_it_to_the_programme_opd() -> None:
    outcome = lifecycle.transition(application(), request("diverifikasi"), actor("verifikator"), NOW, "e")
    assert outcome.changes["opd"] == "dinsos"
    named = lifecycle.transition(application(), request("diverifikasi", opd="dinkes"), actor("verifikator"), NOW, "e")
    assert named.changes["opd"] == "dinkes"


@pytest.mark.parametrize(("status", "target"), [("diverifikasi", "ditolak"), ("disetujui", "disalurkan")])
def test_closing_an_application_releases_its_open_application_marker(status: str, target: str) -> None:
    outcome = lifecycle.transition(application(status), request(target), actor("verifikator"), NOW, "e")
    assert outcome.release_marker == "marker-123"
    assert outcome.changes["due_at"] is None


def test_approval_keeps_the_marker() -> None:
    outcome = lifecycle.transition(application("diverifikasi"), request("disetujui"), actor("verifikator"), NOW, "e")
    assert outcome.release_marker is None


def _error(doc: dict[str, Any], req: StaffTransition, who: lifecycle.Actor) -> BahagiaError:
    with pytest.raises(BahagiaError) as caught:
        lifecycle.transition(doc, req, who, NOW, "e")
    return caught.value


def test_disposition_needs_a_known_opd() -> None:
    missing = _error(complaint("diverifikasi"), request("didisposisikan"), actor("verifikator"))
    assert (missing.status, missing.details[0].field) == (422, "opd")
    unknown = _error(complaint("diverifikasi"), request("didisposisikan", opd="dinas-sulap"), actor("verifikator"))
    assert (unknown.status, unknown.details[0].code) == (422, "unknown_opd")


def test_opd_can_only_be_named_at_disposition() -> None:
    err = _error(complaint("diterima"), request("diverifikasi", opd="dlh"), actor("verifikator"))
    assert (err.status, err.details[0].code) == (422, "not_applicable")


def test_unknown_target_status_is_422() -> None:
    err = _error(complaint("diterima"), request("dibakar"), actor("verifikator"))
    assert (err.status, err.details[0].field) == (422, "to")


def test_opd_sees_only_its_cases() -> None:
    err = _error(complaint("didisposisikan"), request("ditindaklanjuti"), actor("opd", opd="dlh"))
    assert err.status == 404
    own_opd = actor("opd", "dinas-pupr")
    own = lifecycle.transition(complaint("didisposisikan"), request("ditindaklanjuti"), own_opd, NOW, "e")
    assert own.changes["status"] == "ditindaklanjuti"
    before_disposition = _error(complaint("diterima"), request("diverifikasi"), actor("opd", opd="dinas-pupr"))
    assert before_disposition.status == 404


@pytest.mark.parametrize("role", ["pimpinan", "admin"])
def test_read_only_roles_never_transition(role: str) -> None:
    assert _error(complaint("diterima"), request("diverifikasi"), actor(role)).status == 403


def test_restricted_cases() -> None:
    assert lifecycle.is_restricted(complaint(category="pungli", privacy="anonymous"))
    assert lifecycle.is_restricted(complaint(privacy="confidential"))
    assert not lifecycle.is_restricted(complaint())
    assert not lifecycle.is_restricted(application())


# --- auto-close ----------------------------------------------------------------------------------------------------


def test_auto_close_after_ten_working_days() -> None:
    followed_up = dt.datetime(2026, 3, 2, 3, tzinfo=dt.UTC)
    due = sla.due_at("complaint", "ditindaklanjuti", followed_up)
    assert due == dt.datetime(2026, 3, 16, 23, 59, 59, tzinfo=calendar.WIB)
    doc = complaint("ditindaklanjuti", due_at=due)
    assert lifecycle.auto_close(doc, due - dt.timedelta(seconds=1), "e") is None
    outcome = lifecycle.auto_close(doc, due + dt.timedelta(seconds=1), "e")
    assert outcome is not None
    assert outcome.changes["status"] == "selesai"
    assert outcome.audit["actor"]["role"] == lifecycle.SYSTEM_ROLE
    assert outcome.audit["note"].startswith("Ditutup otomatis")
    assert outcome.event["status"] == "selesai"


@pytest.mark.parametrize("status", ["diterima", "didisposisikan", "selesai"])
def test_auto_close_only_touches_follow_ups(status: str) -> None:
    doc = complaint(status, due_at=NOW)
    assert lifecycle.auto_close(doc, NOW + dt.timedelta(days=30), "e") is None


# --- load-time validation ------------------------------------------------------------------------------------------


def _raw() -> dict[str, Any]:
    text = resources.files("bahagia").joinpath("data/lifecycles.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def _build(raw: dict[str, Any]) -> lifecycle.Workflow:
    cat = catalogue()
    return lifecycle.build(raw, set(cat.opd), set(cat.programs))


def test_the_shipped_data_loads() -> None:
    assert _build(_raw()).application_opd["balikat"] == "disnaker"


def _broken(mutate: Any) -> dict[str, Any]:
    raw = copy.deepcopy(_raw())
    mutate(raw)
    return raw


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r["lifecycles"]["complaint"]["transitions"][0].update(roles=["lurah"]), "unknown roles"),
        (lambda r: r["lifecycles"]["complaint"]["transitions"].pop(0), "unreachable|next step"),
        (
            lambda r: r["lifecycles"]["complaint"]["transitions"].append(
                {"from": "selesai", "to": "diterima", "roles": ["verifikator"]}
            ),
            "closed status",
        ),
        (lambda r: r["lifecycles"]["application"]["statuses"]["disetujui"].pop("due_working_days"), "due_working_days"),
        (
            lambda r: r["lifecycles"]["complaint"]["statuses"]["ditindaklanjuti"]["auto_close"].update(to="ditolak"),
            "auto-closes",
        ),
        (lambda r: r["application_opd"].update(rumel="dinas-sulap"), "unknown OPD"),
        (lambda r: r["application_opd"].pop("rumel"), "exactly the programmes"),
        (lambda r: r["roles"].append("sistem"), "reserved"),
        (lambda r: r["lifecycles"]["complaint"].update(initial="selesai"), "initial status"),
    ],
)
def test_bad_data_is_refused_at_load(mutate: Any, message: str) -> None:
    with pytest.raises(lifecycle.LifecycleError, match=message):
        _build(_broken(mutate))
