"""The staff API's part of the OpenAPI document (merged by bahagia.openapi.openapi_document)."""

from __future__ import annotations

from typing import Any

from bahagia import lifecycle

REF = "#/components/schemas/{model}"
JSON = "application/json"

_ERRORS = {
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


def _errors(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {"description": _ERRORS[s], "content": {JSON: {"schema": {"$ref": REF.format(model="Error")}}}}
        for s in statuses
    }


def _ok(description: str, model: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {JSON: {"schema": {"$ref": REF.format(model=model)}}}}}


def _statuses() -> list[str]:
    return sorted({s for kind in lifecycle.KINDS for s in lifecycle.lifecycle(kind).statuses})


_CODE = {"name": "tracking_code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 32}}
_TIME = {"type": ["string", "null"], "format": "date-time"}


def staff_schemas() -> dict[str, Any]:
    summary_props: dict[str, Any] = {
        "tracking_code": {"type": "string"},
        "kind": {"enum": list(lifecycle.KINDS)},
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
    }
    return {
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
            },
        },
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
        "StaffTransition": {
            "type": "object",
            "required": ["to", "note"],
            "additionalProperties": False,
            "properties": {
                "to": {"enum": _statuses()},
                "note": {"type": "string", "minLength": 1, "maxLength": lifecycle.NOTE_MAX_LENGTH},
                "opd": {"type": "string", "description": "Wajib untuk didisposisikan; id OPD dari katalog."},
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
        "StaffUser": {
            "type": "object",
            "required": ["role"],
            "properties": {
                "email": {"type": "string"},
                "role": {"enum": list(lifecycle.workflow().roles)},
                "opd": {"type": ["string", "null"]},
                "active": {"type": "boolean"},
            },
        },
    }


def staff_paths() -> dict[str, Any]:
    security: list[dict[str, list[str]]] = [{"staffBearer": []}]
    query = [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in ("status", "kind", "program", "category", "kecamatan", "opd")
    ] + [
        {"name": "overdue", "in": "query", "required": False, "schema": {"enum": ["true", "false"]}},
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
        "/v1/staff/submissions": {
            "get": {
                "operationId": "staffListSubmissions",
                "summary": "Daftar pengajuan dan pengaduan (ringkas, tanpa data pribadi), dengan filter dan halaman",
                "security": security,
                "parameters": query,
                "responses": {**_ok("Daftar", "StaffSubmissionList"), **_errors(401, 403, 405, 422, 503)},
            }
        },
        "/v1/staff/submissions/{tracking_code}": {
            "get": {
                "operationId": "staffGetSubmission",
                "summary": "Satu data sesuai peran, dengan riwayat, batas waktu dan catatan SMS",
                "security": security,
                "parameters": [_CODE],
                "responses": {**_ok("Data", "StaffSubmission"), **_errors(401, 403, 404, 405, 503)},
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
                    **_errors(400, 401, 403, 404, 405, 409, 413, 415, 422, 503),
                },
            }
        },
        "/v1/staff/submissions/{tracking_code}/audit": {
            "get": {
                "operationId": "staffGetAudit",
                "summary": "Jejak audit (hanya tambah, tidak dapat diubah)",
                "security": security,
                "parameters": [_CODE],
                "responses": {**_ok("Jejak audit", "StaffAuditTrail"), **_errors(401, 403, 404, 405, 503)},
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
                    **_errors(401, 403, 405, 503),
                },
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
                    "content": {JSON: {"schema": {"$ref": REF.format(model="StaffUser")}}},
                },
                "responses": {**_ok("Petugas", "StaffUser"), **_errors(400, 401, 403, 404, 405, 413, 415, 422, 503)},
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
