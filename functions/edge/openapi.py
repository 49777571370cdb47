"""The OpenAPI 3.1 document of the whole API: the citizens' part (intake) and the staff part, one document.

The request bodies are described by the pydantic models (bahagia.models), so the document cannot drift from what the
handlers accept; schemas/ holds a checked-in copy (tools/generate_schemas.py, checked by a test). Served at
GET /v1/openapi.json by list_programs.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, Union

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from bahagia import channels, lifecycle
from bahagia.catalogue import catalogue
from bahagia.models import ComplaintIn, StaffTransition, StaffUser, StaffUserIn

REF = "#/components/schemas/{model}"

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string", "description": "Dalam Bahasa Indonesia."},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "code", "message"],
                        "properties": {
                            "field": {"type": "string"},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}

_RECEIPT_COMMON = {
    "tracking_code": {"type": "string", "pattern": "^[2-9A-HJKMNP-TV-Z]{9}$"},
    "pin": {"type": "string", "pattern": "^[0-9]{6}$", "description": "Shown once; stored only as a salted hash."},
    "status": {"const": "diterima"},
    "submitted_at": {"type": "string", "format": "date-time"},
    "status_url": {"type": "string"},
}

_STATUS = {
    "type": "object",
    "required": ["tracking_code", "kind", "status", "status_label", "submitted_at", "updated_at", "timeline"],
    "properties": {
        "tracking_code": {"type": "string"},
        "kind": {"enum": ["application", "complaint"]},
        "status": {"type": "string"},
        "status_label": {"type": "string"},
        "program": {"type": "string"},
        "benefit": {"type": "string"},
        "category": {"type": "string"},
        "submitted_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "next_step": {"type": "object"},
        "timeline": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["status", "label", "at"],
                "properties": {"status": {"type": "string"}, "label": {"type": "string"}, "at": {"type": "string"}},
            },
        },
    },
}


_TRACK_REQUEST = {
    "type": "object",
    "required": ["tracking_code"],
    "properties": {
        "tracking_code": {"type": "string", "maxLength": 32, "description": "Huruf kecil, tanda - dan spasi boleh"},
        "pin": {"type": "string", "maxLength": 16},
    },
}


def _error_responses(*statuses: int) -> dict[str, Any]:
    descriptions = {
        400: "Isi permintaan tidak dapat dibaca",
        404: "Tidak ditemukan",
        405: "Metode tidak didukung",
        409: "Konflik: permohonan terbuka dengan NIK dan nomor HP yang sama untuk program ini, atau kunci idempotensi "
        "dipakai ulang dengan isi lain. NIK yang sama dengan nomor HP lain diterima (201) dan ditandai sebagai "
        "kemungkinan duplikat untuk verifikator.",
        413: "Isi melebihi 64 KiB",
        415: "Jenis isi tidak didukung",
        422: "Isian tidak valid",
        429: "Terlalu banyak percobaan",
        503: "Layanan sementara tidak tersedia",
    }
    return {
        str(status): {
            "description": descriptions[status],
            "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
        }
        for status in statuses
    }


def _body(ref: str) -> dict[str, Any]:
    schema = {"$ref": ref}
    return {
        "required": True,
        "content": {
            "application/json": {"schema": schema},
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "description": "Dotted field names, e.g. applicant.nik"}
            },
        },
    }


def _idempotency_header() -> dict[str, Any]:
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 8, "maxLength": 128},
    }


@cache
def component_schemas() -> dict[str, Any]:
    """JSON Schemas of every request model (also written to schemas/*.schema.json)."""
    models: list[type[BaseModel]] = [*catalogue().application_models.values(), ComplaintIn]
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    union = TypeAdapter(Union[tuple(catalogue().application_models.values())]).json_schema(ref_template=REF)  # type: ignore[arg-type]  # noqa: UP007
    union.pop("$defs", None)
    schemas["Application"] = {**union, "discriminator": {"propertyName": "program"}}
    schemas["Error"] = _ERROR
    schemas["ApplicationReceipt"] = {
        "type": "object",
        "required": ["tracking_code", "pin", "status", "program", "submitted_at", "status_url"],
        "properties": {**_RECEIPT_COMMON, "program": {"type": "string"}, "benefit": {"type": "string"}},
    }
    schemas["ComplaintReceipt"] = {
        "type": "object",
        "required": ["tracking_code", "pin", "status", "category", "privacy", "submitted_at", "status_url"],
        "properties": {
            **_RECEIPT_COMMON,
            "category": {"type": "string"},
            "privacy": {"enum": ["public", "anonymous", "confidential"]},
        },
    }
    schemas["SubmissionStatus"] = _STATUS
    schemas["Catalogue"] = {
        "type": "object",
        "required": ["programs", "complaint_categories", "kecamatan", "opd"],
        "properties": {
            "programs": {"type": "array", "items": {"type": "object"}},
            "complaint_categories": {"type": "array", "items": {"type": "object"}},
            "kecamatan": {"type": "array", "items": {"type": "object"}},
            "opd": {"type": "array", "items": {"type": "object"}},
        },
    }
    return schemas


@cache
def openapi_document() -> dict[str, Any]:
    json_ok = "application/json"
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Layanan Kota Jambi Bahagia",
            "version": "1.0.0",
            "description": "Permohonan program dan pengaduan warga Kota Jambi. Pesan galat dalam Bahasa Indonesia.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/v1/programs": {
                "get": {
                    "operationId": "listPrograms",
                    "summary": "Katalog program, kategori pengaduan, OPD, kecamatan dan kelurahan",
                    "responses": {
                        "200": {
                            "description": "Katalog",
                            "content": {json_ok: {"schema": {"$ref": REF.format(model="Catalogue")}}},
                        },
                        **_error_responses(405),
                    },
                }
            },
            "/v1/applications": {
                "post": {
                    "operationId": "submitApplication",
                    "summary": "Ajukan permohonan program",
                    "parameters": [_idempotency_header()],
                    "requestBody": _body(REF.format(model="Application")),
                    "responses": {
                        "201": {
                            "description": "Diterima",
                            "content": {json_ok: {"schema": {"$ref": REF.format(model="ApplicationReceipt")}}},
                        },
                        "303": {"description": "Formulir dari peramban: ke halaman tanda terima"},
                        **_error_responses(400, 405, 409, 413, 415, 422, 503),
                    },
                }
            },
            "/v1/complaints": {
                "post": {
                    "operationId": "submitComplaint",
                    "summary": "Kirim pengaduan atau aspirasi",
                    "parameters": [_idempotency_header()],
                    "requestBody": _body(REF.format(model="ComplaintIn")),
                    "responses": {
                        "201": {
                            "description": "Diterima",
                            "content": {json_ok: {"schema": {"$ref": REF.format(model="ComplaintReceipt")}}},
                        },
                        "303": {"description": "Formulir dari peramban: ke halaman tanda terima"},
                        **_error_responses(400, 405, 409, 413, 415, 422, 503),
                    },
                }
            },
            "/v1/track/{tracking_code}": {
                "get": {
                    "operationId": "trackSubmission",
                    "summary": "Status dan riwayat, tanpa data pribadi",
                    "parameters": [
                        {
                            "name": "tracking_code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 32},
                        },
                        {
                            "name": "pin",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 16},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "Status",
                            "content": {json_ok: {"schema": {"$ref": REF.format(model="SubmissionStatus")}}},
                        },
                        **_error_responses(404, 405, 429, 503),
                    },
                }
            },
            "/v1/track": {
                "post": {
                    "operationId": "trackSubmissionPost",
                    "summary": "Status dan riwayat lewat formulir: kode dan PIN di isi permintaan, tidak di URL",
                    "requestBody": {
                        "required": True,
                        "content": {
                            json_ok: {"schema": {"$ref": REF.format(model="TrackRequest")}},
                            "application/x-www-form-urlencoded": {"schema": {"$ref": REF.format(model="TrackRequest")}},
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Status (JSON; peramban yang meminta text/html mendapat halaman status)",
                            "content": {
                                json_ok: {"schema": {"$ref": REF.format(model="SubmissionStatus")}},
                                "text/html": {"schema": {"type": "string"}},
                            },
                        },
                        **_error_responses(400, 404, 405, 413, 415, 429, 503),
                    },
                }
            },
            "/v1/receipt/{tracking_code}": {
                "get": {
                    "operationId": "getReceipt",
                    "summary": "Halaman tanda terima setelah formulir dikirim tanpa JavaScript (303 dari "
                    "/v1/applications atau /v1/complaints); PIN hanya dari cookie bertanda tangan, 15 menit",
                    "parameters": [
                        {
                            "name": "tracking_code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 32},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "Tanda terima",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                        **_error_responses(404, 405),
                    },
                }
            },
            "/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "Dokumen OpenAPI ini",
                    "responses": {
                        "200": {"description": "OpenAPI 3.1", "content": {json_ok: {"schema": {"type": "object"}}}}
                    },
                }
            },
        },
        "components": {"schemas": component_schemas()},
    }
    # Imported here: the reports modules are not needed by list_programs until this document is asked for.
    from reports.serving import openapi_paths as report_paths
    from reports.serving import openapi_schemas as report_schemas

    document["paths"].update(staff_paths())
    document["paths"].update(report_paths(_staff_errors(401, 403, 404, 405, 503)))
    document["components"]["schemas"] = {  # a copy: component_schemas() is cached
        **component_schemas(),
        "TrackRequest": _TRACK_REQUEST,
        **staff_schemas(),
        **report_schemas(),
    }
    document["components"]["securitySchemes"] = security_schemes()
    return document


# --- the staff API (/v1/staff/...) ---------------------------------------------------------------------------------

JSON = "application/json"

_STAFF_ERRORS = {
    400: "Isi permintaan tidak dapat dibaca",
    401: "Token tidak ada, tidak sah, atau kedaluwarsa",
    403: "Peran tidak berwenang",
    404: "Tidak ditemukan (termasuk kasus OPD lain)",
    405: "Metode tidak didukung",
    409: "Perubahan status tidak diizinkan dari status saat ini",
    413: "Isi melebihi 64 KiB",
    415: "Jenis isi tidak didukung",
    422: "Isian atau parameter tidak valid",
    503: "Layanan sementara tidak tersedia",
}


def _staff_errors(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {"description": _STAFF_ERRORS[s], "content": {JSON: {"schema": {"$ref": REF.format(model="Error")}}}}
        for s in statuses
    }


def _ok(description: str, model: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {JSON: {"schema": {"$ref": REF.format(model=model)}}}}}


def _statuses() -> list[str]:
    return sorted(lifecycle.all_statuses())


_CODE = {"name": "tracking_code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 32}}
_TIME = {"type": ["string", "null"], "format": "date-time"}


def staff_schemas() -> dict[str, Any]:
    """The staff API's schemas: request bodies from the pydantic models (bahagia.models), answers described here."""
    _, generated = models_json_schema(
        [(model, "validation") for model in (StaffTransition, StaffUserIn, StaffUser)], ref_template=REF
    )
    summary_props: dict[str, Any] = {
        "tracking_code": {"type": "string"},
        "kind": {"enum": list(lifecycle.KINDS)},
        "channel": {
            "enum": list(channels.CHANNELS),
            "description": "Saluran masuk: web (warga sendiri) atau Call Center Bahagia (telepon, whatsapp, walk-in).",
        },
        "program": {"type": ["string", "null"]},
        "benefit": {"type": ["string", "null"]},
        "category": {"type": ["string", "null"]},
        "privacy": {"type": ["string", "null"]},
        "status": {"enum": _statuses()},
        "submitted_at": _TIME,
        "status_changed_at": _TIME,
        "business_date": {"type": ["string", "null"], "format": "date"},
        "kecamatan": {"type": ["string", "null"]},
        "kelurahan": {"type": ["string", "null"]},
        "opd": {"type": ["string", "null"]},
        "suggested_opd": {"type": ["string", "null"]},
        "due_at": {
            **_TIME,
            "description": "Batas waktu langkah berikutnya (akhir hari kerja, WIB); null bila selesai.",
        },
        "overdue": {"type": "boolean"},
        "possible_duplicate_of": {
            "type": ["string", "null"],
            "description": "Permohonan ini memakai NIK yang sudah dipakai permohonan terbuka lain (kode ini) untuk "
            "program yang sama, dengan nomor HP lain: mungkin duplikat, atau NIK dipakai orang lain. Periksa keduanya.",
        },
        "possible_duplicates": {
            "type": ["array", "null"],
            "items": {"type": "string"},
            "description": "Permohonan lain dengan NIK dan program yang sama tetapi nomor HP lain (lihat "
            "possible_duplicate_of pada masing-masing).",
        },
    }
    return {
        **generated.get("$defs", {}),
        "StaffSubmissionSummary": {
            "type": "object",
            "required": ["tracking_code", "status", "overdue"],
            "properties": summary_props,
        },
        "StaffSubmissionList": {
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": REF.format(model="StaffSubmissionSummary")}},
                "next_cursor": {"type": ["string", "null"]},
                "counts": {
                    "type": "object",
                    "description": "Hanya di halaman pertama (tanpa cursor): total yang cocok dengan filter; dari "
                    "filter yang sama tanpa overdue, yang lewat tenggat dan yang jatuh tempo hari ini (WIB). null "
                    "bila from/to digabung dengan filter selain status dan opd.",
                    "required": ["total", "overdue", "due_today"],
                    "properties": {
                        "total": {"type": "integer"},
                        "overdue": {"type": ["integer", "null"]},
                        "due_today": {"type": ["integer", "null"]},
                    },
                },
            },
        },
        "StaffMe": {
            "type": "object",
            "required": ["email", "role", "opd"],
            "properties": {
                "email": {"type": "string"},
                "role": {"enum": list(lifecycle.workflow().roles)},
                "opd": {"type": ["string", "null"]},
            },
        },
        "StaffChanges": {
            "type": "object",
            "required": ["entries"],
            "properties": {
                "entries": {
                    "type": "array",
                    "description": "Perubahan direktori petugas, terbaru dulu (paling banyak 100).",
                    "items": {
                        "type": "object",
                        "properties": {
                            "at": _TIME,
                            "actor": {"type": "object", "description": "Admin yang mengubah: email, role, opd"},
                            "email": {"type": ["string", "null"]},
                            "role": {"type": "string"},
                            "opd": {"type": ["string", "null"]},
                            "active": {"type": "boolean"},
                        },
                    },
                },
            },
        },
        "DeskComplaint": _desk_complaint(),
        "DeskComplaintReceipt": {
            "type": "object",
            "required": [
                "tracking_code",
                "pin",
                "status",
                "category",
                "privacy",
                "submitted_at",
                "status_url",
                "channel",
            ],
            "properties": {
                **component_schemas()["ComplaintReceipt"]["properties"],
                "channel": {"enum": list(channels.DESK_CHANNELS)},
            },
        },
        "TodayFigures": _figures_of_today(),
        "StaffSubmission": {
            "type": "object",
            "description": "Seluruh data sesuai peran pemanggil. view=redacted: tanpa data pribadi dan isi laporan "
            "(aduan pungli/rahasia untuk selain integritas; semua data untuk pimpinan).",
            "required": ["tracking_code", "status", "timeline", "due_at", "notifications", "view"],
            "properties": {
                **summary_props,
                "view": {"enum": ["full", "redacted"]},
                "restricted": {"type": "boolean"},
                "timeline": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"status": {"type": "string"}, "at": _TIME, "note": {"type": ["string", "null"]}},
                    },
                },
                "next_step": {"type": ["object", "null"]},
                "allowed_transitions": {"type": "array", "items": {"type": "string"}},
                "notifications": {"type": "array", "items": {"type": "object"}},
                "applicant": {"type": "object"},
                "reporter": {"type": "object"},
                "complaint": {"type": "object"},
                "details": {"type": "object"},
            },
        },
        "StaffAuditTrail": {
            "type": "object",
            "required": ["tracking_code", "entries"],
            "properties": {
                "tracking_code": {"type": "string"},
                "entries": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["action", "at", "actor"],
                        "properties": {
                            "action": {"enum": ["transition", "read"]},
                            "at": _TIME,
                            "actor": {"type": "object"},
                            "from": {"type": "string"},
                            "to": {"type": "string"},
                            "note": {"type": ["string", "null"]},
                            "note_redacted": {"type": "boolean"},
                            "what": {"type": "string"},
                            "view": {"type": "string"},
                        },
                    },
                },
            },
        },
    }


def _desk_complaint() -> dict[str, Any]:
    """The Call Center desk's body: a complaint exactly as citizens send it, plus the channel."""
    schema: dict[str, Any] = copy.deepcopy(component_schemas()["ComplaintIn"])
    schema["title"] = "DeskComplaint"
    schema["properties"]["channel"] = {
        "enum": list(channels.DESK_CHANNELS),
        "title": "Saluran",
        "description": "Bagaimana warga menghubungi Call Center Bahagia.",
    }
    schema["required"] = [*schema.get("required", []), "channel"]
    return schema


def _figures_of_today() -> dict[str, Any]:
    from reports.serving import openapi_schemas

    schema: dict[str, Any] = copy.deepcopy(openapi_schemas()["NightlyReport"])
    schema["title"] = "TodayFigures"
    schema["properties"]["as_of"] = {**_TIME, "description": "Saat angka dihitung"}
    return schema


def staff_paths() -> dict[str, Any]:
    security: list[dict[str, list[str]]] = [{"staffBearer": []}]
    query = [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in ("status", "kind", "program", "category", "kecamatan", "kelurahan", "opd")
    ] + [
        {"name": "overdue", "in": "query", "required": False, "schema": {"enum": ["true", "false"]}},
        {
            "name": "sort",
            "in": "query",
            "required": False,
            "description": "newest (bawaan): terbaru dulu; due: paling lewat tenggat dulu (hanya kasus yang menunggu "
            "tindakan petugas).",
            "schema": {"enum": ["newest", "due"]},
        },
        {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
        {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}},
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
        },
    ]
    return {
        "/v1/staff/me": {
            "get": {
                "operationId": "staffMe",
                "summary": "Petugas yang masuk: e-mail, peran, OPD (untuk konsol petugas)",
                "security": security,
                "responses": {**_ok("Petugas", "StaffMe"), **_staff_errors(401, 403, 405, 503)},
            }
        },
        "/v1/staff/submissions": {
            "get": {
                "operationId": "staffListSubmissions",
                "summary": "Daftar pengajuan dan pengaduan (ringkas, tanpa data pribadi), dengan filter dan halaman",
                "security": security,
                "parameters": query,
                "responses": {**_ok("Daftar", "StaffSubmissionList"), **_staff_errors(401, 403, 405, 422, 503)},
            }
        },
        "/v1/staff/submissions/{tracking_code}": {
            "get": {
                "operationId": "staffGetSubmission",
                "summary": "Satu data sesuai peran, dengan riwayat, batas waktu dan catatan SMS",
                "security": security,
                "parameters": [_CODE],
                "responses": {**_ok("Data", "StaffSubmission"), **_staff_errors(401, 403, 404, 405, 503)},
            }
        },
        "/v1/staff/submissions/{tracking_code}/transitions": {
            "post": {
                "operationId": "staffTransitionSubmission",
                "summary": "Ubah status (dengan catatan wajib); satu transaksi, satu peristiwa",
                "security": security,
                "parameters": [_CODE],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": {"$ref": REF.format(model="StaffTransition")}}},
                },
                "responses": {
                    **_ok("Status baru", "StaffSubmission"),
                    **_staff_errors(400, 401, 403, 404, 405, 409, 413, 415, 422, 503),
                },
            }
        },
        "/v1/staff/submissions/{tracking_code}/audit": {
            "get": {
                "operationId": "staffGetAudit",
                "summary": "Jejak audit (hanya tambah, tidak dapat diubah)",
                "security": security,
                "parameters": [_CODE],
                "responses": {**_ok("Jejak audit", "StaffAuditTrail"), **_staff_errors(401, 403, 404, 405, 503)},
            }
        },
        "/v1/staff/users": {
            "get": {
                "operationId": "staffListUsers",
                "summary": "Daftar petugas (admin)",
                "security": security,
                "responses": {
                    "200": {
                        "description": "Petugas",
                        "content": {
                            JSON: {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "users": {"type": "array", "items": {"$ref": REF.format(model="StaffUser")}}
                                    },
                                }
                            }
                        },
                    },
                    **_staff_errors(401, 403, 405, 503),
                },
            }
        },
        "/v1/staff/users/audit": {
            "get": {
                "operationId": "staffListUserChanges",
                "summary": "Riwayat perubahan direktori petugas, terbaru dulu (admin)",
                "security": security,
                "responses": {**_ok("Riwayat", "StaffChanges"), **_staff_errors(401, 403, 405, 503)},
            }
        },
        "/v1/staff/complaints": {
            "post": {
                "operationId": "staffFileComplaint",
                "summary": "Call Center Bahagia: operator mencatat pengaduan atau aspirasi warga (jalur yang sama "
                "dengan /v1/complaints: validasi, Idempotency-Key, SMS tanda terima), dengan saluran",
                "security": security,
                "parameters": [_idempotency_header()],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": {"$ref": REF.format(model="DeskComplaint")}}},
                },
                "responses": {
                    "201": {
                        "description": "Tercatat; kode pelacakan dan PIN untuk dibacakan kepada warga",
                        "content": {JSON: {"schema": {"$ref": REF.format(model="DeskComplaintReceipt")}}},
                    },
                    **_staff_errors(400, 401, 403, 405, 409, 413, 415, 422, 503),
                },
            }
        },
        "/v1/staff/dashboard": {
            "get": {
                "operationId": "staffTodayFigures",
                "summary": "Angka hari ini (WIB) sejauh ini, dihitung seperti laporan harian, tidak disimpan "
                "(pimpinan, admin)",
                "security": security,
                "responses": {**_ok("Angka hari ini", "TodayFigures"), **_staff_errors(401, 403, 405, 503)},
            }
        },
        "/v1/staff/users/{email}": {
            "put": {
                "operationId": "staffPutUser",
                "summary": "Tambah atau ubah peran petugas (admin)",
                "security": security,
                "parameters": [{"name": "email", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": {"$ref": REF.format(model="StaffUserIn")}}},
                },
                "responses": {
                    **_ok("Petugas", "StaffUser"),
                    **_staff_errors(400, 401, 403, 404, 405, 413, 415, 422, 503),
                },
            }
        },
    }


def security_schemes() -> dict[str, Any]:
    return {
        "staffBearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Produksi: Google ID token untuk audiens staf; lokal: `make staff-token ROLE=<peran>`.",
        }
    }
