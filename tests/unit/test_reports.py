"""The nightly report on fakes: its request parser, figures, counters, percentiles, suppression and outputs."""

from __future__ import annotations

import base64
import copy
import csv
import datetime as dt
import io
import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app
from hypothesis import given
from hypothesis import strategies as st

import bootstrap
from bahagia import report_counters
from bahagia.calendar import business_date, working_days_between, yesterday
from bahagia.report_facts import transition_facts
from devstack import reports_seed as seed
from reports import render, service
from reports.figures import Aggregate, CountersInMemory, DocumentFigures, Filter, eq, tally_documents
from reports.model import Report, nearest_rank
from reports.request import BadReportRequest, report_date
from reports.service import ReportContext
from tests.reports_fakes import FakeReportFiles, FakeReportStore

EVENTS = Path(__file__).parent / "events"
HANDLERS = Path(__file__).parents[2] / "functions" / "reports" / "handlers.py"
PUSH_PATH = "/projects/demo-bahagia/topics/report-requests"
WIB = dt.timezone(dt.timedelta(hours=7))
DAY = dt.date(2025, 11, 17)
NOW = dt.datetime(2025, 11, 18, 0, 30, tzinfo=WIB)


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def _with_data(raw: bytes) -> dict[str, Any]:
    push = copy.deepcopy(_load("report_request_push.json"))
    push["message"]["data"] = base64.b64encode(raw).decode()
    return push


# --- the request ---------------------------------------------------------------------------------------------------


def test_both_cloud_event_shapes_name_the_same_date() -> None:
    push = _load("report_request_push.json")
    converted = {"message": push["message"]}  # what functions-framework hands over: the subscription is dropped
    eventarc = _load("report_request_eventarc.json")["body"]
    assert report_date(converted, NOW) == report_date(eventarc, NOW) == DAY
    assert report_date(json.dumps(eventarc).encode(), NOW) == DAY


@pytest.mark.parametrize("raw", [b"{}", b"", b'{"date": null}', b"  "])
def test_an_empty_request_means_yesterday_in_wib(raw: bytes) -> None:
    # 00:30 WIB on the 18th is still the 17th in UTC: "yesterday" must be the 17th, not the 16th.
    assert report_date(_with_data(raw), NOW) == DAY
    assert yesterday(dt.datetime(2025, 11, 17, 17, 1, tzinfo=dt.UTC)) == DAY


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        b"not json",
        b'{"date": "17-11-2025"}',
        b'{"date": "2025-02-30"}',
        b'{"date": "2099-01-01"}',
        b'{"date": 20251117}',
    ],
)
def test_a_request_naming_no_buildable_date_is_refused(raw: bytes) -> None:
    with pytest.raises(BadReportRequest):
        report_date(_with_data(raw), NOW)


@pytest.mark.parametrize("data", [None, {}, {"message": "x"}, b"\xff", "[]"])
def test_cloud_event_data_without_a_message_is_refused(data: object) -> None:
    with pytest.raises(BadReportRequest):
        report_date(data, NOW)


# --- figures -------------------------------------------------------------------------------------------------------


def test_filters_follow_firestore_semantics() -> None:
    docs: list[dict[str, Any]] = [{"n": 1}, {"n": True}, {"n": "1"}, {"n": None}, {}, {"n": 3}]
    assert tally_documents(docs, Aggregate("submissions", (eq("n", 1),))).count == 1
    assert tally_documents(docs, Aggregate("submissions", (Filter("n", "<=", 3),))).count == 2
    assert tally_documents(docs, Aggregate("submissions", (Filter("n", "in", (1, "1")),))).count == 2


@given(st.lists(st.integers(min_value=0, max_value=60), max_size=80), st.sampled_from([0.5, 0.9, 0.1, 1.0]))
def test_nearest_rank_matches_sorting(values: list[int], fraction: float) -> None:
    asked: list[int] = []

    def count_at_most(k: int) -> int:
        asked.append(k)
        return sum(1 for v in values if v <= k)

    result = nearest_rank(len(values), fraction, count_at_most)
    if not values:
        assert result is None
        return
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 1000) * len(values) // 1000))
    assert result == ordered[rank - 1]
    assert len(asked) <= 2 * 6 + 2  # logarithmic in the answer, not linear in the cases


