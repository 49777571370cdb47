"""No suppressed figure of the published report can be worked out from the figures beside it.

The test plays the reader who wants a hidden count: from the published CSV alone it knows which rows add up to which
(a total and its parts, a month and its days, a kelurahan and its kecamatan), that "<5" is 0-4 and that "x" (withheld
so that another figure stays hidden) is 5 or more, and it subtracts, over and over, until nothing changes. Every
hidden figure must still have at least two possible values. The relations here are written from the CSV's meaning,
independently of the code that protects the report (reports.suppression).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from html.parser import HTMLParser

import pytest

from bahagia import lifecycle
from devstack import reports_seed as seed
from reports import render, service
from reports.figures import CountersInMemory, DocumentFigures
from reports.model import Report
from reports.suppression import SUPPRESSED, WITHHELD
from tests.unit.test_reports import NOW, _counters, _documents

Key = tuple[str, str, str]
INF = math.inf


def _published(report: Report) -> dict[Key, str]:
    rows = csv.DictReader(io.StringIO(render.render_csv(report).decode("utf-8-sig")))
    return {(r["bagian"], r["kelompok"], r["kode"]): r["nilai"] for r in rows}


def _relations(cells: dict[Key, str], date: str) -> list[tuple[Key, list[Key], bool]]:
    """(total, parts, exact): total == sum(parts), or total >= sum(parts) when something unpublished is in it too."""
    by = defaultdict(list)
    for key in cells:
        by[key[:2]].append(key)
    new = ("pengajuan_baru",)
    total: Key = ("pengajuan_baru", "total", "")
    relations = [
        (total, by[(*new, "jenis")], True),
        (("pengajuan_baru", "jenis", "application"), [k for k in by[(*new, "program")] if "/" not in k[2]], True),
        (("pengajuan_baru", "jenis", "complaint"), by[(*new, "kategori")], True),
        (total, by[(*new, "kelurahan")], True),  # the row with an empty code is "Tanpa kelurahan"
        (total, by[(*new, "status_saat_ini")], True),
        (total, by[(*new, "kecamatan")], False),  # aspirasi may have no place at all
        (("perubahan_status", "total", ""), by[("perubahan_status", "menjadi")], True),
        (("harian", "pengajuan_baru", date), [total], True),
        (("sla_30_hari", "tepat_waktu", date), [("sla", "tepat_waktu", "")], True),
        (("sla_30_hari", "terlambat", date), [("sla", "terlambat", "")], True),
        (("sms", "terkirim", ""), [("sms", "diterima_ponsel", "")], False),
        (("sms", "gagal", ""), [("sms", "ditolak_batas_alamat", ""), ("sms", "ditolak_batas_kota", "")], False),
        (("sms", "segmen", ""), [("sms", "terkirim", "")], False),
    ]
    programs = [k for k in by[(*new, "program")] if "/" not in k[2]]
    for program in programs:
        benefits = [k for k in by[(*new, "program")] if k[2].startswith(program[2] + "/")]
        if benefits:
            relations.append((program, benefits, True))
    for kecamatan in by[(*new, "kecamatan")]:
        inside = [k for k in by[(*new, "kelurahan")] if k[2].startswith(kecamatan[2] + ".")]
        relations.append((kecamatan, inside, False))
    # Verification and completion count transitions of the day to those statuses.
    moved = {k[2]: k for k in by[("perubahan_status", "menjadi")]}
    steps = (("verifikasi", lifecycle.first_step_statuses()), ("penyelesaian", lifecycle.closed_statuses()))
    for name, statuses in steps:
        relations.append((("_sum", name, ""), [moved[s] for s in statuses if s in moved], True))
        relations.append((("_sum", name, ""), [("sla", f"hari_kerja_{name}", "kasus")], False))
    # The month so far and its days; a week ago and its day; 30 days and their kelurahan.
    month = {k[1]: k for k in cells if k[0] == "bulan_berjalan"}
    since = next(iter(month.values()))[2]
    days = [k for k in cells if k[:2] == ("harian", "pengajuan_baru")]
    in_month = [k for k in days if k[2] >= since]
    whole_month = len(in_month) == (dt.date.fromisoformat(date) - dt.date.fromisoformat(since)).days + 1
    relations += [
        (month["pengajuan"], [month["permohonan"], month["pengaduan"]], True),
        (month["pengajuan"], in_month, whole_month),
        (month["permohonan"], [("pengajuan_baru", "jenis", "application")], False),
        (month["pengaduan"], [("pengajuan_baru", "jenis", "complaint")], False),
        (month["perubahan_status"], [("perubahan_status", "total", "")], False),
        (month["sla_tepat_waktu"], [k for k in cells if k[:2] == ("sla_30_hari", "tepat_waktu") and k[2] >= since],
         whole_month),
        (month["sla_terlambat"], [k for k in cells if k[:2] == ("sla_30_hari", "terlambat") and k[2] >= since],
         whole_month),
        (month["sms_terkirim"], [("sms", "terkirim", "")], False),
        (month["sms_segmen"], [("sms", "segmen", "")], False),
        (month["sms_segmen"], [month["sms_terkirim"]], False),
    ]  # fmt: skip
    week = {k[1]: k for k in cells if k[0] == "minggu_lalu" and k[2] != "perubahan"}
    relations += [
        (week["submissions"], [week["applications"], week["complaints"]], True),
        (week["submissions"], [("harian", "pengajuan_baru", week["submissions"][2])], True),
        (sum_key := ("_sum", "30_hari", ""), days, True),
        (sum_key, [k for k in cells if k[:2] == ("30_hari", "kelurahan")], False),
    ]
    for kelurahan in by[(*new, "kelurahan")]:
        window = ("30_hari", "kelurahan", kelurahan[2])
        if kelurahan[2] and window in cells:
            relations.append((window, [kelurahan], False))
    return [(t, parts, exact) for t, parts, exact in relations if parts or not exact]


def _bounds(value: str) -> tuple[float, float] | None:
    if value == SUPPRESSED:
        return (0, 4)
    if value == WITHHELD:
        return (5, INF)
    if re.fullmatch(r"\d+", value):
        return (int(value), int(value))
    return None  # not a count


def derivable(cells: dict[Key, str], date: str) -> dict[Key, tuple[float, float]]:
    """The hidden figures a reader can pin to one value by repeated subtraction (interval propagation)."""
    relations = _relations(cells, date)
    interval: dict[Key, list[float]] = {}
    for key, value in cells.items():
        found = _bounds(value)
        if found is not None:
            interval[key] = list(found)
    for index, (total, _parts, exact) in enumerate(relations):
        interval.setdefault(total, [0, INF])
        if not exact:
            interval[("_rest", str(index), "")] = [0, INF]
    for _ in range(200):
        changed = False
        for index, (total, parts, exact) in enumerate(relations):
            terms = [*parts, *([] if exact else [("_rest", str(index), "")])]
            for term in terms:
                interval.setdefault(term, [0, INF])
            low = sum(interval[t][0] for t in terms)
            high = sum(interval[t][1] for t in terms)
            t_low, t_high = interval[total]
            if low > t_low or high < t_high:
                interval[total] = [max(t_low, low), min(t_high, high)]
                changed = True
            for term in terms:
                others_low = low - interval[term][0]
                others_high = high - interval[term][1]
                new_low = max(interval[term][0], interval[total][0] - others_high)
                new_high = min(interval[term][1], interval[total][1] - others_low)
                if (new_low, new_high) != tuple(interval[term]):
                    low += new_low - interval[term][0]
                    high += new_high - interval[term][1]
                    interval[term] = [new_low, new_high]
                    changed = True
        if not changed:
            break
    hidden = [k for k, v in cells.items() if v in (SUPPRESSED, WITHHELD)]
    return {k: (interval[k][0], interval[k][1]) for k in hidden if interval[k][0] == interval[k][1]}


def _report(seed_value: int, day: dt.date, submissions: int) -> Report:
    history = list(seed.demo_data(random.Random(seed_value), day - dt.timedelta(days=45), day, submissions, NOW))
    return service.compute_report(
        day, CountersInMemory(_counters(history)), DocumentFigures(_documents(history)), service.names(),
        service.sources(),
    )  # fmt: skip


def test_the_reader_can_recover_a_hidden_count_from_an_unprotected_report() -> None:
    """The reader's method works: on figures published without complementary suppression it finds counts."""
    cells = {
        ("pengajuan_baru", "total", ""): "12",
        ("pengajuan_baru", "jenis", "application"): "9",
        ("pengajuan_baru", "jenis", "complaint"): SUPPRESSED,
    }
    assert derivable(cells | _filler(), "2025-11-17") == {("pengajuan_baru", "jenis", "complaint"): (3, 3)}


