import datetime as dt

import pytest
from pydantic_core import PydanticCustomError

from bahagia import identity


def test_a_womans_nik_carries_her_day_of_birth_plus_40():
    nik = "1571015708850003"
    assert identity.check_nik(nik) == nik
    assert identity.nik_birth_date(nik) == dt.date(1985, 8, 17)
    assert identity.nik_gender(nik) == "P"


def test_a_mans_nik_carries_the_plain_day():
    assert identity.nik_birth_date("1571011203500002") == dt.date(1950, 3, 12)
    assert identity.nik_gender("1571011203500002") == "L"


@pytest.mark.parametrize(
    ("nik", "why"),
    [
        ("1571013002851234", "30 February"),
        ("1571017213851234", "day 72 - 40 = 32"),
        ("1571011513851234", "month 13"),
        ("9971011708450001", "unknown province"),
        ("157101170845000", "15 digits"),
        ("15710117084500012", "17 digits"),
        ("15710117O8450001", "letter O"),
    ],
)
def test_impossible_niks_are_refused_without_echoing_the_number(nik, why):
    with pytest.raises(PydanticCustomError) as caught:
        identity.check_nik(nik)
    assert nik not in str(caught.value), why


@pytest.mark.parametrize(
    "spelling",
    ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "081234567890", "+62-812-3456-7890", "(0812) 3456 7890"],
)
def test_indonesian_mobile_numbers_in_any_common_spelling_become_e164(spelling):
    assert identity.check_mobile_phone(spelling) == "+6281234567890"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("0741-61234", "bukan telepon rumah"),  # a Jambi landline
        ("(021) 3456789", "bukan telepon rumah"),  # a Jakarta landline
        ("+65 9123 4567", "Indonesia"),  # Singapore mobile
        ("+1 202 555 0143", "Indonesia"),
        ("0812", "tidak valid"),
        ("bukan nomor", "tidak valid"),
    ],
)
def test_landlines_and_foreign_numbers_are_refused(number, expected):
    with pytest.raises(PydanticCustomError) as caught:
        identity.check_mobile_phone(number)
    assert expected in caught.value.message()


def test_kk_needs_16_digits_and_a_known_region():
    assert identity.check_kk("1571010101200001") == "1571010101200001"
    with pytest.raises(PydanticCustomError):
        identity.check_kk("9971010101200001")
    with pytest.raises(PydanticCustomError):
        identity.check_kk("15710101012")
