"""Turning a request body into the nested dict the models expect: parse at the edge, plain functions, no Flask."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qsl

from bahagia import errors

MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 200
MAX_DEPTH = 6
MAX_KEY_LENGTH = 100


def unflatten(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`applicant.address.rt=3` -> {"applicant": {"address": {"rt": "3"}}}.

    Empty values are dropped (a blank optional input is "not filled"); a name given twice, or used both as a value
    and as a group, is a malformed body rather than a silent choice between two answers.
    """
    if len(pairs) > MAX_FIELDS:
        raise errors.BahagiaError("too_many_fields", "Jumlah isian terlalu banyak.", 400)
    root: dict[str, Any] = {}
    seen: set[str] = set()
    for raw_name, value in pairs:
        name = raw_name.strip()
        if not name or len(name) > MAX_KEY_LENGTH:
            raise errors.malformed("Nama isian tidak valid.")
        if name in seen:
            raise errors.malformed("Ada isian yang dikirim lebih dari sekali.")
        seen.add(name)
        if isinstance(value, str) and value.strip() == "":
            continue
        parts = name.split(".")
        if len(parts) > MAX_DEPTH or any(part == "" for part in parts):
            raise errors.malformed("Nama isian tidak valid.")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise errors.malformed("Nama isian bertabrakan.")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise errors.malformed("Nama isian bertabrakan.")
        node[parts[-1]] = value
    return root


def _check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > limit:
            raise errors.malformed("Struktur data terlalu dalam.")
        if count > 10 * MAX_FIELDS:
            raise errors.BahagiaError("too_many_fields", "Jumlah isian terlalu banyak.", 400)
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise errors.malformed("JSON tidak valid.") from None
    if not isinstance(value, dict):
        raise errors.malformed("Isi permintaan harus berupa objek JSON.")
    _check_depth(value)
    # Dotted names are allowed in JSON too, beside (or instead of) nested objects.
    if any("." in key for key in value):
        flat = [(k, v) for k, v in value.items() if "." in k]
        nested = {k: v for k, v in value.items() if "." not in k}
        expanded = unflatten(flat)
        for key, sub in expanded.items():
            if key in nested:
                raise errors.malformed("Nama isian bertabrakan.")
            nested[key] = sub
        value = nested
    return value


def parse_urlencoded(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise errors.malformed("Isian formulir harus UTF-8.") from None
    except ValueError:
        raise errors.BahagiaError("too_many_fields", "Jumlah isian terlalu banyak.", 400) from None
    return unflatten(pairs)


def parse_multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    from werkzeug.exceptions import HTTPException
    from werkzeug.formparser import FormDataParser
    from werkzeug.http import parse_options_header

    mimetype, options = parse_options_header(content_type)
    if "boundary" not in options:
        raise errors.malformed("Batas multipart tidak ada.")
    parser = FormDataParser(max_form_memory_size=MAX_BODY_BYTES, max_form_parts=MAX_FIELDS)
    try:
        _, form, files = parser.parse(io.BytesIO(raw), mimetype, len(raw), options)
    except HTTPException:
        raise errors.BahagiaError("too_many_fields", "Jumlah isian terlalu banyak.", 400) from None
    except (ValueError, UnicodeDecodeError):
        raise errors.malformed("Formulir multipart tidak valid.") from None
    if len(files):
        for upload in files.values():
            upload.close()
        raise errors.BahagiaError("files_not_supported", "Unggahan berkas belum didukung.", 415)
    pairs = [(key, value) for key, values in form.lists() for value in values]
    return unflatten(pairs)


def parse_body(content_type: str | None, raw: bytes) -> tuple[dict[str, Any], bool]:
    """The nested body and whether it came from a form (JSON otherwise)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return parse_json(raw), False
    if media == "application/x-www-form-urlencoded":
        return parse_urlencoded(raw), True
    if media == "multipart/form-data":
        return parse_multipart(raw, content_type or ""), True
    raise errors.BahagiaError(
        "unsupported_media_type",
        "Jenis isi tidak didukung; gunakan application/json atau formulir HTML.",
        415,
    )
