"""Submission documents: how an accepted application or complaint is stored, and what a citizen may see of it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

from bahagia import calendar, channels
from bahagia.codes import keyed_digest
from bahagia.identity import nik_birth_date, nik_gender
from bahagia.models import ApplicationBase, ComplaintIn

if TYPE_CHECKING:
    from bahagia.catalogue import Catalogue

SCHEMA_VERSION = 1


def status_label(kind: str, status: str) -> str:
    """The citizen-facing name of a status, from the lifecycle data (bahagia/data/lifecycles.json)."""
    from bahagia import lifecycle

    try:
        return lifecycle.lifecycle(kind).status(status).label
    except (KeyError, ValueError):
        return status


Submission = ApplicationBase | ComplaintIn
"""A parsed request: one programme's application model, or a complaint."""


def kind_of(submission: Submission) -> str:
    return "complaint" if isinstance(submission, ComplaintIn) else "application"


def body_fingerprint(data: dict[str, Any]) -> str:
    """Same body, same fingerprint, whatever the key order or encoding (JSON or form) it came in."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def request_fingerprint(kind: str, body: dict[str, Any], channel: str = channels.DEFAULT_CHANNEL) -> str:
    """What an Idempotency-Key is bound to: the kind, the body as sent and, from the Call Center desk, its channel.

    An anonymous reporter is not stored, not even hashed: from a plain hash of the whole body, anyone holding the
    database could confirm a suspected reporter's name and phone (the rest of the body is stored).
    """
    if body.get("privacy") == "anonymous":
        body = {key: value for key, value in body.items() if key != "reporter"}
    bound: dict[str, Any] = {"kind": kind, "body": body}
    if channel != channels.DEFAULT_CHANNEL:  # the web's fingerprints stay what they were before channels existed
        bound["channel"] = channel
    return body_fingerprint(bound)


def open_application_key(secret: bytes, application: ApplicationBase) -> str:
    """The `open_applications` id: one open application per programme, benefit and NIK, keyed so no NIK is read."""
    benefit = getattr(application, "benefit", None) or "-"
    return keyed_digest(secret, "open-application", application.program, benefit, application.applicant.nik)


# --- the open-application marker and possible duplicates (NIK squatting) ------------------------------------------
#
# One open application per (programme, benefit, NIK) stays the rule, but the NIK alone does not prove who files: a
# stranger who knows someone's NIK must not be able to block that person by filing first. So the marker also keeps
# a keyed hash of the applicant's phone. A filing with the same NIK and the same phone is the same person: 409. One
# with another phone is accepted as a possible duplicate, linked both ways (`possible_duplicate_of` on it,
# `possible_duplicates` on the marker's holder) for the verifikator to judge side by side.


def applicant_phone_key(secret: bytes, phone: str) -> str:
    """Opaque id of an applicant's phone (E.164) in the marker: the number itself is never copied."""
    return keyed_digest(secret, "applicant-phone", phone)


def open_application_marker(code: str, phone_key: str, now: dt.datetime) -> dict[str, Any]:
    """A new `open_applications` document: `code` holds the NIK for its programme; no duplicates yet."""
    return {"tracking_code": code, "phone_key": phone_key, "created_at": now, "duplicates": {}}


def is_same_applicant(marker: dict[str, Any], phone_key: str) -> bool:
    """Whether a filing with this phone is by someone who already has an open filing under the marker's NIK."""
    duplicates = marker.get("duplicates") or {}
    return phone_key == marker.get("phone_key") or any(d.get("phone_key") == phone_key for d in duplicates.values())


def with_possible_duplicate(marker: dict[str, Any], code: str, phone_key: str, now: dt.datetime) -> dict[str, Any]:
    """The marker once `code` (same NIK, another phone) is accepted as a possible duplicate of its holder."""
    duplicates = dict(marker.get("duplicates") or {})
    duplicates[code] = {"phone_key": phone_key, "at": now}
    return {**marker, "duplicates": duplicates}


def after_closing(marker: dict[str, Any], code: str) -> dict[str, Any] | None:
    """The marker once the filing `code` is closed, or None when no open filing is left (the NIK may apply again).

    When the holder closes (a squatter's filing rejected, say), the earliest open duplicate holds the NIK instead."""
    duplicates = dict(marker.get("duplicates") or {})
    if marker.get("tracking_code") != code:
        duplicates.pop(code, None)
        return {**marker, "duplicates": duplicates}
    if not duplicates:
        return None
    successor = min(duplicates, key=lambda c: (duplicates[c].get("at") is None, duplicates[c].get("at"), c))
    held = duplicates.pop(successor)
    return {
        **marker,
        "tracking_code": successor,
        "phone_key": held.get("phone_key"),
        "created_at": held.get("at"),
        "duplicates": duplicates,
    }


def _common(code: str, kind: str, now: dt.datetime, pin_hash: str, pin_salt: str) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tracking_code": code,
        "kind": kind,
        "channel": channels.DEFAULT_CHANNEL,
        "status": "diterima",
        "submitted_at": now,
        "status_changed_at": now,
        "business_date": calendar.business_date(now),
        "pin_hash": pin_hash,
        "pin_salt": pin_salt,
        "timeline": [{"status": "diterima", "at": now, "note": None}],
        "program": None,
        "benefit": None,
        "category": None,
        "opd": None,
    }


