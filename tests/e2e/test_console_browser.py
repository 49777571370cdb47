"""The staff console in a real browser: Debian's Chromium driven by Playwright, through the whole local stack.

One walk, every role, on the same stack and browser as the citizen forms' test (tests/e2e/conftest.py):
a citizen's complaint is verified and disposed by a verifikator, followed up and closed by its OPD, while the status
page and the SMS show each step and a second verifikator tab loses a race with a clear 409 message; integritas handles
a pungli report the verifikator cannot open; a Call Center operator files a phone complaint and the caller's receipt
SMS arrives; pimpinan opens today's figures and the nightly report; admin adds and deactivates a staff member.
Every console page is scanned by axe-core at 360 px and at 1280 px (no serious or critical violation), the pages'
Content-Security-Policy must never be violated, and the screenshots the README shows are saved in
test-artifacts/console/ (copies under docs/console/).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests import samples

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
WIB = dt.timezone(dt.timedelta(hours=7))
CITIZEN_PHONE = "+6281377771111"
PUNGLI_PHONE = "+6281377772222"
CALLER_PHONE = "+6281377773333"
WIDTHS = (360, 1280)
CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}$")

pytestmark = pytest.mark.timeout(420)
expect.set_options(timeout=20_000)


def _wait_for(what: str, check: Callable[[], Any], timeout: float = 45.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


class Console:
    """One browser tab of the console: sign in and out through the pages, scan and photograph what it shows."""

    def __init__(self, page: Page, axe_source: str) -> None:
        self.page = page
        self.axe_source = axe_source
        self.csp_violations: list[str] = []
        self.scanned: list[str] = []
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)

    def sign_in(self, role_label: str, opd: str | None = None, email: str | None = None) -> None:
        page = self.page
        page.goto("/petugas/masuk-lokal.html")
        expect(page.get_by_test_id("local-only")).to_contain_text("HANYA LOKAL")
        page.get_by_label(role_label, exact=True).check()
        if opd:
            page.get_by_label(re.compile(r"^OPD")).select_option(label=opd)
        if email:
            page.get_by_label(re.compile(r"^E-mail")).fill(email)
        page.get_by_role("button", name="Masuk lokal").click()
        expect(page.get_by_test_id("who")).to_contain_text(role_label)

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Keluar").click()
        expect(self.page).to_have_url(re.compile(r"/petugas/masuk\.html\?alasan=keluar$"))
        expect(self.page.get_by_role("status")).to_have_text("Anda sudah keluar dari konsol.")

    def scan(self, label: str) -> None:
        """axe-core over the page as it is now, at both widths; no serious or critical violation."""
        page = self.page
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            # As an expression, not a function: DevTools evaluation is not subject to the page's CSP (no eval).
            # axe-core is loaded once per page; the second width reuses it.
            violations = page.evaluate(
                "if (typeof window.axe === 'undefined') {\n"
                + self.axe_source
                + "\n}\nwindow.axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
                "v => ({id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(' '))})))"
            )
            bad = [v for v in violations if v["impact"] in ("serious", "critical")]
            assert bad == [], f"{label} at {width} px: {bad}"
        page.set_viewport_size({"width": WIDTHS[0], "height": 800})
        self.scanned.append(label)

    def shot(self, name: str, width: int = 1280) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.set_viewport_size({"width": width, "height": 900})
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=width != 1280)
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 800})

    def open_case(self, code: str) -> None:
        self.page.goto(f"/petugas/kasus.html?kode={code}")
        expect(self.page.get_by_role("heading", level=1)).to_have_text(f"Kasus {code[:4]}-{code[4:]}")
        expect(self.page.get_by_test_id("case-status")).to_be_visible()

    def move(self, to: str, note: str, opd: str | None = None) -> None:
        page = self.page
        page.get_by_label(to, exact=True).check()
        if opd:
            page.get_by_label(re.compile(r"^OPD tujuan")).select_option(label=opd)
        page.get_by_label(re.compile(r"^Catatan")).fill(note)
        page.get_by_role("button", name="Simpan perubahan status").click()
        expect(page.get_by_role("status")).to_have_text(f"Status kasus diubah menjadi {to}.")
        expect(page.get_by_test_id("case-status")).to_have_text(to)


@pytest.fixture
def context(browser: Browser, stack: Any, clean_emulators: Any) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=stack.base_url, viewport={"width": WIDTHS[0], "height": 800}, locale="id-ID", accept_downloads=True
    )
    context.set_default_timeout(20_000)
    yield context
    context.close()


def _citizen_complaint(stack: Any, **changes: Any) -> tuple[str, str]:
    response = httpx.post(f"{stack.base_url}/v1/complaints", json=samples.complaint(**changes), timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["tracking_code"], response.json()["pin"]


def _sms_to(stack: Any, phone: str) -> list[str]:
    return [m["message"] for m in stack.sms_messages() if m["phone_number"] == phone]


def _citizen_sees(page: Page, code: str, pin: str, labels: list[str]) -> None:
    page.goto("/status.html")
    page.get_by_label("Kode pelacakan").fill(code)
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Lihat status").click()
    timeline = page.locator(".timeline")
    for label in labels:
        expect(timeline).to_contain_text(label)


def _build_report(stack: Any, date: str) -> None:
    push = {
        "message": {
            "data": base64.b64encode(json.dumps({"date": date}).encode()).decode(),
            "attributes": {},
            "messageId": "console-e2e-1",
            "publishTime": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        },
        "subscription": "projects/demo-bahagia-test/subscriptions/build-nightly-report",
    }
    url = f"{stack.target_url('build_nightly_report')}/projects/demo-bahagia-test/topics/report-requests"
    assert httpx.post(url, json=push, timeout=120).status_code == 200


def test_the_back_office_walk(context: BrowserContext, stack: Any, axe_source: str, personal_data: Any) -> None:
    personal_data.register(phone=CITIZEN_PHONE, name="Rina Warga")
    personal_data.register(phone=PUNGLI_PHONE, name="Dodi Pelapor")
    personal_data.register(phone=CALLER_PHONE, name="Wati Penelepon")
    code, pin = _citizen_complaint(stack, reporter={"name": "Rina Warga", "phone": CITIZEN_PHONE})
    pungli_code, _ = _citizen_complaint(
        stack,
        category="pungli",
        description="Petugas loket meminta uang tambahan Rp50.000 untuk mempercepat surat.",
        reporter={"name": "Dodi Pelapor", "phone": PUNGLI_PHONE},
    )
    console = Console(context.new_page(), axe_source)
    page = console.page

    # --- sign in: the console sends a stranger to the sign-in page, which offers the local sign-in under make run ---
    page.goto("/petugas/")
    expect(page).to_have_url(re.compile(r"/petugas/masuk\.html$"))
    local = page.get_by_role("link", name="Masuk lokal (khusus pengembangan)")
    expect(local).to_be_visible()
    console.scan("masuk")
    console.shot("01-masuk")
    local.click()
    expect(page).to_have_url(re.compile(r"/petugas/masuk-lokal\.html"))
    console.scan("masuk-lokal")
    console.shot("02-masuk-lokal")
    console.sign_in("Verifikator")
    expect(page).to_have_url(re.compile(r"/petugas/$"))

    # --- the queue: the new complaint, found with the filters; the overdue/due-today marks in words ---------------
    card = page.locator(f'[data-code="{code}"]')
    expect(card).to_contain_text("Diterima")
    expect(page.locator(f'[data-code="{pungli_code}"]')).to_contain_text("Rahasia")
    expect(page.get_by_role("status")).to_contain_text("2 kasus")
    page.get_by_text("Saring dan urutkan").click()  # folded on a phone until a filter is set
    page.get_by_label("Status", exact=True).select_option(label="Diterima")
    page.get_by_label("Kategori pengaduan").select_option(label="Infrastruktur (Kota Tangguh)")
    page.get_by_label("Kecamatan", exact=True).select_option(label="Pasar Jambi")
    page.get_by_role("button", name="Terapkan").click()
    expect(page).to_have_url(re.compile(r"status=diterima&category=infrastruktur&kecamatan=15\.71\.04"))
    expect(page.get_by_role("status")).to_contain_text("1 kasus")
    expect(page.locator(".case-card")).to_have_count(1)
    console.scan("antrean")
    console.shot("03-antrean")

    # --- verify, then two people on the same case: the one who acts second gets a clear 409 -------------------------
    card.get_by_role("link").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Diterima")
    expect(page.locator("#content")).to_contain_text("Jalan berlubang besar")  # an ordinary case: full view
    console.scan("kasus")
    console.move("Diverifikasi", "Lokasi dan foto sudah dicek.")
    colleague = context.browser.new_context(base_url=stack.base_url, viewport={"width": 1280, "height": 800})  # type: ignore[union-attr]
    other = Console(colleague.new_page(), axe_source)
    other.sign_in("Verifikator", email="rina.verifikator@jambikota.go.id")
    other.open_case(code)
    other.move("Diteruskan ke perangkat daerah", "Ke PUPR.", opd="Dinas Pekerjaan Umum dan Penataan Ruang")
    page.get_by_label("Ditolak", exact=True).check()
    page.get_by_label(re.compile(r"^Catatan")).fill("Bukan kewenangan kota.")
    page.get_by_role("button", name="Simpan perubahan status").click()
    expect(page.get_by_role("alert")).to_contain_text("Kasus ini sudah berubah sejak Anda membukanya")
    expect(page.get_by_test_id("case-status")).to_have_text("Diteruskan ke perangkat daerah")
    console.scan("kasus-409")
    console.shot("04-kasus-409")
    colleague.close()

    # --- a pungli report: the verifikator sees it redacted, with nothing to do ---------------------------------------
    console.open_case(pungli_code)
    expect(page.locator("#redacted-note")).to_be_visible()
    expect(page.locator("#content-section")).to_be_hidden()
    expect(page.locator("#action-section")).to_be_hidden()
    expect(page.locator("main")).not_to_contain_text("uang tambahan")
    console.scan("kasus-rahasia")
    console.sign_out()

    # --- the OPD follows up and closes -------------------------------------------------------------------------------
    console.sign_in("Petugas OPD", opd="Dinas Pekerjaan Umum dan Penataan Ruang")
    expect(page.locator(".case-card")).to_have_count(1)  # its own cases only
    page.locator(f'[data-code="{code}"]').get_by_role("link").click()
    console.move("Sedang ditindaklanjuti", "Tim lapangan dijadwalkan besok.")
    console.move("Selesai", "Lubang sudah ditambal.")
    console.shot("05-kasus-selesai")
    console.sign_out()

    # --- the citizen's status page and SMS show every step --------------------------------------------------------
    citizen = context.new_page()
    _citizen_sees(citizen, code, pin, ["Diterima", "Diverifikasi", "Diteruskan ke perangkat daerah", "Selesai"])
    citizen.close()
    steps = ["diterima. Kode", "sudah diverifikasi", "diteruskan ke", "sedang ditindaklanjuti", "telah selesai"]
    texts = _wait_for("the citizen's five SMS", lambda: (t := _sms_to(stack, CITIZEN_PHONE)) and len(t) >= 5 and t)
    for step in steps:
        assert sum(step in text for text in texts) == 1, (step, texts)

    # --- integritas reads and handles the pungli report -------------------------------------------------------------
    console.sign_in("Tim integritas")
    console.open_case(pungli_code)
    expect(page.locator("#content")).to_contain_text("uang tambahan")
    console.scan("kasus-integritas")
    console.move("Diverifikasi", "Bukti kuitansi diminta dari pelapor.")
    console.move("Diteruskan ke perangkat daerah", "Ke Inspektorat.", opd="Inspektorat Kota Jambi")
    console.sign_out()

    # --- the Call Center desk: a phone complaint, read back, and the caller's receipt SMS ----------------------------
    console.sign_in("Operator Call Center")
    expect(page).to_have_url(re.compile(r"/petugas/call-center\.html$"))
    console.scan("call-center")
    page.get_by_label("Telepon", exact=True).check()
    page.get_by_label("Lingkungan", exact=True).check()
    page.get_by_label("Uraian laporan").fill("Sampah menumpuk di pinggir jalan sejak seminggu, belum diangkut.")
    page.get_by_label(re.compile(r"^Kecamatan\b")).select_option(label="Telanaipura")
    page.get_by_label(re.compile(r"^Nama pelapor")).fill("Wati Penelepon")
    page.get_by_label(re.compile(r"^Nomor HP pelapor")).fill("0813-7777-3333")
    page.get_by_role("button", name="Catat laporan").click()
    expect(page.get_by_test_id("pin")).to_have_text(re.compile(r"^\d{6}$"))
    expect(page.get_by_test_id("tracking-code")).to_have_text(CODE)
    phone_code = page.get_by_test_id("tracking-code").inner_text().replace("-", "")
    console.scan("call-center-tanda-terima")
    console.shot("06-call-center", width=360)
    receipt = _wait_for("the caller's receipt SMS", lambda: _sms_to(stack, CALLER_PHONE))
    assert len(receipt) == 1
    assert f"{phone_code[:4]}-{phone_code[4:]}" in receipt[0]
    page.get_by_role("button", name="Catat laporan berikutnya").click()
    expect(page.get_by_label("Uraian laporan")).to_have_value("")
    console.sign_out()

    # --- pimpinan: the queue (read-only, the channel shown), today's figures and the report --------------------------
    today = dt.datetime.now(WIB).date().isoformat()
    _build_report(stack, today)
    console.sign_in("Pimpinan")
    phone_card = page.locator(f'[data-code="{phone_code}"]')
    expect(phone_card).to_contain_text("Saluran: Telepon")
    phone_card.get_by_role("link").click()
    expect(page.locator("#action-section")).to_be_hidden()
    page.get_by_role("link", name="Laporan").click()
    dashboard = page.locator("#dashboard")
    expect(dashboard.locator(".figure").first).to_contain_text("3")  # three new submissions today
    expect(dashboard.get_by_role("row", name=re.compile(r"^Telepon\b"))).to_contain_text("1")
    page.get_by_label("Tanggal").fill(today)
    page.get_by_role("button", name="Tampilkan laporan").click()
    report = page.locator("#report-figures")
    expect(report.get_by_role("row", name=re.compile(r"^Telepon\b"))).to_contain_text("1")
    with page.expect_download() as download:
        page.get_by_role("button", name="Unduh CSV").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "telepon" in csv_text
    personal_data.scan(csv_text, "the report CSV downloaded by pimpinan")
    console.scan("laporan")
    console.shot("07-laporan")
    console.sign_out()

    # --- admin: the staff directory, with the audit of each change -------------------------------------------------
    console.sign_in("Admin")
    expect(page).to_have_url(re.compile(r"/petugas/staf\.html$"))
    page.get_by_label(re.compile(r"^Alamat e-mail")).fill("rudi.pupr@jambikota.go.id")
    page.get_by_label(re.compile(r"^Peran")).select_option(label="Petugas OPD")
    page.get_by_label(re.compile(r"^OPD")).select_option(label="Dinas Pekerjaan Umum dan Penataan Ruang")
    page.get_by_role("button", name="Simpan petugas").click()
    member = page.locator("#users li", has_text="rudi.pupr@jambikota.go.id")
    expect(member).to_contain_text("Aktif")
    member.get_by_role("button", name="Nonaktifkan rudi.pupr@jambikota.go.id").click()
    expect(member).to_contain_text("Nonaktif")
    expect(page.locator("#changes li")).to_have_count(2)
    expect(page.locator("#changes li").first).to_contain_text("nonaktif")
    console.scan("staf")
    console.shot("08-staf")

    assert console.csp_violations == []
    assert set(console.scanned) >= {"masuk", "masuk-lokal", "antrean", "kasus", "call-center", "laporan", "staf"}
