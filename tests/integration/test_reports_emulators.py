"""The nightly report on the real Firestore and storage emulators: exact figures of a known day, the WIB date
boundary, redelivered triggers, no personal data in any output, and an HTML page that holds its charts."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app

import bootstrap
from bahagia import report_counters, sla
from bahagia.codes import new_tracking_code
from bahagia.report_facts import transition_facts
from devstack import reports_cli as cli
from devstack import reports_seed as seed
from reports import service
from reports.figures import DocumentFigures
from reports.model import QUERIED
from settings import Settings

WIB = dt.timezone(dt.timedelta(hours=7))
HANDLERS = Path(__file__).parents[2] / "functions" / "reports" / "handlers.py"
PUSH_PATH = "/projects/demo-bahagia/topics/report-requests"
EVENTS = Path(__file__).parents[1] / "unit" / "events"


def wib(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=WIB).astimezone(dt.UTC)


class Story:
    """Hand-written cases with known figures, stored as intake, the staff service and the notifier store them."""

    def __init__(self) -> None:
        self.cases: list[seed.Seeded] = []
        self._rng = random.Random(3)

    def submit(
        self,
        at: dt.datetime,
        kind: str,
        *,
        program: str | None = None,
        benefit: str | None = None,
        category: str | None = None,
        kelurahan: str | None = None,
    ) -> seed.Seeded:
        serial = 9000 + len(self.cases)
        code = new_tracking_code(lambda n: self._rng.randrange(n))
        kecamatan = kelurahan.rsplit(".", 1)[0] if kelurahan else None
        person = {"name": f"Warga Contoh {serial}", "phone": f"+62812{serial:08d}"}
        doc: dict[str, Any] = {
            "tracking_code": code,
            "kind": kind,
            "channel": "telepon" if category == "aspirasi" else "web",
            "status": "diterima",
            "submitted_at": at,
            "status_changed_at": at,
            "business_date": at.astimezone(WIB).date().isoformat(),
            "program": program,
            "benefit": benefit,
            "category": category,
            "kecamatan": kecamatan,
            "kelurahan": kelurahan,
            "opd": None,
            "due_at": sla.initial_due_at(kind, at),
            "timeline": [{"status": "diterima", "at": at, "note": None}],
        }
        if kind == "application":
            nik = seed.fake_nik(self._rng, kecamatan or "15.71.01", serial, dt.date(1980, 5, 17), False)
            doc["applicant"] = {**person, "nik": nik}
        else:
            doc["reporter"] = person
        case = seed.Seeded(doc, counts=report_counters.submission_counts(doc))
        self.cases.append(case)
        return case

    def move(self, case: seed.Seeded, to: str, at: dt.datetime) -> None:
        doc = case.submission
        entry = {
            "tracking_code": case.code,
            "action": "transition",
            "at": at,
            "from": doc["status"],
            "to": to,
            "note": "Catatan contoh.",
            **transition_facts(doc, at),
        }
        case.audit.append(entry)
        report_counters.merge(case.counts, report_counters.transition_counts(doc, entry))
        doc.update(status=to, status_changed_at=at, due_at=sla.due_at(doc["kind"], to, at))

    def sms(self, case: seed.Seeded, status: str, at: dt.datetime, segments: int = 1) -> None:
        event_id = f"{case.code}-{len(case.notifications)}"
        record = {
            "id": f"{event_id}:r",
            "event_id": event_id,
            "tracking_code": case.code,
            "status": status,
            "segments": segments,
            "created_at": at,
            "business_date": at.astimezone(WIB).date().isoformat(),
        }
        case.notifications.append(record)
        queued = {**record, "status": "queued"}
        report_counters.merge(case.counts, report_counters.notification_counts(None, queued))
        report_counters.merge(case.counts, report_counters.notification_counts(queued, record))


def known_month() -> Story:
    s = Story()
    a = s.submit(wib(17, 9), "application", program="balikat", kelurahan="15.71.01.1001")
    s.move(a, "diverifikasi", wib(17, 14))
    s.sms(a, "sent", wib(17, 9))
    s.sms(a, "delivered", wib(17, 14), segments=2)
    bs = [
        s.submit(
            wib(17, 10, i), "application", program="kartu-bahagia", benefit="pendidikan", kelurahan="15.71.09.1001"
        )
        for i in range(6)
    ]
    s.sms(bs[0], "failed", wib(17, 10))
    s.sms(bs[1], "sent", wib(17, 10, 1))
    s.submit(wib(17, 23, 30), "complaint", category="infrastruktur", kelurahan="15.71.07.1001")  # 16:30 UTC
    d = s.submit(wib(18, 0, 10), "complaint", category="lingkungan", kelurahan="15.71.07.1001")  # 17th in UTC
    s.sms(d, "sent", wib(18, 0, 10))
    s.submit(wib(16, 23, 59), "complaint", category="aspirasi")
    f = s.submit(wib(10, 9), "application", program="lansia-bahagia", kelurahan="15.71.11.1001")
    s.move(f, "diverifikasi", wib(17, 10))  # due on the 13th: late, after 5 working days
    g = s.submit(wib(12, 9), "complaint", category="infrastruktur", kelurahan="15.71.02.1002")
    s.move(g, "diverifikasi", wib(13, 9))
    s.move(g, "didisposisikan", wib(17, 9))
    h = s.submit(wib(3, 9), "complaint", category="pungli", kelurahan="15.71.04.1001")
    for to, day in (("diverifikasi", 4), ("didisposisikan", 5), ("ditindaklanjuti", 6), ("selesai", 17)):
        s.move(h, to, wib(day, 11))
    s.submit(wib(12, 10), "complaint", category="budaya", kelurahan="15.71.05.1001")  # due on the 17th, still open
    j = s.submit(wib(12, 11), "complaint", category="lingkungan", kelurahan="15.71.05.1002")
    s.move(j, "diverifikasi", wib(14, 9))  # its deadline (the 17th) falls on the report date
    return s


@pytest.fixture
def context(clean_emulators: Any, monkeypatch: pytest.MonkeyPatch) -> service.ReportContext:
    ctx = bootstrap.build_report_context(Settings(project_id=clean_emulators.project_id))
    monkeypatch.setattr(bootstrap, "report_context", lambda: ctx)
    return ctx


def _write(ctx: service.ReportContext, cases: list[seed.Seeded]) -> None:
    from google.cloud import firestore

    cli.write_seed(cases, len(cases), firestore.Client(project=bootstrap_project()), out=io.StringIO())


def bootstrap_project() -> str:
    return Settings().project_id


@pytest.fixture
def client() -> Any:
    return create_app(target="build_nightly_report", source=str(HANDLERS), signature_type="cloudevent").test_client()


def _request(date: str) -> dict[str, Any]:
    import base64

    push: dict[str, Any] = json.loads((EVENTS / "report_request_push.json").read_text())
    push["message"]["data"] = base64.b64encode(json.dumps({"date": date}).encode()).decode()
    return push


def test_a_known_day_gives_exactly_its_figures(context: service.ReportContext, client: Any) -> None:
    _write(context, known_month().cases)
    assert client.post(PUSH_PATH, json=_request("2025-11-17")).status_code == 200
    doc = context.store.load("2025-11-17")
    assert doc is not None
    new = doc["new_submissions"]
    # The 23:30 WIB complaint is the 17th's; the one at 00:10 WIB on the 18th is not, though UTC says the 17th.
    assert (new["total"], new["applications"], new["complaints"]) == (8, 7, 1)
    programs = {(p["program"], p["benefit"]): p["count"] for p in new["by_program"]}
    assert programs[("balikat", None)] == 1
    assert programs[("kartu-bahagia", None)] == 6
    assert programs[("kartu-bahagia", "pendidikan")] == 6
    assert programs[("kartu-bahagia", "sosial")] == 0
    assert {c["category"]: c["count"] for c in new["by_category"] if c["count"]} == {"infrastruktur": 1}
    assert {k["kecamatan"]: k["count"] for k in new["by_kecamatan"] if k["count"]} == {
        "15.71.01": 1,
        "15.71.09": 6,
        "15.71.07": 1,
    }
    assert {k["kelurahan"]: k["count"] for k in new["by_kelurahan"] if k["count"]} == {
        "15.71.01.1001": 1,
        "15.71.09.1001": 6,
        "15.71.07.1001": 1,
    }
    assert {s["status"]: s["count"] for s in new["by_status"] if s["count"]} == {"diterima": 7, "diverifikasi": 1}
    moves = doc["transitions"]
    assert moves["total"] == 4
    assert {s["status"]: s["count"] for s in moves["by_status"] if s["count"]} == {
        "diverifikasi": 2,
        "didisposisikan": 1,
        "selesai": 1,
    }
    sla_figures = doc["sla"]
    # Due on the 17th: g's and j's verification (both closed early, on the 13th and 14th) and the open budaya case,
    # which is also the one case past its deadline at the end of the day.
    assert (sla_figures["met"], sla_figures["late"], sla_figures["due"], sla_figures["overdue"]) == (2, 1, 3, 1)
    assert sla_figures["to_verification"] == {"cases": 2, "median_working_days": 0, "p90_working_days": 5}
    assert sla_figures["to_completion"] == {"cases": 1, "median_working_days": 10, "p90_working_days": 10}
    assert doc["sms"] == {
        "sent": 3,
        "delivered": 1,
        "failed": 1,
        "segments": 4,
        "refused_client_budget": 0,
        "refused_daily_budget": 0,
    }
    mtd = doc["month_to_date"]
    assert (mtd["submissions"], mtd["applications"], mtd["complaints"], mtd["transitions"]) == (14, 8, 6, 9)
    assert (mtd["sla_met"], mtd["sla_late"], mtd["sms_sent"]) == (7, 1, 3)
    week = {c["figure"]: (c["today"], c["week_ago"]) for c in doc["previous_week"]["figures"]}
    assert week["applications"] == (7, 1)
    assert week["complaints"] == (1, 0)
    assert week["transitions"] == (4, 0)
    # The 18th's report holds the 00:10 WIB complaint and its SMS.
    assert client.post(PUSH_PATH, json=_request("2025-11-18")).status_code == 200
    next_day = context.store.load("2025-11-18")
    assert next_day is not None
    assert next_day["new_submissions"]["complaints"] == 1
    assert next_day["sms"]["sent"] == 1


def test_a_redelivered_trigger_changes_nothing(context: service.ReportContext, client: Any) -> None:
    _write(context, known_month().cases)
    assert client.post(PUSH_PATH, json=_request("2025-11-17")).status_code == 200
    first = context.store.load("2025-11-17")
    bucket = context.files._bucket()  # type: ignore[attr-defined]
    generations = {name: bucket.get_blob(name).generation for name in service.file_names("2025-11-17").values()}
    for _ in range(3):
        assert client.post(PUSH_PATH, json=_request("2025-11-17")).status_code == 200
    assert context.store.load("2025-11-17") == first  # not even built_at moved: nothing was written again
    assert {name: bucket.get_blob(name).generation for name in generations} == generations
    from google.cloud import firestore

    reports = list(firestore.Client(project=bootstrap_project()).collection("reports").stream())
    assert [r.id for r in reports] == ["2025-11-17"]


class _Charts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svgs: set[str] = set()
        self.kelurahan = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "svg":
            self.svgs.add(values.get("id") or "")
        if tag == "path" and values.get("class") == "kelurahan":
            self.kelurahan += 1


def test_seeded_demo_data_reports_match_a_full_scan_and_leak_nothing(
    context: service.ReportContext, client: Any
) -> None:
    now = wib(21, 0, month=10)
    cases = list(seed.demo_data(random.Random(11), dt.date(2025, 10, 1), dt.date(2025, 10, 20), 250, now))
    _write(context, cases)
    assert client.post(PUSH_PATH, json=_request("2025-10-15")).status_code == 200
    stored = context.store.load("2025-10-15")
    assert stored is not None
    documents = {
        "submissions": [c.submission for c in cases],
        "transitions": [a for c in cases for a in c.audit],
        "notifications": [n for c in cases for n in c.notifications],
    }
    naive = service.compute_report_by_queries(
        dt.date(2025, 10, 15), DocumentFigures(documents), service.names(), service.sources()
    )
    assert {k: stored[k] for k in naive.model_dump(mode="json")} == naive.model_dump(mode="json")
    assert stored["cost"]["reads"] <= 31 * report_counters.SHARDS + len(QUERIED)

    csv_text = context.files.download("reports/2025-10-15.csv")
    html_text = context.files.download("reports/2025-10-15.html")
    assert csv_text is not None
    assert html_text is not None
    outputs = [json.dumps(stored, default=str), csv_text.decode("utf-8-sig"), html_text.decode()]
    for case in cases:
        people = [case.submission.get("applicant"), case.submission.get("reporter")]
        secrets = [value for p in people if p for value in (p.get("name"), p.get("nik"), p.get("phone")) if value]
        for output in outputs:
            for secret in secrets:
                assert secret not in output
    parser = _Charts()
    parser.feed(html_text.decode())
    parser.close()
    assert {"grafik-program", "grafik-kategori", "grafik-kecamatan", "grafik-sla", "peta-kelurahan"} <= parser.svgs
    assert parser.kelurahan == 68


def test_pimpinan_and_admin_download_the_report_others_may_not(
    context: service.ReportContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from staff import auth

    _write(context, known_month().cases)
    service.build_and_publish(dt.date(2025, 11, 17), context, dt.datetime.now(dt.UTC))
    settings = Settings()
    staff_ctx = bootstrap.build_staff_context(settings)
    monkeypatch.setattr(bootstrap, "staff_context", lambda: staff_ctx)
    app = create_app(target="staff_api", source=str(HANDLERS.parents[1] / "staff" / "handlers.py"))
    staff = app.test_client()

    def token(role: str) -> dict[str, str]:
        key = settings.keys.staff_token
        jwt = auth.issue_local_token(
            key,
            settings.staff_audience,
            f"{role}@contoh.invalid",
            role,
            "dinsos" if role == "opd" else None,
            dt.datetime.now(dt.UTC),
            dt.timedelta(minutes=5),
        )
        return {"Authorization": f"Bearer {jwt}"}

    html = staff.get("/v1/staff/reports/2025-11-17.html", headers=token("pimpinan"))
    assert html.status_code == 200
    assert html.content_type.startswith("text/html")
    assert b'id="peta-kelurahan"' in html.data
    assert "script-src" not in html.headers["Content-Security-Policy"]
    csv_file = staff.get("/v1/staff/reports/2025-11-17.csv", headers=token("admin"))
    assert csv_file.status_code == 200
    assert csv_file.content_type.startswith("text/csv")
    exact = staff.get("/v1/staff/reports/2025-11-17", headers=token("pimpinan"))
    assert exact.status_code == 200
    assert exact.get_json()["new_submissions"]["total"] == 8
    assert staff.get("/v1/staff/reports/2025-11-17.json", headers=token("admin")).status_code == 200
    for role in ("verifikator", "opd", "integritas"):
        assert staff.get("/v1/staff/reports/2025-11-17.html", headers=token(role)).status_code == 403
    assert staff.get("/v1/staff/reports/2025-11-17.html").status_code == 401
    assert staff.get("/v1/staff/reports/2025-11-16.html", headers=token("pimpinan")).status_code == 404
    assert staff.get("/v1/staff/reports/kemarin.html", headers=token("pimpinan")).status_code == 404
    assert staff.post("/v1/staff/reports/2025-11-17.csv", headers=token("admin")).status_code == 405