def test_working_days_skip_weekends_and_cuti_bersama() -> None:
    assert working_days_between(dt.date(2025, 11, 14), dt.date(2025, 11, 17)) == 1  # Friday -> Monday
    assert working_days_between(dt.date(2025, 11, 17), dt.date(2025, 11, 17)) == 0
    # Nyepi, Idul Fitri and their cuti bersama: nothing from 18 to 24 March 2026 is a working day.
    assert working_days_between(dt.date(2026, 3, 17), dt.date(2026, 3, 25)) == 1


def test_business_date_follows_wib_not_utc() -> None:
    late_evening = dt.datetime(2025, 11, 17, 23, 30, tzinfo=WIB)
    assert late_evening.astimezone(dt.UTC).date() == dt.date(2025, 11, 17)
    assert business_date(dt.datetime(2025, 11, 17, 16, 30, tzinfo=dt.UTC)) == "2025-11-17"  # 23:30 WIB
    assert business_date(dt.datetime(2025, 11, 17, 17, 10, tzinfo=dt.UTC)) == "2025-11-18"  # 00:10 WIB


def test_transition_facts_judge_the_step_it_closes() -> None:
    due = dt.datetime(2025, 11, 19, 23, 59, 59, tzinfo=WIB)
    doc = {
        "tracking_code": "ABCD2345R",
        "kind": "complaint",
        "status": "diterima",
        "business_date": "2025-11-14",
        "due_at": due,
        "category": "lingkungan",
        "kecamatan": "15.71.01",
    }
    on_time = transition_facts(doc, dt.datetime(2025, 11, 17, 9, tzinfo=WIB))
    assert on_time["on_time"] is True
    assert on_time["working_days"] == 1
    assert on_time["business_date"] == "2025-11-17"
    assert transition_facts(doc, due + dt.timedelta(seconds=1))["on_time"] is False
    follow_up = {**doc, "status": "ditindaklanjuti"}  # auto-closing: no service level
    assert transition_facts(follow_up, due)["on_time"] is None


def test_counters_of_a_transition_move_the_status_and_fill_the_histogram() -> None:
    doc = {
        "tracking_code": "ABCD2345R",
        "kind": "application",
        "business_date": "2025-11-14",
        "status": "diterima",
        "program": "balikat",
    }
    audit = {
        "from": "diterima",
        "to": "diverifikasi",
        "at": dt.datetime(2025, 11, 17, 2, tzinfo=dt.UTC),
        "business_date": "2025-11-17",
        "on_time": True,
        "working_days": 1,
        "sla_due_at": dt.datetime(2025, 11, 19, 16, 59, 59, tzinfo=dt.UTC),
    }
    counts = report_counters.transition_counts(doc, audit)
    shard = report_counters.shard_of("ABCD2345R")
    assert counts[f"2025-11-14_{shard}"] == {"new__status__diterima": -1, "new__status__diverifikasi": 1}
    assert counts[f"2025-11-17_{shard}"]["hist__verification__1"] == 1
    # The next step (approval) is due 3 working days after the verification: Thursday the 20th.
    assert counts[f"2025-11-20_{shard}"] == {"sla__due": 1}


# --- a generated month: counters and the naive scan agree ----------------------------------------------------------


@pytest.fixture(scope="module")
def history() -> list[seed.Seeded]:
    return list(seed.demo_data(random.Random(5), DAY - dt.timedelta(days=40), DAY, 500, NOW))


def _documents(history: list[seed.Seeded]) -> dict[str, list[dict[str, Any]]]:
    return {
        "submissions": [s.submission for s in history],
        "transitions": [a for s in history for a in s.audit],
        "notifications": [n for s in history for n in s.notifications],
    }


