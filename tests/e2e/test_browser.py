"""The citizen forms in a real browser: headless Chromium (Debian's package) driven by Playwright, at 360 px, with and
without JavaScript, through the whole stack. Every page on the way is scanned with axe-core (npm, pinned in
package.json); a serious or critical violation fails the test. Screenshots land in test-artifacts/browser/.
The browser and axe-core fixtures are in tests/e2e/conftest.py (shared with the staff console's test)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import samples

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}$")

# Generous for a shared 2-core machine; on a quiet one the six tests take about 30 s together.
pytestmark = pytest.mark.timeout(180)
# The first request to each freshly started function imports its code: allow it more than the default 5 s.
expect.set_options(timeout=20_000)


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def page(request: pytest.FixtureRequest, browser: Browser, stack, clean_emulators) -> Iterator[Page]:
    context = browser.new_context(
        base_url=stack.base_url,
        viewport={"width": 360, "height": 780},
        java_script_enabled=request.param,
        locale="id-ID",
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.js = request.param  # type: ignore[attr-defined]
    # The static pages come with a Content-Security-Policy (infra/topology.json); anything it blocks, an inline
    # script or a style attribute, would break the page for citizens too.
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield page
    context.close()
    assert blocked == [], f"blocked by the Content-Security-Policy: {blocked}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}-{'js' if page.js else 'nojs'}.png", full_page=True)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def scanner(browser: Browser, stack) -> Iterator[Page]:
    """A page with JavaScript for axe-core: a page seen without JavaScript is scanned here, as its HTML."""
    context = browser.new_context(base_url=stack.base_url, viewport={"width": 360, "height": 780})
    yield context.new_page()
    context.close()


_SCANNED: set[tuple[object, ...]] = set()


@pytest.fixture
def assert_accessible(axe_source: str, scanner: Page) -> Callable[[Page], None]:
    return lambda page: _assert_accessible(page, axe_source, scanner)


def _assert_accessible(page: Page, axe_source: str, scanner: Page) -> None:
    """axe-core over the page as it is now; no serious or critical violation.

    axe needs JavaScript. A page of a context without it is copied, scripts removed (they never ran), into the
    scanner page at an address of the same origin, so its stylesheet loads as it did for the person.
    Each state of a page (address without the tracking code, heading, errors shown or not) is scanned once a session.
    """
    state = (
        page.js,  # type: ignore[attr-defined]
        re.sub(r"/v1/(receipt|track)/\w+", r"/v1/\1/CODE", page.url.split("?")[0]),
        page.locator("h1").first.inner_text(),
        page.locator('[aria-invalid="true"], [role="alert"]:not(:empty)').count() > 0,
    )
    if state in _SCANNED:
        return
    target = page
    if not page.js:  # type: ignore[attr-defined]
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.DOTALL)
        scanner.route("**/__axe-scan", lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
        scanner.goto("/__axe-scan")
        scanner.unroute("**/__axe-scan")
        target = scanner
    if not target.evaluate("typeof window.axe !== 'undefined'"):
        # The pages' CSP allows scripts of their own origin only (no eval, no inline): axe arrives as one.
        target.route("**/__axe.min.js", lambda route: route.fulfill(body=axe_source, content_type="text/javascript"))
        target.add_script_tag(url="/__axe.min.js")
        target.unroute("**/__axe.min.js")
    violations = target.evaluate(
        """async () => {
            const result = await window.axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(
                v => ({id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(" "))}));
        }"""
    )
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{page.url}: {bad}"
    _SCANNED.add(state)


def read_receipt(page: Page) -> tuple[str, str]:
    expect(page.get_by_role("heading", level=1)).to_have_text("Terima kasih, kiriman Anda sudah kami terima")
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    pin = page.get_by_test_id("pin").inner_text().strip()
    assert CODE.match(code), code
    assert re.fullmatch(r"\d{6}", pin)
    assert pin not in page.url
    return code, pin


def check_status(page: Page, code: str, pin: str, assert_accessible: Callable[[Page], None]) -> None:
    page.goto("/status.html")
    assert_accessible(page)
    page.get_by_label("Kode pelacakan").fill(code.replace("-", "").lower())  # people type it any way
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Lihat status").click()
    expect(page.get_by_test_id("status")).to_have_text("Diterima")
    assert pin not in page.url
    shot(page, "status")
    assert_accessible(page)


def fill_kartu_bahagia(page: Page, nik: str = samples.NIK_WOMAN_1985) -> None:
    page.get_by_label("Bantuan biaya pendidikan").check()
    page.get_by_label("NIK (16 digit").fill(nik)
    page.get_by_label("Nomor Kartu Keluarga").fill(samples.KK)
    page.get_by_label("Nama lengkap").fill("Siti Contoh Aminah")
    page.get_by_label("Tanggal lahir").fill("1985-08-17")
    page.get_by_label("Perempuan").check()
    page.get_by_label("Nomor HP").fill("0812-3456-7890")
    page.get_by_label("Alamat (jalan").fill("Jl. Contoh No. 1")
    page.get_by_label(re.compile(r"^RT\b")).fill("3")
    page.get_by_label(re.compile(r"^RW\b")).fill("1")
    page.get_by_label(re.compile(r"^Kecamatan\b")).select_option(label="Telanaipura")
    page.get_by_label(re.compile(r"^Kelurahan\b")).select_option(label="Simpang IV Sipin")
    page.get_by_label("Pekerjaan kepala keluarga").fill("Buruh harian")
    page.get_by_label("Penghasilan keluarga per bulan").fill("1500000")
    page.get_by_label("Jumlah tanggungan").fill("3")
    page.get_by_label("Saya menyetujui").check()


def test_a_kartu_bahagia_application_from_form_to_status(page: Page, assert_accessible: Callable[[Page], None]):
    page.goto("/")
    assert_accessible(page)
    shot(page, "index")
    page.get_by_role("link", name="Kartu Bahagia").click()
    expect(page).to_have_url(re.compile(r"/program/kartu-bahagia\.html$"))
    assert_accessible(page)

    kelurahan = page.get_by_label(re.compile(r"^Kelurahan\b"))
    fill_kartu_bahagia(page)
    if page.js:  # type: ignore[attr-defined]
        # Filtered to the chosen kecamatan: Telanaipura has 7 kelurahan (+ the "Pilih" placeholder).
        assert kelurahan.locator("option").count() == 8
    else:
        assert kelurahan.locator("option").count() == 69
    shot(page, "kartu-bahagia-filled")

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    submit = page.get_by_role("button", name="Kirim pengajuan")
    if page.js:  # type: ignore[attr-defined]
        submit.dblclick()  # a double tap sends once
    else:
        submit.click()
    code, pin = read_receipt(page)
    assert [url.split("/", 3)[3] for url in posts] == ["v1/applications"]
    if page.js:  # type: ignore[attr-defined]
        expect(page).to_have_url(re.compile(r"/program/kartu-bahagia\.html$"))  # drawn from the 201 answer
    else:
        expect(page).to_have_url(re.compile(rf"/v1/receipt/{code.replace('-', '')}$"))  # plain post, 303
    shot(page, "kartu-bahagia-receipt")
    assert_accessible(page)
    if not page.js:  # type: ignore[attr-defined]
        page.reload()  # the receipt page shows the PIN once: not after a reload
        expect(page.get_by_test_id("tracking-code")).to_have_text(code)
        expect(page.get_by_test_id("pin")).to_have_count(0)

    check_status(page, code, pin, assert_accessible)


def test_an_anonymous_balap_report(page: Page, assert_accessible: Callable[[Page], None]):
    page.goto("/")
    page.get_by_role("link", name="Pungutan liar (BALAP)").click()
    assert_accessible(page)
    pungli = page.get_by_label("Pungutan liar (BALAP)")
    anonim = page.get_by_label(re.compile(r"^Anonim"))
    reporter_name = page.get_by_label("Nama pelapor")
    if page.js:  # type: ignore[attr-defined]
        expect(pungli).to_be_checked()  # from ?kategori=pungli
        expect(page.get_by_label(re.compile(r"^Rahasia"))).to_be_checked()  # BALAP is confidential by default
        expect(page.get_by_label(re.compile(r"^Kecamatan\b"))).to_have_attribute("required", "")
    else:
        pungli.check()
        expect(page.get_by_label(re.compile(r"^Rahasia"))).not_to_be_checked()  # left to the server's default
    anonim.check()
    if page.js:  # type: ignore[attr-defined]
        expect(reporter_name).to_be_hidden()  # nothing about an anonymous reporter is asked or sent
        expect(reporter_name).to_be_disabled()
    page.get_by_label("Uraian laporan").fill("Petugas parkir meminta uang tambahan Rp20.000 di depan kantor kelurahan.")
    page.get_by_label(re.compile(r"^Kecamatan\b")).select_option(label="Pasar Jambi")
    shot(page, "balap-filled")
    page.get_by_role("button", name="Kirim laporan").click()
    code, pin = read_receipt(page)
    shot(page, "balap-receipt")
    assert_accessible(page)
    check_status(page, code, pin, assert_accessible)


def test_an_invalid_submission_shows_errors_tied_to_their_fields(page: Page, assert_accessible: Callable[[Page], None]):
    page.goto("/program/kartu-bahagia.html")
    fill_kartu_bahagia(page, nik="1234567890123456")  # 16 digits, but no such region or date: only the server knows
    page.get_by_label("Nomor HP").fill("0741-123456")  # a landline: no SMS
    page.get_by_role("button", name="Kirim pengajuan").click()

    alert = page.get_by_role("alert")
    if page.js:  # type: ignore[attr-defined]
        # The 422 details beside their fields, and a summary that links to them.
        nik = page.get_by_label("NIK (16 digit")
        expect(nik).to_have_attribute("aria-invalid", "true")
        error_id = (nik.get_attribute("aria-describedby") or "").split()[0]
        expect(page.locator(f"#{error_id}")).to_contain_text("NIK")
        expect(page.get_by_label("Nomor HP")).to_have_attribute("aria-invalid", "true")
        expect(alert.get_by_role("link")).to_have_count(2)
        expect(page.get_by_role("button", name="Kirim pengajuan")).to_be_enabled()
    else:
        expect(page.get_by_role("heading", level=1)).to_have_text("Periksa kembali isian Anda")
        expect(alert).to_contain_text("NIK (16 digit, sesuai KTP):")
        expect(alert).to_contain_text("Nomor HP (untuk SMS pemberitahuan):")
        expect(page.get_by_role("link", name="Buka formulir lagi dari awal")).to_have_attribute(
            "href", "/program/kartu-bahagia.html"
        )
    shot(page, "kartu-bahagia-errors")
    assert_accessible(page)

    if page.js:  # type: ignore[attr-defined]
        # Inline checks from the descriptors, before anything is sent.
        page.reload()
        page.get_by_label("NIK (16 digit").fill("12345")
        page.get_by_label("Jumlah tanggungan").fill("25")
        page.get_by_role("button", name="Kirim pengajuan").click()
        expect(alert).to_contain_text("isian yang perlu diperbaiki")
        expect(page.locator("#f-applicant-nik-error")).to_have_text("NIK harus 16 angka.")
        expect(page.locator("#f-details-jumlah-tanggungan-error")).to_have_text(
            "Jumlah tanggungan dalam keluarga paling banyak 20."
        )
        expect(page.locator("#f-consent-error")).to_be_visible()
        expect(page.locator("#error-summary")).to_be_focused()
        shot(page, "kartu-bahagia-inline-errors")
        assert_accessible(page)
