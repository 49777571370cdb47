"""From a parsed request body to a validated model, or one FieldError per bad field, in Bahasa Indonesia."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ValidationError

from bahagia import errors
from bahagia.catalogue import Catalogue
from bahagia.errors import FieldError
from bahagia.models import ApplicationBase, ComplaintIn
from bahagia.submissions import Submission
from bahagia.wilayah import wilayah

# Kota Jambi's extent from the kelurahan boundaries (data/…boundaries.geojson), with ~5 km of margin for reports
# made at the city's edge.
CITY_BOUNDS = {"lat": (-1.745, -1.497), "lng": (103.474, 103.731)}

_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("required", "Wajib diisi."),
    "string_too_short": ("too_short", "Terlalu pendek: minimal {min_length} karakter."),
    "string_too_long": ("too_long", "Terlalu panjang: maksimal {max_length} karakter."),
    "string_pattern_mismatch": ("invalid_format", "Formatnya tidak sesuai."),
    "string_type": ("invalid_type", "Harus berupa teks."),
    "int_parsing": ("not_integer", "Harus berupa bilangan bulat."),
    "int_type": ("not_integer", "Harus berupa bilangan bulat."),
    "int_from_float": ("not_integer", "Harus berupa bilangan bulat."),
    "float_parsing": ("not_number", "Harus berupa angka."),
    "float_type": ("not_number", "Harus berupa angka."),
    "finite_number": ("not_number", "Harus berupa angka."),
    "greater_than_equal": ("too_small", "Minimal {ge}."),
    "less_than_equal": ("too_large", "Maksimal {le}."),
    "date_parsing": ("invalid_date", "Tanggal tidak valid; gunakan format TTTT-BB-HH."),
    "date_from_datetime_parsing": ("invalid_date", "Tanggal tidak valid; gunakan format TTTT-BB-HH."),
    "date_from_datetime_inexact": ("invalid_date", "Tanggal tidak valid; gunakan format TTTT-BB-HH."),
    "date_type": ("invalid_date", "Tanggal tidak valid; gunakan format TTTT-BB-HH."),
    "bool_parsing": ("not_boolean", "Harus ya atau tidak."),
    "bool_type": ("not_boolean", "Harus ya atau tidak."),
    "literal_error": ("invalid_choice", "Pilihan tidak tersedia."),
    "enum": ("invalid_choice", "Pilihan tidak tersedia."),
    "extra_forbidden": ("unknown_field", "Kolom ini tidak dikenal."),
    "model_type": ("invalid_type", "Harus berupa kumpulan isian."),
    "model_attributes_type": ("invalid_type", "Harus berupa kumpulan isian."),
    "dict_type": ("invalid_type", "Harus berupa kumpulan isian."),
}


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic's errors as the contract's details: one per field, ours in Bahasa Indonesia, never the value."""
    details: dict[str, FieldError] = {}
    for error in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(part) for part in error["loc"]) or "body"
        if loc in details:
            continue
        kind = error["type"]
        context = error.get("ctx") or {}
        if kind in _MESSAGES:
            code, template = _MESSAGES[kind]
            message = template.format(**{k: v for k, v in context.items() if isinstance(v, (int, float, str))})
        elif kind.startswith(("invalid_", "consent_")):
            code, message = kind, error["msg"]  # our own PydanticCustomError: code and text are already ours
        else:
            code, message = "invalid", "Isian tidak valid."
        details[loc] = FieldError(loc, code, message)
    return list(details.values())


