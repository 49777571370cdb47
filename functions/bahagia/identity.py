"""Checks of Indonesian identity numbers and phone numbers, through python-stdnum and phonenumbers.

Each check returns the normalized value or raises PydanticCustomError with a code and a message in Bahasa Indonesia,
so the same functions serve the pydantic models and anything else that needs them. No message ever echoes the value.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers
from pydantic_core import PydanticCustomError
from stdnum import numdb
from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.id import nik as stdnum_nik

_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def digits_only(value: object) -> object:
    """NIK and KK as people type them: spaces, dashes and dots between the digits are dropped."""
    if isinstance(value, str):
        return value.replace(" ", "").replace("-", "").replace(".", "")
    return value


def check_nik(value: str) -> str:
    try:
        return str(stdnum_nik.validate(value))
    except InvalidFormat:
        raise PydanticCustomError("invalid_nik", "NIK hanya boleh berisi angka.") from None
    except InvalidLength:
        raise PydanticCustomError("invalid_nik", "NIK harus 16 digit.") from None
    except (InvalidComponent, ValidationError):
        raise PydanticCustomError(
            "invalid_nik", "NIK tidak valid: kode wilayah atau tanggal lahir di dalamnya tidak sesuai."
        ) from None


def nik_birth_date(nik: str) -> dt.date | None:
    try:
        return stdnum_nik.get_birth_date(nik)
    except ValidationError:
        return None


def nik_gender(nik: str) -> str:
    """L or P: the NIK adds 40 to a woman's day of birth."""
    return "P" if int(nik[6:8]) > 40 else "L"


def check_kk(value: str) -> str:
    """Nomor Kartu Keluarga: 16 digits starting with a known region code (its date part is the issue date)."""
    if not value.isdigit():
        raise PydanticCustomError("invalid_kk", "Nomor KK hanya boleh berisi angka.")
    if len(value) != 16:
        raise PydanticCustomError("invalid_kk", "Nomor KK harus 16 digit.")
    if not numdb.get("id/loc").info(value[:4])[0][1]:
        raise PydanticCustomError("invalid_kk", "Nomor KK tidak valid: kode wilayahnya tidak dikenal.")
    return value


def check_mobile_phone(value: str) -> str:
    """An Indonesian mobile number in any common spelling, returned as E.164."""
    try:
        number = phonenumbers.parse(value, "ID")
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("invalid_phone", "Nomor HP tidak valid.") from None
    if number.country_code != 62:
        raise PydanticCustomError("invalid_phone", "Gunakan nomor HP Indonesia (+62).")
    if not phonenumbers.is_valid_number(number):
        raise PydanticCustomError("invalid_phone", "Nomor HP tidak valid.")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise PydanticCustomError("invalid_phone", "Gunakan nomor HP (seluler), bukan telepon rumah.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_indonesian_mobile(e164: str) -> bool:
    try:
        check_mobile_phone(e164)
    except PydanticCustomError:
        return False
    return True
