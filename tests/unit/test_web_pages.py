"""web/ is generated from the catalogue by tools/build_web.py and checked in: a catalogue change must come with it."""

import importlib.util
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _search(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match


def _builder():
    spec = importlib.util.spec_from_file_location("build_web", ROOT / "tools" / "build_web.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Form(HTMLParser):
    """Controls, labels and ids of one page: enough to check that every control has a label."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self.optgroups: list[str] = []
        self.kelurahan_options = 0
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag in {"input", "select", "textarea"} and a.get("type") != "hidden":
            self.controls.append(a)
        if tag == "select":
            self._select = a.get("name")
        if tag == "optgroup" and self._select and self._select.endswith("kelurahan"):
            self.optgroups.append(a["label"])
        if tag == "option" and self._select and self._select.endswith("kelurahan") and a.get("value"):
            self.kelurahan_options += 1

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _parse(name: str) -> _Form:
    parser = _Form()
    parser.feed((ROOT / "web" / name).read_text(encoding="utf-8"))
    return parser


def test_checked_in_pages_match_the_catalogue():
    assert _builder().stale(ROOT / "web") == [], "run `python tools/build_web.py`"


def test_a_stale_missing_or_leftover_page_is_caught(tmp_path):
    copy = tmp_path / "web"
    shutil.copytree(ROOT / "web", copy)
    page = copy / "program" / "rumel.html"
    page.write_text(page.read_text(encoding="utf-8").replace("Bidang minat", "edited by hand"), encoding="utf-8")
    (copy / "status.html").unlink()
    (copy / "program" / "old-programme.html").write_text("gone from the catalogue", encoding="utf-8")
    assert _builder().stale(copy) == ["program/old-programme.html", "program/rumel.html", "status.html"]


def test_every_programme_has_a_page_and_the_index_links_them():
    from bahagia.catalogue import PROGRAM_IDS

    index = (ROOT / "web" / "index.html").read_text(encoding="utf-8")
    for program_id in PROGRAM_IDS:
        assert (ROOT / "web" / "program" / f"{program_id}.html").is_file()
        assert f'href="/program/{program_id}.html"' in index
    assert 'href="/pengaduan.html?kategori=pungli"' in index
    assert 'href="/status.html"' in index


@pytest.mark.parametrize(
    "page", ["program/kartu-bahagia.html", "program/banharkat.html", "pengaduan.html", "status.html"]
)
def test_every_control_has_its_own_label_and_valid_references(page):
    form = _parse(page)
    assert form.controls
    for control in form.controls:
        assert control.get("id") in form.label_for, f"{control.get('name')} has no <label for>"
        for ref in (control.get("aria-describedby") or "").split():
            assert ref in form.ids, f"{control.get('name')} is described by a missing #{ref}"


@pytest.mark.parametrize("page", ["program/kartu-bahagia.html", "pengaduan.html"])
def test_without_javascript_every_kelurahan_is_offered_grouped_by_kecamatan(page):
    form = _parse(page)
    assert form.kelurahan_options == 68
    assert len(form.optgroups) == 11
    assert form.optgroups[0] == "Kecamatan Telanaipura"


def test_numbers_people_type_from_cards_get_the_numeric_keypad():
    html = (ROOT / "web" / "program" / "kartu-bahagia.html").read_text(encoding="utf-8")
    for name in ("applicant.nik", "applicant.kk"):
        tag = _search(rf'<input [^>]*name="{re.escape(name)}"[^>]*>', html).group(0)
        assert 'inputmode="numeric"' in tag
        assert 'pattern="[0-9]{16}"' in tag
        assert " required" in tag
    status = (ROOT / "web" / "status.html").read_text(encoding="utf-8")
    assert re.search(r'<input [^>]*name="pin"[^>]*inputmode="numeric"', status)


def test_the_complaint_form_leaves_conditional_fields_to_the_rules_not_to_the_browser():
    html = (ROOT / "web" / "pengaduan.html").read_text(encoding="utf-8")
    # Required without JavaScript would block an anonymous report or an aspiration without a place.
    for name in ("location.kecamatan", "reporter.name", "reporter.phone"):
        tag = _search(rf'<(?:input|select) [^>]*name="{re.escape(name)}"[^>]*>', html).group(0)
        assert " required" not in tag, name
    assert "wajib, kecuali Aspirasi" in html
    assert "wajib, kecuali Anonim" in html
    # No privacy choice is pre-checked: the server's default applies (confidential for pungli).
    assert not re.search(r'name="privacy"[^>]*checked', html)
    rules = _search(r'"pungli":\{"default_privacy":"confidential","required":\[([^\]]*)\]', html).group(1)
    assert '"location.kecamatan"' in rules
    aspirasi = _search(r'"aspirasi":\{"default_privacy":"public","required":\[([^\]]*)\]', html).group(1)
    assert '"location.kecamatan"' not in aspirasi


def test_form_pages_post_where_the_contract_says():
    assert 'action="/v1/applications"' in (ROOT / "web" / "program" / "rumel.html").read_text(encoding="utf-8")
    assert 'action="/v1/complaints"' in (ROOT / "web" / "pengaduan.html").read_text(encoding="utf-8")
    assert 'action="/v1/track"' in (ROOT / "web" / "status.html").read_text(encoding="utf-8")


def test_the_error_page_of_a_form_post_names_each_field_by_its_label_and_links_to_its_form():
    from bahagia.errors import BahagiaError, FieldError
    from intake import pages

    error = BahagiaError(
        "validation_failed",
        "Ada isian yang perlu diperbaiki.",
        422,
        [
            FieldError("location.kecamatan", "missing", "Kecamatan wajib diisi."),
            FieldError("body", "invalid", "Isian tidak lengkap."),
        ],
    )
    html = pages.form_errors(error, "complaint", {"category": "pungli"})
    assert '<strong class="field">Kecamatan</strong>: Kecamatan wajib diisi.' in html
    assert "<li>Isian tidak lengkap.</li>" in html  # no label to show for a field that is not on the form
    assert 'href="/pengaduan.html?kategori=pungli"' in html
    unknown = pages.form_errors(error, "application", {"program": "<script>"})
    assert 'href="/"' in unknown
    assert "<script>" not in unknown