def _age_on(birth_date: dt.date, today: dt.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _check_area(kecamatan: str | None, kelurahan: str | None, prefix: str) -> list[FieldError]:
    area = wilayah()
    problems: list[FieldError] = []
    if kecamatan is not None and kecamatan not in area.kecamatan:
        problems.append(
            FieldError(f"{prefix}.kecamatan", "unknown_kecamatan", "Kecamatan tidak dikenal di Kota Jambi.")
        )
    if kelurahan is not None:
        known = area.kelurahan.get(kelurahan)
        if known is None:
            problems.append(
                FieldError(f"{prefix}.kelurahan", "unknown_kelurahan", "Kelurahan tidak dikenal di Kota Jambi.")
            )
        elif kecamatan is None:
            problems.append(FieldError(f"{prefix}.kecamatan", "required", "Wajib diisi jika kelurahan diisi."))
        elif known.kecamatan != kecamatan:
            problems.append(
                FieldError(
                    f"{prefix}.kelurahan",
                    "kelurahan_not_in_kecamatan",
                    "Kelurahan ini tidak berada di kecamatan yang dipilih.",
                )
            )
    return problems


def _validate_model(model: type[BaseModel], data: dict[str, Any]) -> tuple[BaseModel | None, list[FieldError]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, field_errors(exc)


def _raw(data: dict[str, Any], *path: str) -> str | None:
    node: Any = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node.strip() if isinstance(node, str) and node.strip() else None


def _merge(first: list[FieldError], more: list[FieldError]) -> list[FieldError]:
    """One detail per field: a field pydantic already refused keeps that first reason."""
    seen = {d.field for d in first}
    return first + [d for d in more if d.field not in seen]


def parse_submission(kind: str, data: dict[str, Any], catalogue: Catalogue, today: dt.date) -> Submission:
    """An application (`kind` "application") or a complaint, validated against the catalogue on the WIB date `today`."""
    if kind == "application":
        return parse_application(data, catalogue, today)
    return parse_complaint(data, catalogue, today)


def parse_application(data: dict[str, Any], catalogue: Catalogue, today: dt.date) -> ApplicationBase:
    program_id = data.get("program")
    if not isinstance(program_id, str) or program_id not in catalogue.application_models:
        code, message = (
            ("required", "Wajib diisi.")
            if program_id in (None, "")
            else (
                "invalid_choice",
                "Program tidak tersedia.",
            )
        )
        raise errors.validation_failed([FieldError("program", code, message)])
    application, invalid = _validate_model(catalogue.application_models[program_id], data)
    # The area rule is checked on what was sent even when other fields are wrong, so that every bad field is
    # reported at once rather than one round trip at a time.
    area = _check_area(
        _raw(data, "applicant", "address", "kecamatan"),
        _raw(data, "applicant", "address", "kelurahan"),
        "applicant.address",
    )
    if application is None:
        raise errors.validation_failed(_merge(invalid, area))
    assert isinstance(application, ApplicationBase)
    applicant = application.applicant
    problems = list(area)
    if applicant.birth_date > today:
        problems.append(FieldError("applicant.birth_date", "in_future", "Tanggal lahir tidak boleh di masa depan."))
    else:
        age = _age_on(applicant.birth_date, today)
        eligibility = catalogue.programs[program_id].get("eligibility", {})
        name = catalogue.programs[program_id]["name"]
        if age > 130:
            problems.append(FieldError("applicant.birth_date", "invalid_date", "Tanggal lahir tidak masuk akal."))
        elif age < eligibility.get("min_age", 0):
            problems.append(
                FieldError(
                    "applicant.birth_date",
                    "age_not_eligible",
                    f"Usia pemohon minimal {eligibility['min_age']} tahun untuk program {name}.",
                )
            )
        elif age > eligibility.get("max_age", 200):
            problems.append(
                FieldError(
                    "applicant.birth_date",
                    "age_not_eligible",
                    f"Usia pemohon maksimal {eligibility['max_age']} tahun untuk program {name}.",
                )
            )
    if problems:
        raise errors.validation_failed(problems)
    return application


def parse_complaint(data: dict[str, Any], catalogue: Catalogue, today: dt.date) -> ComplaintIn:
    if data.get("privacy") == "anonymous":
        # An anonymous reporter's identity is dropped before anything looks at it, even an invalid one.
        data = {key: value for key, value in data.items() if key != "reporter"}
    parsed, invalid = _validate_model(ComplaintIn, data)
    area = _check_area(_raw(data, "location", "kecamatan"), _raw(data, "location", "kelurahan"), "location")
    if parsed is None:
        raise errors.validation_failed(_merge(invalid, area))
    assert isinstance(parsed, ComplaintIn)
    complaint = parsed
    location = complaint.location
    problems = list(area)
    if (
        location.kecamatan is None
        and complaint.category != "aspirasi"
        and not any(p.field == "location.kecamatan" for p in problems)
    ):
        problems.append(FieldError("location.kecamatan", "required", "Wajib diisi: pilih kecamatan lokasi kejadian."))
    if (location.lat is None) != (location.lng is None):
        missing = "location.lng" if location.lng is None else "location.lat"
        problems.append(FieldError(missing, "required", "Lintang dan bujur harus diisi keduanya."))
    elif location.lat is not None and location.lng is not None:
        lat_range, lng_range = CITY_BOUNDS["lat"], CITY_BOUNDS["lng"]
        if not (lat_range[0] <= location.lat <= lat_range[1] and lng_range[0] <= location.lng <= lng_range[1]):
            problems.append(FieldError("location.lat", "outside_city", "Titik lokasi berada di luar Kota Jambi."))
    if complaint.occurred_on is not None and complaint.occurred_on > today:
        problems.append(FieldError("occurred_on", "in_future", "Tanggal kejadian tidak boleh di masa depan."))
    privacy = complaint.privacy or catalogue.default_privacy(complaint.category)
    if privacy == "anonymous":
        # Never stored, not even what the form happened to carry.
        complaint = complaint.model_copy(update={"privacy": privacy, "reporter": None})
    else:
        reporter = complaint.reporter
        if reporter is None or reporter.name is None:
            problems.append(
                FieldError("reporter.name", "required", "Wajib diisi, kecuali Anda memilih melapor secara anonim.")
            )
        if reporter is None or reporter.phone is None:
            problems.append(
                FieldError("reporter.phone", "required", "Wajib diisi, kecuali Anda memilih melapor secara anonim.")
            )
        complaint = complaint.model_copy(update={"privacy": privacy})
    if problems:
        raise errors.validation_failed(problems)
    return complaint
