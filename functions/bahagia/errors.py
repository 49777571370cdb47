"""One root error type for everything a client can cause; the HTTP edge maps each to its status."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class BahagiaError(Exception):
    code: str
    message: str
    status: int = 400
    details: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:  # never the request's content: codes and messages are ours
        return f"{self.status} {self.code}"


def malformed(message: str = "Isi permintaan tidak dapat dibaca.") -> BahagiaError:
    return BahagiaError("malformed_body", message, 400)


def not_found() -> BahagiaError:
    return BahagiaError("not_found", "Data tidak ditemukan. Periksa kembali kode pelacakan dan PIN Anda.", 404)


def method_not_allowed(allowed: list[str]) -> BahagiaError:
    return BahagiaError(
        "method_not_allowed", "Metode permintaan tidak didukung.", 405, headers={"Allow": ", ".join(allowed)}
    )


def validation_failed(details: list[FieldError]) -> BahagiaError:
    return BahagiaError("validation_failed", "Ada isian yang perlu diperbaiki.", 422, details=details)


def duplicate_application() -> BahagiaError:
    return BahagiaError(
        "duplicate_application",
        "Masih ada permohonan yang sedang diproses untuk program ini dengan NIK yang sama. "
        "Silakan tunggu sampai permohonan tersebut selesai.",
        409,
    )


def idempotency_key_reused() -> BahagiaError:
    return BahagiaError("idempotency_key_reused", "Kunci idempotensi ini sudah dipakai untuk permintaan lain.", 409)


def rate_limited(retry_after_seconds: int) -> BahagiaError:
    return BahagiaError(
        "rate_limited",
        "Terlalu banyak percobaan. Silakan coba lagi nanti.",
        429,
        headers={"Retry-After": str(retry_after_seconds)},
    )


def unavailable() -> BahagiaError:
    return BahagiaError(
        "service_unavailable",
        "Layanan sedang sibuk atau tidak tersedia. Silakan kirim ulang sebentar lagi.",
        503,
        headers={"Retry-After": "5"},
    )
