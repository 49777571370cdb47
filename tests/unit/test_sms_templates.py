"""Every SMS text is GSM-7 and one segment, even with the worst inputs; and it says what it should, no more."""

from __future__ import annotations

import itertools

import pytest

from bahagia import lifecycle, sms
from bahagia.catalogue import catalogue
from bahagia.codes import ALPHABET, CODE_LENGTH, format_tracking_code

LONGEST_OPD = "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga Berencana"
WORST_URL = "https://bahagia-layanan.jambikota.go.id/s"[: sms.STATUS_URL_MAX_LENGTH]
CODE = "WWWWWWWWW"  # a real code has a check character; for length and alphabet any 9 symbols do
STATUSES = (
    "diterima",
    "diverifikasi",
    "didisposisikan",
    "ditindaklanjuti",
    "selesai",
    "ditolak",
    "disetujui",
    "disalurkan",
)
PRIVACIES = ("public", "private", "confidential", "unknown-value")


def _names() -> sms.SmsNames:
    c = catalogue()
    return sms.names_from_catalogue(c.programs, c.categories, c.opd)


def _worst_names() -> sms.SmsNames:
    names = _names()
    longest_program = "Program " + "Bantuan Sangat Panjang " * 8
    return sms.SmsNames(
        programs={**dict.fromkeys(names.programs, longest_program)},
        categories={**dict.fromkeys(names.categories, "Kategori Yang Panjang Sekali (" + "X" * 80 + ")")},
        opd={**names.opd, "dp3ap2kb": LONGEST_OPD, "long-unicode": "Dinas “Kutipan” Ω" + "é" * 200},
    )


def _all_notices() -> list[sms.Notice]:
    subjects: list[tuple[str, str | None, str | None, str | None]] = [
        ("application", "kartu-bahagia", b, None) for b in ("pendidikan", "kesehatan", "sosial")
    ]
    subjects += [("application", p, None, None) for p in catalogue().programs if p != "kartu-bahagia"]
    subjects += [("complaint", None, None, c) for c in catalogue().categories]
    notices = []
    for (kind, program, benefit, category), event_type, status, privacy, opd in itertools.product(
        subjects, sms.EVENT_TYPES, STATUSES, PRIVACIES, ("dp3ap2kb", "long-unicode", None)
    ):
        notices.append(sms.Notice(event_type, kind, status, privacy, CODE, program, benefit, category, opd))
    return notices


def test_the_alphabet_of_tracking_codes_is_gsm7_and_codes_have_fixed_length() -> None:
    assert sms.is_gsm7(ALPHABET + "-")
    assert len(format_tracking_code(CODE)) == CODE_LENGTH + 1


@pytest.mark.parametrize("names", [_names(), _worst_names()], ids=["catalogue", "worst-case"])
def test_every_template_renders_to_one_gsm7_segment_with_worst_case_inputs(names: sms.SmsNames) -> None:
    rendered_templates = set()
    for notice in _all_notices():
        rendered = sms.render(notice, names, WORST_URL)
        if rendered is None:
            continue
        rendered_templates.add(rendered.template)
        assert sms.is_gsm7(rendered.text), rendered.text
        assert sms.septets(rendered.text) <= 160, rendered.text
        assert sms.segment_count(rendered.text) == rendered.segments == 1
        assert format_tracking_code(CODE) in rendered.text
    assert rendered_templates == set(sms.TEMPLATES), "a template is never chosen"


def test_receipt_names_the_programme_and_the_status_page_but_no_pin() -> None:
    notice = sms.Notice(sms.RECEIVED, "application", "diterima", "private", "ABCD23456", "kartu-bahagia", "pendidikan")
    rendered = sms.render(notice, _names(), "https://bahagia.jambikota.go.id/status")
    assert rendered is not None
    assert rendered.text == (
        "Pemkot Jambi: Permohonan Kartu Bahagia Pendidikan Anda diterima. Kode ABCD-23456. "
        "Cek status di https://bahagia.jambikota.go.id/status dengan kode & PIN."
    )


def test_a_long_opd_name_is_kept_and_the_url_dropped_before_falling_back_to_a_generic_opd() -> None:
    notice = sms.Notice(
        sms.STATUS_CHANGED, "complaint", "didisposisikan", "public", "ABCD23456", category="lingkungan", opd="dp3ap2kb"
    )
    rendered = sms.render(notice, _names(), WORST_URL)
    assert rendered is not None
    assert LONGEST_OPD in rendered.text
    short = sms.render(
        sms.Notice(
            sms.STATUS_CHANGED, "complaint", "didisposisikan", "public", "ABCD23456", category="lingkungan", opd="dlh"
        ),
        _names(),
        WORST_URL,
    )
    assert short is not None
    assert short.text.startswith("Pemkot Jambi: Laporan Lingkungan ABCD-23456 diteruskan ke Dinas Lingkungan Hidup")
    assert WORST_URL in short.text


@pytest.mark.parametrize("event_type", sms.EVENT_TYPES)
@pytest.mark.parametrize("status", ["diverifikasi", "didisposisikan", "ditindaklanjuti", "selesai", "ditolak"])
def test_confidential_texts_name_neither_category_nor_status_nor_opd(event_type: str, status: str) -> None:
    notice = sms.Notice(
        event_type, "complaint", status, "confidential", "ABCD23456", category="pungli", opd="inspektorat"
    )
    rendered = sms.render(notice, _names(), WORST_URL)
    assert rendered is not None
    lowered = rendered.text.lower()
    for word in ("pungutan", "balap", "laporan", "inspektorat", status, "aspirasi"):
        assert word not in lowered
    assert "ABCD-23456" in rendered.text


def test_no_text_for_statuses_that_do_not_apply() -> None:
    names = _names()
    assert (
        sms.render(
            sms.Notice(sms.STATUS_CHANGED, "complaint", "disalurkan", "public", CODE, category="lingkungan"),
            names,
            WORST_URL,
        )
        is None
    )
    assert (
        sms.render(
            sms.Notice(sms.STATUS_CHANGED, "application", "diterima", "private", CODE, "rumel"), names, WORST_URL
        )
        is None
    )


def test_every_status_a_transition_reaches_has_a_text_and_no_other_does() -> None:
    """Which statuses get an SMS comes from data/lifecycles.json: a status added there without a template fails."""
    for kind in lifecycle.KINDS:
        reached = {rule.target for rule in lifecycle.lifecycle(kind).rules.values()}
        for status in lifecycle.all_statuses():
            chosen = sms.template_id_for(sms.Notice(sms.STATUS_CHANGED, kind, status, "public", CODE))
            if status in reached:
                assert chosen in sms.TEMPLATES, (kind, status)
            else:
                assert chosen is None, (kind, status)  # e.g. an application never reaches `selesai`


def test_segment_counting() -> None:
    assert sms.segment_count("a" * 160) == 1
    assert sms.segment_count("a" * 161) == 2
    assert sms.segment_count("[" * 80) == 1  # extension characters take two septets
    assert sms.segment_count("[" * 81) == 2
    assert not sms.is_gsm7("Kode “ABCD”")
    assert sms.segment_count("é" * 160) == 1  # é is in the GSM-7 basic table
    assert sms.segment_count("ê" * 70) == 1
    assert sms.segment_count("ê" * 71) == 2


def test_a_status_url_over_budget_stops_the_cold_start() -> None:
    assert sms.check_status_url("http://127.0.0.1:8080/status")
    with pytest.raises(sms.TemplateError):
        sms.check_status_url("https://" + "x" * 40 + ".go.id/status")
