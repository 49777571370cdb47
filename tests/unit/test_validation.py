import datetime as dt

import pytest

from bahagia import errors, validation
from bahagia.catalogue import catalogue
from tests import samples

TODAY = dt.date(2026, 11, 29)


def _details(exc: errors.BahagiaError) -> dict[str, str]:
    return {d.field: d.code for d in exc.details}


def test_the_sample_application_is_valid_and_its_phone_is_stored_as_e164():
    app = validation.parse_application(samples.application(), catalogue(), TODAY)
    assert app.applicant.phone == "+6281234567890"
    assert app.applicant.address.rt == "003"


def test_a_birth_date_that_differs_from_the_nik_is_accepted():
    body = samples.application()
    body["applicant"]["birth_date"] = "1985-08-18"
    app = validation.parse_application(body, catalogue(), TODAY)
    assert app.applicant.birth_date == dt.date(1985, 8, 18)


def test_a_kelurahan_outside_its_kecamatan_is_refused_on_that_field():
    body = samples.application()
    body["applicant"]["address"]["kelurahan"] = "15.71.04.1003"  # Pasar Jambi, not in Telanaipura
    with pytest.raises(errors.BahagiaError) as caught:
        validation.parse_application(body, catalogue(), TODAY)
    assert caught.value.status == 422
    assert _details(caught.value) == {"applicant.address.kelurahan": "kelurahan_not_in_kecamatan"}


def test_unknown_area_codes_are_refused():
    body = samples.application()
    body["applicant"]["address"]["kecamatan"] = "15.71.99"
    body["applicant"]["address"]["kelurahan"] = "15.71.99.1001"
    with pytest.raises(errors.BahagiaError) as caught:
        validation.parse_application(body, catalogue(), TODAY)
    assert _details(caught.value) == {
        "applicant.address.kecamatan": "unknown_kecamatan",
        "applicant.address.kelurahan": "unknown_kelurahan",
    }


def test_every_bad_field_gets_one_detail_in_bahasa_indonesia():
    body = samples.application()
    body["applicant"]["nik"] = "1571013002851234"
    body["applicant"]["phone"] = "0741-61234"
    body["applicant"].pop("name")
    body["consent"] = False
    with pytest.raises(errors.BahagiaError) as caught:
        validation.parse_application(body, catalogue(), TODAY)
    details = _details(caught.value)
    assert details == {
        "applicant.nik": "invalid_nik",
        "applicant.phone": "invalid_phone",
        "applicant.name": "required",
        "consent": "consent_required",
    }
    messages = " ".join(d.message for d in caught.value.details)
    assert "Wajib diisi" in messages
    assert "1571013002851234" not in messages


@pytest.mark.parametrize(
    ("program", "birth_date", "ok"),
    [
        ("lansia-bahagia", "1966-11-29", True),  # 60 today
        ("lansia-bahagia", "1966-11-30", False),  # 60 tomorrow
        ("rumel", "1996-11-30", True),  # still 29
        ("rumel", "1995-11-29", False),  # 31
        ("rumel", "2010-11-30", False),  # 15
    ],
)
def test_programme_ages_come_from_the_catalogue(program, birth_date, ok):
    body = samples.application(program=program)
    body.pop("benefit")
    body["details"] = {
        "lansia-bahagia": {"tinggal_bersama": "sendiri"},
        "rumel": {"minat": "musik", "kegiatan_diusulkan": "Latihan band bersama pemuda kelurahan."},
    }[program]
    body["applicant"]["birth_date"] = birth_date
    if ok:
        validation.parse_application(body, catalogue(), TODAY)
    else:
        with pytest.raises(errors.BahagiaError) as caught:
            validation.parse_application(body, catalogue(), TODAY)
        assert _details(caught.value) == {"applicant.birth_date": "age_not_eligible"}


def test_benefit_is_required_for_kartu_bahagia_and_refused_elsewhere():
    body = samples.application()
    body.pop("benefit")
    with pytest.raises(errors.BahagiaError) as caught:
        validation.parse_application(body, catalogue(), TODAY)
    assert _details(caught.value) == {"benefit": "required"}

    other = samples.application(program="lansia-bahagia", details={"tinggal_bersama": "sendiri"})
    other["applicant"]["birth_date"] = "1950-03-12"
    with pytest.raises(errors.BahagiaError) as caught:
        validation.parse_application(other, catalogue(), TODAY)
    assert _details(caught.value) == {"benefit": "unknown_field"}


def test_an_unknown_programme_is_a_field_error():
    with pytest.raises(errors.BahagiaError) as caught:
        validation.parse_application(samples.application(program="bansos-palsu"), catalogue(), TODAY)
    assert _details(caught.value) == {"program": "invalid_choice"}


def test_pungli_is_confidential_by_default_and_other_categories_public():
    pungli = validation.parse_complaint(samples.complaint(category="pungli"), catalogue(), TODAY)
    assert pungli.privacy == "confidential"
    assert pungli.reporter is not None
    other = validation.parse_complaint(samples.complaint(), catalogue(), TODAY)
    assert other.privacy == "public"


def test_an_anonymous_report_drops_the_reporter_even_an_invalid_one():
    body = samples.complaint(category="pungli", privacy="anonymous", reporter={"name": "X1", "phone": "0741"})
    parsed = validation.parse_complaint(body, catalogue(), TODAY)
    assert parsed.reporter is None
    assert "reporter" not in parsed.model_dump(exclude_none=True)


def test_reporter_is_required_unless_anonymous():
    body = samples.complaint()
    body.pop("reporter")
    with pytest.raises(errors.BahagiaError) as caught:
        validation.parse_complaint(body, catalogue(), TODAY)
    assert _details(caught.value) == {"reporter.name": "required", "reporter.phone": "required"}


def test_kecamatan_is_required_except_for_aspirations():
    body = samples.complaint(location={})
    with pytest.raises(errors.BahagiaError) as caught:
        validation.parse_complaint(body, catalogue(), TODAY)
    assert _details(caught.value) == {"location.kecamatan": "required"}
    validation.parse_complaint(samples.complaint(category="aspirasi", location={}), catalogue(), TODAY)


def test_a_point_outside_kota_jambi_and_a_future_date_are_refused():
    body = samples.complaint(occurred_on="2026-12-01")
    body["location"].update(lat=-6.2, lng=106.8)  # Jakarta
    with pytest.raises(errors.BahagiaError) as caught:
        validation.parse_complaint(body, catalogue(), TODAY)
    assert _details(caught.value) == {"location.lat": "outside_city", "occurred_on": "in_future"}


@pytest.mark.parametrize("length", [9, 4001])
def test_description_length_limits(length):
    with pytest.raises(errors.BahagiaError) as caught:
        validation.parse_complaint(samples.complaint(description="x" * length), catalogue(), TODAY)
    assert list(_details(caught.value)) == ["description"]