def _counters(history: list[seed.Seeded]) -> dict[str, dict[str, int]]:
    totals: report_counters.Counts = {}
    for s in history:
        report_counters.merge(totals, s.counts)
    return totals


@pytest.fixture(scope="module")
def report(history: list[seed.Seeded]) -> Report:
    figures = DocumentFigures(_documents(history))
    return service.compute_report(
        DAY, CountersInMemory(_counters(history)), figures, service.names(), service.sources()
    )


def test_the_counters_give_exactly_the_report_of_a_full_scan(history: list[seed.Seeded], report: Report) -> None:
    naive = service.compute_report_by_queries(
        DAY, DocumentFigures(_documents(history)), service.names(), service.sources()
    )
    assert report == naive
    assert report.new_submissions.total > 5
    assert report.transitions.total > 5
    assert report.sla.to_completion.cases > 0
    assert report.sla.to_completion.median_working_days is not None


def test_a_report_reads_the_same_whatever_the_history(history: list[seed.Seeded]) -> None:
    small, large = CountersInMemory(_counters(history[:50])), CountersInMemory(_counters(history))
    service.compute_report(DAY, small, DocumentFigures({}), service.names(), service.sources())
    service.compute_report(DAY, large, DocumentFigures({}), service.names(), service.sources())
    assert small.reads == large.reads == 30 * report_counters.SHARDS  # the 30-day window holds 1 November


def test_groups_add_up(report: Report) -> None:
    new = report.new_submissions
    assert new.applications + new.complaints == new.total
    assert sum(p.count for p in new.by_program if p.benefit is None) == new.applications
    assert sum(c.count for c in new.by_category) == new.complaints
    assert sum(k.count for k in new.by_kecamatan) + new.without_kelurahan == new.total
    assert sum(s.count for s in new.by_status) == new.total
    assert sum(s.count for s in report.transitions.by_status) == report.transitions.total
    assert len(new.by_kelurahan) == 68


# --- outputs -------------------------------------------------------------------------------------------------------

ALLOWED_CELL = re.compile(r"^(|<5|–|[+-]?\d+|[5-9]|\d{2,}|\d+,\d%|\d{4}-\d{2}-\d{2})$")


def test_csv_suppresses_small_counts(report: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(render.render_csv(report).decode("utf-8-sig"))))
    counts = [
        r["nilai"]
        for r in rows
        if r["bagian"] not in ("laporan", "minggu_lalu")
        and r["kelompok"] != "kepatuhan"
        and r["kode"] not in ("median", "p90")  # working days, not counts of people
    ]
    assert "<5" in counts
    for value in counts:
        assert value in ("<5", "–", "x") or (value.isdigit() and int(value) >= 5), value
    sources = " ".join(r["label"] for r in rows if r["kelompok"] == "sumber")
    assert "Cahya DSN" in sources
    assert "MIT License" in sources


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[str] = []
        self.paths: list[dict[str, str | None]] = []
        self.bars = 0
        self.text: list[str] = []
        self.cells: list[str] = []
        self._in_num = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "svg":
            self.svgs.append(values.get("id") or "")
        if tag == "path" and values.get("class") == "kelurahan":
            self.paths.append(values)
        if tag == "rect" and (values.get("class") or "").startswith("bar"):
            self.bars += 1
        self._in_num = tag == "td" and values.get("class") == "num"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_num:
            self.cells.append(data.strip())
            self._in_num = False


def test_html_holds_its_charts_and_map_and_suppresses_small_counts(report: Report) -> None:
    html = render.render_html(report).decode()
    page = _Page()
    page.feed(html)
    page.close()
    assert set(page.svgs) >= {"grafik-program", "grafik-kategori", "grafik-kecamatan", "grafik-sla", "peta-kelurahan"}
    assert len(page.paths) == 68
    assert page.bars > 20
    text = " ".join(page.text)
    assert "Laporan Harian" in text
    assert "Cahya DSN" in text
    assert "MIT License" in text
    assert '<meta name="viewport"' in html
    assert "@media print" in html
    assert "<script" not in html
    for cell in page.cells:
        if cell.startswith(("+", "-")):
            continue  # a change between two shown counts (both >= 5) reveals nothing more than they do
        for number in re.findall(r"(?<![\d,.])\d+(?![\d,%])", cell):
            assert int(number) >= 5 or cell.startswith(("<5", "–")), cell