def _filler() -> dict[Key, str]:
    """The rows every relation names, with nothing to learn from them (the synthetic case above needs them)."""
    cells: dict[Key, str] = {("bulan_berjalan", name, "2025-11-01"): "" for name in (
        "pengajuan", "permohonan", "pengaduan", "perubahan_status", "sla_tepat_waktu", "sla_terlambat",
        "sms_terkirim", "sms_segmen")}  # fmt: skip
    for figure in ("submissions", "applications", "complaints"):
        cells[("minggu_lalu", figure, "2025-11-10")] = ""
    return cells


@pytest.mark.parametrize(
    ("seed_value", "day", "submissions"),
    [(5, dt.date(2025, 11, 17), 500), (7, dt.date(2025, 12, 1), 300), (11, dt.date(2025, 11, 30), 900),
     (13, dt.date(2026, 1, 31), 150), (17, dt.date(2025, 11, 17), 2000)],
)  # fmt: skip
def test_no_hidden_count_can_be_worked_out_from_the_csv(seed_value: int, day: dt.date, submissions: int) -> None:
    report = _report(seed_value, day, submissions)
    cells = _published(report)
    assert any(value == SUPPRESSED for value in cells.values())
    assert derivable(cells, day.isoformat()) == {}
    # A share is shown only when both of its counts are: a percentage beside one hidden count would give it away.
    for key, value in cells.items():
        if key[1] == "kepatuhan" and value.endswith("%"):
            met = ("sla", "tepat_waktu", "") if key[0] == "sla" else ("sla_30_hari", "tepat_waktu", key[2])
            late = ("sla", "terlambat", "") if key[0] == "sla" else ("sla_30_hari", "terlambat", key[2])
            assert cells[met].isdigit(), key
            assert cells[late].isdigit(), key
        if key[0] == "minggu_lalu" and key[2] == "perubahan" and value not in ("–", ""):
            week = [k for k in cells if k[0] == "minggu_lalu" and k[1] == key[1] and k[2] != "perubahan"]
            assert all(cells[k].isdigit() for k in week), key


