"""The report as CSV and as one self-contained HTML page in Bahasa Indonesia. Pure: report in, bytes out.

Both outputs go beyond the staff API (a bucket, a printout, an e-mail attachment), so both show counts under 5 as
"<5" (reports.suppression). Neither holds anything but figures, ids, codes and labels: the report never read a
name, NIK or phone number in the first place.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bahagia.calendar import long_date, short_date
from reports import svg
from reports.model import Report
from reports.suppression import WITHHELD, protect, shown, shown_change, shown_share, shown_value

FIGURE_LABELS = {
    "submissions": "Pengajuan baru (total)",
    "applications": "Permohonan program",
    "complaints": "Pengaduan dan aspirasi",
    "transitions": "Perubahan status",
    "sms_sent": "SMS terkirim",
}


# --- CSV -----------------------------------------------------------------------------------------------------------

CSV_HEADER = ("bagian", "kelompok", "kode", "label", "nilai")


def _csv_rows(report: Report) -> Iterator[tuple[str, str, str, str, str]]:
    new, sla = report.new_submissions, report.sla
    yield ("laporan", "tanggal", report.date, "Tanggal laporan (WIB)", report.date)
    yield ("laporan", "penyamaran", "<5", "Angka di bawah 5 ditampilkan sebagai <5", "")
    yield (
        "laporan",
        "penyamaran",
        WITHHELD,
        "Angka yang disamarkan agar angka <5 lain tidak dapat dihitung dari total (selalu 5 atau lebih)",
        "",
    )
    for key, text in report.sources.items():
        yield ("laporan", "sumber", key, text, "")
    yield ("pengajuan_baru", "total", "", "Semua pengajuan baru", shown(new.total))
    yield ("pengajuan_baru", "jenis", "application", "Permohonan program", shown(new.applications))
    yield ("pengajuan_baru", "jenis", "complaint", "Pengaduan dan aspirasi", shown(new.complaints))
    for ch in new.by_channel:
        yield ("pengajuan_baru", "saluran", ch.channel, ch.label, shown(ch.count))
    for p in new.by_program:
        code = f"{p.program}/{p.benefit}" if p.benefit else p.program
        yield ("pengajuan_baru", "program", code, p.label, shown(p.count))
    for c in new.by_category:
        yield ("pengajuan_baru", "kategori", c.category, c.label, shown(c.count))
    for k in new.by_kecamatan:
        yield ("pengajuan_baru", "kecamatan", k.kecamatan, k.label, shown(k.count))
    for kel in new.by_kelurahan:
        yield ("pengajuan_baru", "kelurahan", kel.kelurahan, kel.label, shown(kel.count))
    yield ("pengajuan_baru", "kelurahan", "", "Tanpa kelurahan", shown(new.without_kelurahan))
    for s in new.by_status:
        yield ("pengajuan_baru", "status_saat_ini", s.status, s.label, shown(s.count))
    yield ("perubahan_status", "total", "", "Semua perubahan status", shown(report.transitions.total))
    for s in report.transitions.by_status:
        yield ("perubahan_status", "menjadi", s.status, s.label, shown(s.count))
    yield ("sla", "jatuh_tempo", "", "Tahapan yang jatuh tempo hari ini", shown(sla.due))
    yield ("sla", "tepat_waktu", "", "Tahapan selesai tepat waktu", shown(sla.met))
    yield ("sla", "terlambat", "", "Tahapan selesai terlambat", shown(sla.late))
    yield ("sla", "lewat_tenggat", "", "Kasus terbuka yang lewat tenggat", shown(sla.overdue))
    yield ("sla", "kepatuhan", "", "Persentase tepat waktu", shown_share(sla.met, sla.late))
    for key, label, d in (
        ("verifikasi", "sampai diverifikasi", sla.to_verification),
        ("penyelesaian", "sampai selesai", sla.to_completion),
    ):
        yield ("sla", f"hari_kerja_{key}", "kasus", f"Kasus {label}", shown(d.cases))
        yield (
            "sla",
            f"hari_kerja_{key}",
            "median",
            f"Median hari kerja {label}",
            shown_value(d.median_working_days, d.cases),
        )
        yield (
            "sla",
            f"hari_kerja_{key}",
            "p90",
            f"Persentil ke-90 hari kerja {label}",
            shown_value(d.p90_working_days, d.cases),
        )
    for point in sla.last_30_days:
        yield ("sla_30_hari", "tepat_waktu", point.date, "Tahapan tepat waktu", shown(point.met))
        yield ("sla_30_hari", "terlambat", point.date, "Tahapan terlambat", shown(point.late))
        yield (
            "sla_30_hari",
            "kepatuhan",
            point.date,
            "Persentase tepat waktu",
            shown_share(point.met, point.late),
        )
    sms = report.sms
    yield ("sms", "terkirim", "", "SMS terkirim", shown(sms.sent))
    yield ("sms", "diterima_ponsel", "", "SMS sampai di ponsel (laporan operator)", shown(sms.delivered))
    yield ("sms", "gagal", "", "SMS gagal", shown(sms.failed))
    yield ("sms", "segmen", "", "Segmen SMS terkirim", shown(sms.segments))
    yield (
        "sms",
        "ditolak_batas_alamat",
        "",
        "Tanda terima ditolak: batas harian per alamat",
        shown(sms.refused_client_budget),
    )
    yield ("sms", "ditolak_batas_kota", "", "Tanda terima ditolak: batas harian kota", shown(sms.refused_daily_budget))
    mtd = report.month_to_date
    for key, label, value in (
        ("pengajuan", "Pengajuan baru", mtd.submissions),
        ("permohonan", "Permohonan program", mtd.applications),
        ("pengaduan", "Pengaduan dan aspirasi", mtd.complaints),
        ("perubahan_status", "Perubahan status", mtd.transitions),
        ("sla_tepat_waktu", "Tahapan tepat waktu", mtd.sla_met),
        ("sla_terlambat", "Tahapan terlambat", mtd.sla_late),
        ("sms_terkirim", "SMS terkirim", mtd.sms_sent),
        ("sms_segmen", "Segmen SMS", mtd.sms_segments),
    ):
        yield ("bulan_berjalan", key, mtd.since, label, shown(value))
    week = report.previous_week
    for compared in week.figures:
        name = FIGURE_LABELS.get(compared.figure, compared.figure)
        yield (
            "minggu_lalu",
            compared.figure,
            week.date,
            f"{name}: tanggal yang sama minggu lalu",
            shown(compared.week_ago),
        )
        yield (
            "minggu_lalu",
            compared.figure,
            "perubahan",
            f"{name}: perubahan",
            shown_change(compared.today, compared.week_ago),
        )
    for daily in report.submissions_last_30_days:
        yield ("harian", "pengajuan_baru", daily.date, "Pengajuan baru", shown(daily.count))
    for kel in report.submissions_last_30_days_by_kelurahan:
        yield ("30_hari", "kelurahan", kel.kelurahan, kel.label, shown(kel.count))


def render_csv(report: Report) -> bytes:
    report = protect(report)  # complementary suppression: nothing hidden can be worked out from what is shown
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_csv_rows(report))
    # UTF-8 with BOM: spreadsheet software in Indonesian offices opens it with the right encoding by double-click.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- HTML ----------------------------------------------------------------------------------------------------------


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["n"] = shown
    env.filters["long_date"] = long_date
    return env


def render_html(report: Report) -> bytes:
    report = protect(report)  # the same figures as the CSV, the same withheld ones
    new, sla = report.new_submissions, report.sla
    charts = {
        "programs": svg.bar_chart(
            "grafik-program",
            "Permohonan baru per program",
            [svg.Bar(f"↳ {p.label.split(': ', 1)[1]}" if p.benefit else p.label, p.count) for p in new.by_program],
        ),
        "categories": svg.bar_chart(
            "grafik-kategori",
            "Pengaduan baru per kategori",
            [svg.Bar(c.label, c.count) for c in new.by_category],
        ),
        "kecamatan": svg.bar_chart(
            "grafik-kecamatan",
            "Pengajuan baru per kecamatan",
            [svg.Bar(k.label, k.count) for k in new.by_kecamatan],
        ),
        "sla": svg.compliance_chart(
            "grafik-sla",
            "Persentase tahapan selesai tepat waktu, 30 hari terakhir",
            [
                svg.ShareDay(svg_label, d.met, d.late)
                for d, svg_label in ((d, short_date(d.date)) for d in sla.last_30_days)
            ],
        ),
        "map": svg.kelurahan_map(
            "peta-kelurahan",
            "Peta pengajuan baru per kelurahan, 30 hari terakhir",
            {k.kelurahan: k.count for k in report.submissions_last_30_days_by_kelurahan},
        ),
    }
    template = _environment().get_template("report.html.j2")
    page = template.render(
        report=report,
        charts={name: Markup(markup) for name, markup in charts.items()},  # noqa: S704 - built by svg.py, which escapes
        share=shown_share,
        value=shown_value,
        change=shown_change,
        figure_labels=FIGURE_LABELS,
        bins=svg.BINS,
        short_date=short_date,
    )
    return page.encode("utf-8")