def test_no_personal_data_in_any_output(history: list[seed.Seeded], report: Report) -> None:
    outputs = [
        json.dumps(report.model_dump(mode="json")),
        render.render_csv(report).decode(),
        render.render_html(report).decode(),
    ]
    for s in history:
        secrets = [
            s.submission.get("applicant", {}).get("nik"),
            s.submission.get("applicant", {}).get("phone"),
            (s.submission.get("reporter") or {}).get("phone"),
            s.code,
        ]
        for output in outputs:
            assert "Warga Contoh" not in output
            for secret in filter(None, secrets):
                assert secret not in output


# --- publishing and the entry point ---------------------------------------------------------------------------------


def test_publishing_twice_writes_once(report: Report) -> None:
    store, files = FakeReportStore(), FakeReportFiles()
    first = service.publish(report, store, files, NOW)
    second = service.publish(report, store, files, NOW + dt.timedelta(minutes=5))
    assert len(first.written) == 3
    assert second.written == ()
    assert store.writes == ["2025-11-17"]
    assert sorted(files.uploads) == ["reports/2025-11-17.csv", "reports/2025-11-17.html"]


@pytest.fixture
def fake_context(monkeypatch: pytest.MonkeyPatch, history: list[seed.Seeded]) -> ReportContext:
    ctx = ReportContext(
        figures=lambda: DocumentFigures(_documents(history)),
        counters=lambda: CountersInMemory(_counters(history)),
        store=FakeReportStore(),
        files=FakeReportFiles(),
    )
    monkeypatch.setattr(bootstrap, "report_context", lambda: ctx)
    return ctx


@pytest.fixture
def client() -> Any:
    return create_app(target="build_nightly_report", source=str(HANDLERS), signature_type="cloudevent").test_client()


def test_push_and_eventarc_deliveries_build_the_report_once(client: Any, fake_context: ReportContext) -> None:
    eventarc = _load("report_request_eventarc.json")
    assert client.post(PUSH_PATH, json=_load("report_request_push.json")).status_code == 200
    response = client.post("/", headers=eventarc["headers"], data=json.dumps(eventarc["body"]))
    assert response.status_code == 200
    assert fake_context.store.writes == ["2025-11-17"]  # type: ignore[attr-defined]


def test_a_bad_request_is_acknowledged_and_builds_nothing(
    client: Any, fake_context: ReportContext, caplog: pytest.LogCaptureFixture
) -> None:
    assert client.post(PUSH_PATH, json=_with_data(b'{"date": "kemarin"}')).status_code == 200
    assert fake_context.store.writes == []  # type: ignore[attr-defined]
    assert any("report request rejected" in r.getMessage() and "kemarin" not in r.getMessage() for r in caplog.records)


def test_serving_checks_role_date_and_format(report: Report) -> None:
    from bahagia.errors import BahagiaError
    from reports.serving import openapi_paths, openapi_schemas, report_download

    ctx = ReportContext(figures=DocumentFigures, counters=dict, store=FakeReportStore(), files=FakeReportFiles())  # type: ignore[arg-type]
    service.publish(report, ctx.store, ctx.files, NOW)
    html = report_download(ctx, "pimpinan", "/v1/staff/reports/2025-11-17.html")
    assert html.content_type.startswith("text/html")
    assert "script-src" not in html.headers["Content-Security-Policy"]
    assert report_download(ctx, "admin", "/v1/staff/reports/2025-11-17.csv").body.startswith("\ufeff".encode())
    assert json.loads(report_download(ctx, "admin", "/v1/staff/reports/2025-11-17").body)["date"] == "2025-11-17"
    for role, path, status in (
        ("verifikator", "/v1/staff/reports/2025-11-17.html", 403),
        ("pimpinan", "/v1/staff/reports/2025-11-16.html", 404),
        ("pimpinan", "/v1/staff/reports/2025-13-45.csv", 404),
        ("pimpinan", "/v1/staff/reports/2025-11-17.pdf", 404),
    ):
        with pytest.raises(BahagiaError) as raised:
            report_download(ctx, role, path)
        assert raised.value.status == status
    assert len(openapi_paths({})) == 4
    assert "NightlyReport" in openapi_schemas()