class _Numbers(HTMLParser):
    """Every figure the HTML page shows: table cells, card figures, bar and map labels."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []
        self._capture = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self._capture = (
            (tag == "td" and values.get("class") == "num")
            or tag in ("b", "title")
            or (tag == "text" and values.get("class") == "value")
        )

    def handle_data(self, data: str) -> None:
        if self._capture:
            self.shown.append(data.strip())
            self._capture = False


def _numbers(texts: Iterable[str]) -> set[int]:
    return {int(n) for text in texts for n in re.findall(r"(?<![\d,.:%-])\d+(?![\d,%.])", text)}


def test_the_html_page_shows_no_figure_the_csv_hides() -> None:
    report = _report(5, dt.date(2025, 11, 17), 500)
    cells = _published(report)
    page = _Numbers()
    page.feed(render.render_html(report).decode())
    shown_in_html = _numbers(page.shown)
    shown_in_csv = {int(v) for v in cells.values() if v.isdigit()}
    # Working days (medians) and the years of dates are numbers too; every other number is a published count.
    extra = {n for n in shown_in_html - shown_in_csv if n > 31 and not 2000 <= n <= 2100}
    assert extra == set(), extra
    withheld = sum(1 for v in cells.values() if v == WITHHELD)
    assert withheld > 0  # this report needed complementary suppression...
    assert WITHHELD in " ".join(page.shown)  # ...and the page marks it as the CSV does
