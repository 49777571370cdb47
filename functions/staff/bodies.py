"""The staff API's request bodies, parsed at the edge into the models of bahagia.models (422 with one detail per bad
field, in Bahasa Indonesia, never echoing a value).

The texts and the order of the details are the contract's: the fields a model knows first, in its order, then any
unknown field, by name. Rules that need the catalogue (a role's OPD) are checked on what was sent, beside pydantic's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from bahagia import channels
from bahagia.errors import FieldError, validation_failed
from bahagia.models import NOTE_MAX_LENGTH, StaffTransition, StaffUserIn
from ports import StaffMember
from staff.auth import check_role, normalize_email

_UNKNOWN = "Isian ini tidak dikenal."


def _problems(model: type[BaseModel], body: Mapping[str, Any]) -> tuple[BaseModel | None, dict[str, str], list[str]]:
    """(the model or None, pydantic's error type by known field, the unknown fields sorted)."""
    try:
        return model.model_validate(body), {}, []
    except ValidationError as exc:
        by_field: dict[str, str] = {}
        unknown: set[str] = set()
        for error in exc.errors(include_input=False, include_url=False):
            name = ".".join(str(part) for part in error["loc"][:1])
            if error["type"] == "extra_forbidden":
                unknown.add(name)
            else:
                by_field.setdefault(name, error["type"])
        return None, by_field, sorted(unknown)


def parse_transition(body: Mapping[str, Any]) -> StaffTransition:
    """POST .../transitions: `to` and `note` required (blank counts as missing), `opd` and `from` optional."""
    parsed, invalid, unknown = _problems(StaffTransition, body)
    details: list[FieldError] = []
    if "to" in invalid:
        details.append(FieldError("to", "required", "Status tujuan wajib diisi."))
    if invalid.get("note") in ("string_too_long", "too_long"):
        details.append(FieldError("note", "too_long", f"Catatan paling banyak {NOTE_MAX_LENGTH} karakter."))
    elif "note" in invalid:
        details.append(FieldError("note", "required", "Catatan wajib diisi untuk setiap perubahan status."))
    details.extend(FieldError(name, "unknown_field", _UNKNOWN) for name in unknown)
    if details or not isinstance(parsed, StaffTransition):
        raise validation_failed(details)
    return parsed


def parse_staff_user(email: str, body: Mapping[str, Any], opd_ids: set[str]) -> StaffMember:
    """PUT /v1/staff/users/{email}: the e-mail of the path and the role, OPD and `active` of the body."""
    details: list[FieldError] = []
    email = normalize_email(email)
    if "@" not in email or len(email) > 254 or any(ch.isspace() for ch in email):
        details.append(FieldError("email", "invalid_email", "Alamat e-mail tidak sah."))
    parsed, invalid, unknown = _problems(StaffUserIn, body)
    details.extend(FieldError(name, "unknown_field", _UNKNOWN) for name in unknown)
    # Judged on what was sent, whatever pydantic made of it: an `opd` member needs a known OPD, nobody else has one.
    assignment = check_role(body.get("role"), body.get("opd"), opd_ids)
    if assignment is None:
        details.append(
            FieldError("role", "invalid_role", "Peran tidak sah; peran opd wajib disertai OPD yang dikenal.")
        )
    if "active" in invalid:
        details.append(FieldError("active", "invalid_boolean", "Isian active harus true atau false."))
    if details or assignment is None or not isinstance(parsed, StaffUserIn):
        raise validation_failed(details)
    return StaffMember(email=email, role=assignment[0], opd=assignment[1], active=parsed.active)


def parse_desk_channel(body: dict[str, Any]) -> str:
    """POST /v1/staff/complaints: the `channel` the caller reached the desk by, taken out of the body (the rest is a
    complaint as citizens send it); 422 when it is missing or not one of bahagia.channels.DESK_CHANNELS."""
    value = body.pop("channel", None)
    if value not in channels.DESK_CHANNELS:
        choices = ", ".join(channels.DESK_CHANNELS)
        raise validation_failed([FieldError("channel", "invalid_choice", f"Pilih saluran: {choices}.")])
    assert isinstance(value, str)
    return value
