"""GET /v1/staff/reports/{date}[.json|.csv|.xlsx|.html]: the stored report of a business date, for pimpinan and admin;
GET /v1/staff/dashboard: today's figures so far, computed on request like the nightly report and not stored.

The JSON is the staff-only document with exact figures; the CSV and HTML are the suppressed files from the bucket, and
the .xlsx is that CSV as an Excel workbook (reports/excel.py) for offices whose Excel splits CSV on ";".
staff/handlers.py routes the path here after authenticating the caller.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from bahagia.calendar import business_day, iso_utc
from bahagia.errors import BahagiaError
from reports.service import CSV_TYPE, HTML_TYPE, ReportContext, compute_report, file_names, names, sources

REPORT_ROLES = frozenset({"pimpinan", "admin"})
PATH = re.compile(r"^/v1/staff/reports/(?P<date>\d{4}-\d{2}-\d{2})(?P<format>\.json|\.csv|\.xlsx|\.html)?$")
# A self-contained page: no script, no outside request; styles and SVG are inline.
HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@dataclass(frozen=True)
class ReportDownload:
    body: bytes
    content_type: str
    headers: dict[str, str]


def _not_found() -> BahagiaError:
    return BahagiaError("not_found", "Laporan untuk tanggal ini belum tersedia.", 404)


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    raise TypeError(type(value).__name__)


def _require_report_role(role: str) -> None:
    if role not in REPORT_ROLES:
        raise BahagiaError("forbidden", "Laporan hanya untuk pimpinan dan admin.", 403)


def today_figures(ctx: ReportContext, role: str, now: dt.datetime) -> dict[str, Any]:
    """The report of today's WIB date as it stands now: the same counters and the one aggregation query as the
    nightly build (about 250 document reads, whatever the volume), answered and not stored."""
    _require_report_role(role)
    figures, counters = ctx.figures(), ctx.counters()
    report = compute_report(business_day(now), counters, figures, names(), sources())
    return {**report.model_dump(mode="json"), "as_of": iso_utc(now)}


def report_download(ctx: ReportContext, role: str, path: str) -> ReportDownload:
    """The report file `path` names, or BahagiaError (403 for another role, 404 for a date without a report)."""
    match = PATH.match(path.rstrip("/"))
    if match is None:
        raise _not_found()
    _require_report_role(role)
    date, fmt = match["date"], (match["format"] or ".json")[1:]
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        raise _not_found() from None
    private = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    if fmt == "json":
        doc = ctx.store.load(date)
        if doc is None:
            raise _not_found()
        body = json.dumps(doc, default=_json_default, ensure_ascii=False, sort_keys=True).encode()
        return ReportDownload(body, "application/json", private)
    data = ctx.files.download(file_names(date)["csv" if fmt == "xlsx" else fmt])
    if data is None:
        raise _not_found()
    if fmt == "xlsx":
        from reports.excel import XLSX_TYPE, csv_to_xlsx

        headers = {**private, "Content-Disposition": f'attachment; filename="laporan-bahagia-{date}.xlsx"'}
        return ReportDownload(csv_to_xlsx(data, f"Laporan {date}"), XLSX_TYPE, headers)
    if fmt == "csv":
        headers = {**private, "Content-Disposition": f'attachment; filename="laporan-bahagia-{date}.csv"'}
        return ReportDownload(data, CSV_TYPE, headers)
    headers = {
        **private,
        "Content-Security-Policy": HTML_POLICY,
        "Content-Disposition": f'inline; filename="laporan-bahagia-{date}.html"',
    }
    return ReportDownload(data, HTML_TYPE, headers)


def openapi_paths(error_responses: dict[str, Any]) -> dict[str, Any]:
    """The report paths for the OpenAPI document (`error_responses`: its 401, 403, 404, 405 and 503 entries); the
    JSON body is `NightlyReport` (`openapi_schemas()`). edge/openapi.py merges both into the document."""
    date = {"name": "date", "in": "path", "required": True, "schema": {"type": "string", "format": "date"}}
    security: list[dict[str, list[str]]] = [{"staffBearer": []}]
    return {
        "/v1/staff/reports/{date}": {
            "get": {
                "operationId": "staffGetReport",
                "summary": "Laporan harian dengan angka persis (pimpinan, admin); juga /v1/staff/reports/{date}.json",
                "security": security,
                "parameters": [date],
                "responses": {
                    "200": {
                        "description": "Laporan",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NightlyReport"}}},
                    },
                    **error_responses,
                },
            }
        },
        "/v1/staff/reports/{date}.csv": {
            "get": {
                "operationId": "staffGetReportCsv",
                "summary": "Laporan harian sebagai CSV; angka di bawah 5 sebagai <5, angka yang disamarkan sebagai x "
                "(pimpinan, admin)",
                "security": security,
                "parameters": [date],
                "responses": {
                    "200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                    **error_responses,
                },
            }
        },
        "/v1/staff/reports/{date}.xlsx": {
            "get": {
                "operationId": "staffGetReportXlsx",
                "summary": "Laporan harian sebagai buku kerja Excel (isi sama dengan CSV, angka sebagai angka); "
                "angka di bawah 5 sebagai <5 (pimpinan, admin)",
                "security": security,
                "parameters": [date],
                "responses": {
                    "200": {
                        "description": "Excel",
                        "content": {
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": {"type": "string", "format": "binary"}
                            }
                        },
                    },
                    **error_responses,
                },
            }
        },
        "/v1/staff/reports/{date}.html": {
            "get": {
                "operationId": "staffGetReportHtml",
                "summary": "Laporan harian sebagai halaman HTML dengan grafik dan peta; angka di bawah 5 sebagai <5",
                "security": security,
                "parameters": [date],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}},
                    **error_responses,
                },
            }
        },
    }


def openapi_schemas() -> dict[str, Any]:
    from reports.model import Report

    schema = Report.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return {"NightlyReport": schema, **definitions}
