"""The OpenAPI 3.1 document of the public API, generated from the pydantic models (schemas/ holds a checked-in copy)."""

from __future__ import annotations

from functools import cache
from typing import Any, Union

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from bahagia.catalogue import catalogue
from bahagia.models import ComplaintIn

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


def _error_responses(*statuses: int) -> dict[str, Any]:
    descriptions = {
        400: "Isi permintaan tidak dapat dibaca",
        404: "Tidak ditemukan",
        405: "Metode tidak didukung",
        409: "Konflik (duplikat, kunci idempotensi dipakai ulang)",
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
    from staff import openapi as staff_openapi  # the staff API's operations live beside their handlers

    document["paths"].update(staff_openapi.staff_paths())
    document["components"]["schemas"] = {**component_schemas(), **staff_openapi.staff_schemas()}  # a copy: cached
    document["components"]["securitySchemes"] = staff_openapi.security_schemes()
    return document
