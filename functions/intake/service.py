"""The intake use cases: accept a submission exactly once, publish its event, and answer status look-ups."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import outbox
from bahagia import calendar, codes, errors, events, sla, submissions, validation
from bahagia.catalogue import Catalogue
from logs import get_logger
from outbox import BatchedOutboxCleaner
from ports import CommitConflict, EventPublisher, SubmissionStore
from settings import Settings

log = get_logger("bahagia.intake")

_CODE_ATTEMPTS = 3


@dataclass
class IntakeContext:
    settings: Settings
    catalogue: Catalogue
    store: SubmissionStore
    publisher: EventPublisher
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    new_code: Callable[[], str] = codes.new_tracking_code
    new_event_id: Callable[[], str] = lambda: uuid.uuid4().hex
    new_pin: Callable[[], str] = codes.new_pin
    new_salt: Callable[[], str] = lambda: secrets.token_hex(16)
    outbox_cleaner: BatchedOutboxCleaner | None = None
    """Deletes published outbox entries in background batches; None deletes each one at once (unit tests)."""


@dataclass
class Accepted:
    response: dict[str, Any]
    pin: str
    replayed: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {**self.response, "pin": self.pin}


def _status_url(ctx: IntakeContext, code: str) -> str:
    return f"{ctx.settings.public_base_url}/v1/track/{code}"


def _replay(ctx: IntakeContext, record: dict[str, Any], fingerprint: str, key: str) -> Accepted:
    if record["fingerprint"] != fingerprint:
        raise errors.idempotency_key_reused()
    code = record["tracking_code"]
    pin = codes.derived_pin(ctx.settings.secret_bytes, "pin", key, code)
    return Accepted(record["response"], pin, replayed=True, headers={"Idempotent-Replayed": "true"})


def submit(ctx: IntakeContext, kind: str, data: dict[str, Any], idempotency_key: str | None) -> Accepted:
    """Validate, commit once (document + markers + outbox in one batch), then publish the event."""
    secret = ctx.settings.secret_bytes
    # An anonymous reporter is not stored, not even hashed: from a plain hash of the whole body, anyone holding the
    # database could confirm a suspected reporter's name and phone (the rest of the body is stored).
    anonymous = data.get("privacy") == "anonymous"
    fingerprinted = {k: v for k, v in data.items() if k != "reporter"} if anonymous else data
    fingerprint = submissions.body_fingerprint({"kind": kind, "body": fingerprinted})
    key_id = None
    if idempotency_key is not None:
        if not 8 <= len(idempotency_key) <= 128 or not idempotency_key.isprintable():
            raise errors.validation_failed(
                [
                    errors.FieldError(
                        "idempotency_key", "invalid_idempotency_key", "Kunci idempotensi harus 8-128 karakter."
                    )
                ]
            )
        key_id = codes.keyed_digest(secret, "idempotency", kind, idempotency_key)
        record = ctx.store.get_idempotency(key_id)
        if record is not None:
            return _replay(ctx, record, fingerprint, idempotency_key)

    now = ctx.clock()
    today = calendar.business_day(now)
    if kind == "application":
        model: Any = validation.parse_application(data, ctx.catalogue, today)
        dedup_key: str | None = codes.keyed_digest(
            secret, "open-application", model.program, getattr(model, "benefit", None) or "-", model.applicant.nik
        )
    else:
        model = validation.parse_complaint(data, ctx.catalogue, today)
        dedup_key = None

    for _ in range(_CODE_ATTEMPTS):
        code = ctx.new_code()
        pin = codes.derived_pin(secret, "pin", idempotency_key, code) if idempotency_key else ctx.new_pin()
        salt = ctx.new_salt()
        pin_hash = codes.hash_pin(pin, bytes.fromhex(salt), secret)
        if kind == "application":
            document = submissions.application_document(model, code, now, pin_hash, salt, dedup_key or "")
        else:
            default_opd = ctx.catalogue.categories[model.category]["default_opd"]
            document = submissions.complaint_document(model, code, now, pin_hash, salt, default_opd)
        document["due_at"] = sla.initial_due_at(kind, now)
        event = events.submission_event(events.RECEIVED, document, ctx.new_event_id(), now)
        response: dict[str, Any] = {
            "tracking_code": code,
            "status": document["status"],
            **({"program": document["program"]} if kind == "application" else {}),
            **({"benefit": document["benefit"]} if document.get("benefit") else {}),
            **({"category": document["category"], "privacy": document["privacy"]} if kind == "complaint" else {}),
            "submitted_at": calendar.iso_utc(now),
            "status_url": _status_url(ctx, code),
        }
        idempotency = None
        if key_id is not None:
            idempotency = (
                key_id,
                {
                    "fingerprint": fingerprint,
                    "tracking_code": code,
                    "response": response,  # without the PIN, which is derived again from the key on replay
                    "created_at": now,
                    "expires_at": now + dt.timedelta(hours=ctx.settings.idempotency_ttl_hours),
                },
            )
        try:
            ctx.store.commit_new_submission(document, event, idempotency, dedup_key, now)
        except CommitConflict as conflict:
            if conflict.reason == "idempotency" and key_id is not None and idempotency_key is not None:
                winner = ctx.store.get_idempotency(key_id)
                if winner is not None:
                    return _replay(ctx, winner, fingerprint, idempotency_key)
            if conflict.reason == "submission":
                stored = ctx.store.get_submission(code)
                if stored is not None and stored.get("pin_hash") == pin_hash:
                    # Our own commit went through but its answer was lost on the way back.
                    break
                continue  # a tracking code collision: draw another
            if conflict.reason == "duplicate":
                raise errors.duplicate_application() from None
            raise errors.unavailable() from None
        break
    else:
        raise errors.unavailable()

    log.info(
        "submission accepted",
        extra={"fields": {"tracking_code": code, "kind": kind, "event_id": event["event_id"]}},
    )
    outbox.send_committed_event(ctx.publisher, ctx.store, ctx.outbox_cleaner, event)
    return Accepted(response, pin)


def relay_outbox(ctx: IntakeContext, limit: int = 100) -> dict[str, int]:
    """Publish the events whose request could not: every outbox entry older than the configured age."""
    cutoff = ctx.clock() - dt.timedelta(seconds=ctx.settings.outbox_relay_min_age_seconds)
    return outbox.relay(ctx.publisher, ctx.store, ctx.outbox_cleaner, cutoff, limit)


def _window(ctx: IntakeContext, now: dt.datetime) -> tuple[int, dt.datetime]:
    size = ctx.settings.track_failure_window_seconds
    index = int(now.timestamp()) // size
    return index, dt.datetime.fromtimestamp((index + 1) * size, dt.UTC)


def track(ctx: IntakeContext, raw_code: str, pin: str | None, client: str) -> dict[str, Any]:
    """The public status of a submission. Unknown code, missing PIN and wrong PIN are one and the same 404."""
    secret = ctx.settings.secret_bytes
    now = ctx.clock()
    window, window_end = _window(ctx, now)
    code = codes.normalize_tracking_code(raw_code) or raw_code.strip().upper()[:32]
    code_bucket = codes.keyed_digest(secret, "track-code", code, str(window))
    client_bucket = codes.keyed_digest(secret, "track-client", client, str(window))
    counts = ctx.store.failure_counts([code_bucket, client_bucket])
    if (
        counts[code_bucket] >= ctx.settings.track_max_failures_per_code
        or counts[client_bucket] >= ctx.settings.track_max_failures_per_client
    ):
        raise errors.rate_limited(max(1, int((window_end - now).total_seconds())))

    document = None
    if codes.normalize_tracking_code(raw_code) and pin and pin.isdigit() and len(pin) == codes.PIN_LENGTH:
        document = ctx.store.get_submission(code)
        if document is not None and not codes.check_pin(
            pin, bytes.fromhex(document["pin_salt"]), secret, document["pin_hash"]
        ):
            document = None
    if document is None:
        ctx.store.record_failures([code_bucket, client_bucket], window_end + dt.timedelta(hours=1))
        raise errors.not_found()
    # The expected date of the next step (working days, Indonesian calendar): bahagia.sla, computed at read time.
    return submissions.public_status({**document, "next_step": sla.expected_next_step(document, now)})