def application_document(
    application: ApplicationBase, code: str, now: dt.datetime, pin_hash: str, pin_salt: str, dedup_key: str
) -> dict[str, Any]:
    data = application.model_dump(mode="json", exclude={"consent"})
    applicant = data["applicant"]
    stated = application.applicant.birth_date
    return {
        **_common(code, "application", now, pin_hash, pin_salt),
        "program": data["program"],
        "benefit": data.get("benefit"),
        "privacy": "private",
        "kecamatan": applicant["address"]["kecamatan"],
        "kelurahan": applicant["address"]["kelurahan"],
        "applicant": applicant,
        "details": data["details"],
        "consent_at": now,
        # For the verifier: the contract accepts a stated birth date that differs from the NIK, but flags it.
        "checks": {
            "nik_birth_date_matches": nik_birth_date(applicant["nik"]) == stated,
            "nik_gender_matches": nik_gender(applicant["nik"]) == applicant["gender"],
        },
        "dedup_key": dedup_key,
    }


def complaint_document(
    complaint: ComplaintIn, code: str, now: dt.datetime, pin_hash: str, pin_salt: str, default_opd: str | None
) -> dict[str, Any]:
    data = complaint.model_dump(mode="json")
    document = {
        **_common(code, "complaint", now, pin_hash, pin_salt),
        "category": data["category"],
        "privacy": data["privacy"],
        "kecamatan": data["location"]["kecamatan"],
        "kelurahan": data["location"]["kelurahan"],
        "complaint": {
            "description": data["description"],
            "location": data["location"],
            "occurred_on": data["occurred_on"],
        },
        "suggested_opd": default_opd,
    }
    if data["privacy"] != "anonymous" and data.get("reporter"):
        document["reporter"] = data["reporter"]
    return document


def new_document(
    submission: Submission,
    code: str,
    now: dt.datetime,
    pin_hash: str,
    pin_salt: str,
    secret: bytes,
    catalogue: Catalogue,
    channel: str = channels.DEFAULT_CHANNEL,
) -> dict[str, Any]:
    """The `submissions/{code}` document of a parsed request that came in by `channel` (bahagia.channels)."""
    if channel not in channels.CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if isinstance(submission, ComplaintIn):
        default_opd = catalogue.categories[submission.category]["default_opd"]
        document = complaint_document(submission, code, now, pin_hash, pin_salt, default_opd)
    else:
        key = open_application_key(secret, submission)
        document = application_document(submission, code, now, pin_hash, pin_salt, key)
    document["channel"] = channel
    return document


RECEIPT_FIELDS = {"application": ("program", "benefit"), "complaint": ("category", "privacy")}


def receipt(document: dict[str, Any], status_url: str) -> dict[str, Any]:
    """The answer to an accepted submission, without the PIN (stored with the Idempotency-Key for a replay)."""
    return {
        "tracking_code": document["tracking_code"],
        "status": document["status"],
        **{name: document[name] for name in RECEIPT_FIELDS[document["kind"]] if document.get(name)},
        "submitted_at": calendar.iso_utc(document["submitted_at"]),
        "status_url": status_url,
    }


def contact_phone(document: dict[str, Any]) -> str | None:
    """The one place the citizen's number is kept: the applicant's or the reporter's."""
    if document.get("kind") == "application":
        return (document.get("applicant") or {}).get("phone")
    if document.get("privacy") == "anonymous":
        return None
    return (document.get("reporter") or {}).get("phone")


def _iso(moment: Any) -> Any:
    return calendar.iso_utc(moment) if isinstance(moment, dt.datetime) else moment


def public_status(document: dict[str, Any]) -> dict[str, Any]:
    """What GET /v1/track shows: status and timeline, never personal data nor staff notes."""
    view: dict[str, Any] = {
        "tracking_code": document["tracking_code"],
        "kind": document["kind"],
        "status": document["status"],
        "status_label": status_label(document["kind"], document["status"]),
        "submitted_at": _iso(document["submitted_at"]),
        "updated_at": _iso(document.get("status_changed_at", document["submitted_at"])),
        "timeline": [
            {"status": step["status"], "label": status_label(document["kind"], step["status"]), "at": _iso(step["at"])}
            for step in document.get("timeline", [])
        ],
    }
    if document["kind"] == "application":
        view["program"] = document["program"]
        if document.get("benefit"):
            view["benefit"] = document["benefit"]
    else:
        view["category"] = document["category"]
    if document.get("next_step"):
        view["next_step"] = document["next_step"]
    return view


def _all_status_labels() -> dict[str, str]:
    from bahagia import lifecycle

    labels: dict[str, str] = {}
    for kind in ("complaint", "application"):
        for name, info in lifecycle.lifecycle(kind).statuses.items():
            labels.setdefault(name, info.label)
    return labels


def __getattr__(name: str) -> Any:
    # STATUS_LABELS (every status of either lifecycle with its label) is built on first use: the lifecycle module
    # imports this one indirectly, so building it at import time would be circular.
    if name == "STATUS_LABELS":
        return _all_status_labels()
    raise AttributeError(name)