def _xlsx_rows(data: bytes) -> list[list[tuple[str, str]]]:
    """The cells of the first sheet as (type, value): "s" for text, "n" for a number; read from the XML itself."""
    import re
    import zipfile
    from xml.etree import ElementTree

    ns = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        shared = [
            "".join(t.text or "" for t in item.iter(f"{{{ns['x']}}}t"))
            # our own workbook, written a line earlier: not untrusted input
            for item in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("x:si", ns)  # noqa: S314
        ]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    rows = []
    for row in sheet.iter(f"{{{ns['x']}}}row"):
        cells: list[tuple[str, str]] = []
        for cell in row.findall("x:c", ns):
            column = ord(re.sub(r"\d", "", cell.get("r", "A"))) - ord("A")
            cells += [("s", "")] * (column - len(cells))
            value = cell.findtext("x:v", default="", namespaces=ns)
            cells.append(("s", shared[int(value)]) if cell.get("t") == "s" else ("n", value))
        rows.append(cells)
    return rows


def test_the_excel_workbook_is_the_csv_with_figures_as_numbers_and_codes_as_text(report: Report) -> None:
    """Issue 11: the report opens in Excel on Indonesian Windows (whose CSV separator is ";") with numbers Excel
    formats in the reader's locale, while /v1/staff/reports/{date}.csv stays byte for byte the stored file."""
    from reports.serving import report_download

    ctx = ReportContext(figures=DocumentFigures, counters=dict, store=FakeReportStore(), files=FakeReportFiles())  # type: ignore[arg-type]
    service.publish(report, ctx.store, ctx.files, NOW)
    stored = ctx.files.download("reports/2025-11-17.csv")
    assert report_download(ctx, "admin", "/v1/staff/reports/2025-11-17.csv").body == stored
    xlsx = report_download(ctx, "pimpinan", "/v1/staff/reports/2025-11-17.xlsx")
    assert xlsx.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.headers["Content-Disposition"] == 'attachment; filename="laporan-bahagia-2025-11-17.xlsx"'
    assert xlsx.headers["Cache-Control"] == "private, no-store"
    expected = list(csv.reader(io.StringIO(render.render_csv(report).decode("utf-8-sig"))))
    rows = _xlsx_rows(xlsx.body)
    assert len(rows) == len(expected)
    kinds = {"count": 0, "percent": 0, "suppressed": 0}
    for want, got in zip(expected, rows, strict=True):
        got += [("s", "")] * (len(want) - len(got))
        assert [value for _, value in got[:-1]] == want[:-1]
        assert all(kind == "s" for kind, _ in got[:-1]), want  # codes such as 15.71.01 and dates stay text
        nilai, (kind, value) = want[-1], got[-1]
        if nilai.lstrip("+-").isdigit():
            assert (kind, float(value)) == ("n", float(int(nilai)))
            kinds["count"] += 1
        elif nilai.endswith("%"):
            assert kind == "n"
            assert float(value) == pytest.approx(float(nilai[:-1].replace(",", ".")) / 100)
            kinds["percent"] += 1
        else:
            assert (kind, value) == ("s", nilai)
            kinds["suppressed"] += nilai == "<5"
    assert all(kinds.values()), kinds  # the sample report has counts, percentages and suppressed cells
