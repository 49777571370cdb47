"""The request models: the single source of the JSON Schemas, the OpenAPI document and the form descriptors.

Field titles are the labels citizens see. Rules that tie several fields together (kelurahan in kecamatan, ages,
reporter required unless anonymous) live in bahagia/validation.py, because they need the catalogue and `today`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    create_model,
)
from pydantic_core import PydanticCustomError

from bahagia.identity import check_kk, check_mobile_phone, check_nik, digits_only

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("invalid_characters", "Berisi karakter yang tidak diizinkan.")
    return value


CleanStr = Annotated[str, BeforeValidator(_strip), AfterValidator(_no_control_characters)]


def _pad3(value: str) -> str:
    return value.zfill(3)


def _must_consent(value: bool) -> bool:
    if value is not True:
        raise PydanticCustomError(
            "consent_required", "Persetujuan pemrosesan data pribadi (UU PDP) wajib diberikan untuk melanjutkan."
        )
    return value


Nik = Annotated[
    str,
    BeforeValidator(digits_only),
    AfterValidator(check_nik),
    Field(title="NIK (16 digit, sesuai KTP)", min_length=16, max_length=16),
]
NomorKk = Annotated[
    str,
    BeforeValidator(digits_only),
    AfterValidator(check_kk),
    Field(title="Nomor Kartu Keluarga (16 digit)", min_length=16, max_length=16),
]
MobilePhone = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(check_mobile_phone),
    Field(title="Nomor HP (untuk SMS pemberitahuan)", min_length=8, max_length=20),
]
PersonName = Annotated[
    CleanStr,
    Field(title="Nama lengkap (sesuai KTP)", min_length=2, max_length=100, pattern=r"^[A-Za-z\u00C0-\u024F' .,\-]+$"),
]
RtRw = Annotated[
    str, BeforeValidator(_strip), Field(min_length=1, max_length=3, pattern=r"^\d{1,3}$"), AfterValidator(_pad3)
]
KecamatanCode = Annotated[str, BeforeValidator(_strip), Field(title="Kecamatan", pattern=r"^15\.71\.\d{2}$")]
KelurahanCode = Annotated[str, BeforeValidator(_strip), Field(title="Kelurahan", pattern=r"^15\.71\.\d{2}\.\d{4}$")]

ProgramId = Literal["kartu-bahagia", "balikat", "banharkat", "lansia-bahagia", "rumel", "kampung-bahagia"]
CategoryId = Literal["infrastruktur", "lingkungan", "layanan-publik", "aparatur", "budaya", "pungli", "aspirasi"]
Benefit = Literal["pendidikan", "kesehatan", "sosial"]
Privacy = Literal["public", "anonymous", "confidential"]


class _Form(BaseModel):
    # Unknown fields are refused rather than dropped: a misspelt field name must not lose what a citizen typed.
    model_config = ConfigDict(extra="forbid")


class Address(_Form):
    street: Annotated[CleanStr, Field(title="Alamat (jalan, nomor rumah)", min_length=3, max_length=200)]
    rt: Annotated[RtRw, Field(title="RT")]
    rw: Annotated[RtRw, Field(title="RW")]
    kecamatan: KecamatanCode
    kelurahan: KelurahanCode


class Applicant(_Form):
    nik: Nik
    kk: NomorKk
    name: PersonName
    birth_date: Annotated[dt.date, Field(title="Tanggal lahir")]
    gender: Annotated[Literal["L", "P"], Field(title="Jenis kelamin")]
    phone: MobilePhone
    address: Annotated[Address, Field(title="Alamat tempat tinggal")]


class ApplicationBase(_Form):
    program: Annotated[ProgramId, Field(title="Program")]
    applicant: Annotated[Applicant, Field(title="Data pemohon")]
    consent: Annotated[
        bool,
        AfterValidator(_must_consent),
        Field(title="Saya menyetujui data saya diproses untuk layanan ini sesuai UU Pelindungan Data Pribadi"),
    ]


class ComplaintLocation(_Form):
    kecamatan: KecamatanCode | None = None
    kelurahan: KelurahanCode | None = None
    address: Annotated[CleanStr | None, Field(title="Alamat atau patokan lokasi", max_length=300)] = None
    lat: Annotated[float | None, Field(title="Lintang (latitude)", ge=-90, le=90)] = None
    lng: Annotated[float | None, Field(title="Bujur (longitude)", ge=-180, le=180)] = None


class Reporter(_Form):
    name: Annotated[PersonName | None, Field(title="Nama pelapor")] = None
    phone: Annotated[MobilePhone | None, Field(title="Nomor HP pelapor")] = None


class ComplaintIn(_Form):
    category: Annotated[CategoryId, Field(title="Kategori")]
    description: Annotated[CleanStr, Field(title="Uraian laporan", min_length=10, max_length=4000)]
    location: Annotated[ComplaintLocation, Field(title="Lokasi")] = ComplaintLocation()
    occurred_on: Annotated[dt.date | None, Field(title="Tanggal kejadian")] = None
    privacy: Annotated[
        Privacy | None,
        Field(title="Kerahasiaan identitas pelapor (bawaan: rahasia untuk pungli, publik untuk lainnya)"),
    ] = None
    reporter: Annotated[Reporter | None, Field(title="Identitas pelapor")] = None


# --- programme-specific details, built from the catalogue's descriptors -------------------------------------------

_PY_TYPES: dict[str, Any] = {
    "string": str,
    "text": str,
    "integer": int,
    "number": float,
    "date": dt.date,
    "boolean": bool,
}


def details_field(descriptor: dict[str, Any]) -> tuple[Any, Any]:
    """The (annotation, default) pydantic needs for one catalogue field descriptor."""
    kind = descriptor["type"]
    constraints: dict[str, Any] = {"title": descriptor["label"]}
    annotation: Any
    if kind == "enum":
        annotation = Literal[tuple(option["value"] for option in descriptor["options"])]
    elif kind in ("string", "text"):
        annotation = CleanStr
        if "min" in descriptor:
            constraints["min_length"] = descriptor["min"]
        constraints["max_length"] = descriptor.get("max", 200 if kind == "string" else 2000)
        if "pattern" in descriptor:
            constraints["pattern"] = descriptor["pattern"]
    else:
        annotation = _PY_TYPES[kind]
        if "min" in descriptor:
            constraints["ge"] = descriptor["min"]
        if "max" in descriptor:
            constraints["le"] = descriptor["max"]
    annotation = Annotated[annotation, Field(**constraints)]
    if descriptor["required"]:
        return annotation, ...
    return annotation | None, None


def _model_name(program_id: str, suffix: str) -> str:
    return "".join(part.capitalize() for part in program_id.split("-")) + suffix


def build_application_model(program: dict[str, Any]) -> type[ApplicationBase]:
    """The full request model of one programme: the common part, `details`, and `benefit` where it has one."""
    details_model = create_model(  # type: ignore[call-overload]
        _model_name(program["id"], "Details"),
        __base__=_Form,
        **{descriptor["name"]: details_field(descriptor) for descriptor in program["details"]},
    )
    fields: dict[str, Any] = {
        "program": (Annotated[Literal[program["id"]], Field(title="Program")], ...),
        "details": (Annotated[details_model, Field(title="Keterangan program")], ...),
    }
    if program.get("benefits"):
        values = tuple(option["value"] for option in program["benefits"])
        fields["benefit"] = (Annotated[Literal[values], Field(title="Jenis manfaat")], ...)
    return create_model(_model_name(program["id"], "Application"), __base__=ApplicationBase, **fields)


# --- the staff API's request bodies ----------------------------------------------------------------------------------
# Parsed at the edge (staff/bodies.py), which turns pydantic's errors into the contract's details. The enums of the
# schema come from data/lifecycles.json when the schema is generated, not when this module is imported.

NOTE_MAX_LENGTH = 2000


def _text_or_none(value: object) -> object:
    """An optional text field: anything but a non-blank string counts as not given."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def _status_enum(schema: dict[str, Any]) -> None:
    from bahagia import lifecycle

    schema["enum"] = sorted(lifecycle.all_statuses())


def _role_enum(schema: dict[str, Any]) -> None:
    from bahagia import lifecycle

    schema["enum"] = list(lifecycle.workflow().roles)


# POST /v1/staff/submissions/{tracking_code}/transitions
class StaffTransition(_Form):
    to: Annotated[
        str, BeforeValidator(_strip), Field(title="Status tujuan", min_length=1, json_schema_extra=_status_enum)
    ]
    note: Annotated[
        str,
        BeforeValidator(_strip),
        Field(title="Catatan petugas (wajib; masuk jejak audit)", min_length=1, max_length=NOTE_MAX_LENGTH),
    ]
    opd: Annotated[
        str | None,
        BeforeValidator(_text_or_none),
        Field(title="OPD tujuan", description="Wajib untuk didisposisikan; id OPD dari katalog."),
    ] = None
    expected_from: Annotated[
        str | None,
        BeforeValidator(_text_or_none),
        Field(
            alias="from",
            title="Status yang dilihat petugas",
            description="Bila kasus sudah berpindah status sejak itu, 409.",
        ),
    ] = None


# PUT /v1/staff/users/{email}: the role (and, for role opd, the OPD) of one staff member
class StaffUserIn(_Form):
    role: Annotated[str, Field(title="Peran", json_schema_extra=_role_enum)]
    opd: Annotated[
        str | None, Field(title="OPD", description="Wajib untuk peran opd (id OPD dari katalog); kosong selainnya.")
    ] = None
    active: Annotated[StrictBool, Field(title="Aktif")] = True


# One staff member as the API answers it
class StaffUser(StaffUserIn):
    email: Annotated[str, Field(title="E-mail")]
