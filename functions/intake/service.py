"""The intake use cases: accept a submission exactly once, publish its event, and answer status look-ups."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import outbox
from bahagia import calendar, channels, codes, errors, events, report_counters, sla, submissions
from bahagia.catalogue import Catalogue
from bahagia.submissions import Submission
from intake.parsing import IdempotencyKey
from logs import get_logger
from outbox import BatchedOutboxCleaner
from ports import CommitConflict, EventPublisher, NewSubmission, SubmissionStore
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


def _key_id(ctx: IntakeContext, key: IdempotencyKey) -> str:
    return codes.keyed_digest(ctx.settings.secret_bytes, "idempotency", key.kind, key.key)


def _replayed(ctx: IntakeContext, record: dict[str, Any], key: IdempotencyKey) -> Accepted:
    if record["fingerprint"] != key.fingerprint:
        raise errors.idempotency_key_reused()
    pin = codes.derived_pin(ctx.settings.secret_bytes, "pin", key.key, record["tracking_code"])
    return Accepted(record["response"], pin, replayed=True, headers={"Idempotent-Replayed": "true"})


def replay(ctx: IntakeContext, key: IdempotencyKey) -> Accepted | None:
    """The first answer to this key, if it was accepted before (409 if with another body); None otherwise.

    Asked before the body is judged: a retry of an accepted request gets its receipt even if the same body would no
    longer pass (the catalogue changed, a birthday made the applicant too old), because the first one was accepted.
    """
    record = ctx.store.get_idempotency(_key_id(ctx, key))
    return None if record is None else _replayed(ctx, record, key)


def today(ctx: IntakeContext) -> dt.date:
    """The WIB date the request is judged on (ages, dates in the future)."""
    return calendar.business_day(ctx.clock())


@dataclass(frozen=True)
class _Attempt:
    """One try at committing a submission under a freshly drawn tracking code."""

    code: str
    pin: str
    pin_hash: str
    new: NewSubmission
    response: dict[str, Any]


def _attempt(
    ctx: IntakeContext, submission: Submission, key: IdempotencyKey | None, now: dt.datetime, channel: str
) -> _Attempt:
    secret = ctx.settings.secret_bytes
    code = ctx.new_code()
    # With a key the PIN is derived from it, so that a replay can show the same PIN while only its hash is stored.
    pin = codes.derived_pin(secret, "pin", key.key, code) if key else ctx.new_pin()
    salt = ctx.new_salt()
    pin_hash = codes.hash_pin(pin, bytes.fromhex(salt), secret)
    document = submissions.new_document(submission, code, now, pin_hash, salt, secret, ctx.catalogue, channel)
    document["due_at"] = sla.initial_due_at(document["kind"], now)
    event = events.submission_event(events.RECEIVED, document, ctx.new_event_id(), now)
    response = submissions.receipt(document, f"{ctx.settings.public_base_url}/v1/track/{code}")
    idempotency = None
    if key is not None:
        record = {
            "fingerprint": key.fingerprint,
            "tracking_code": code,
            "response": response,  # without the PIN, which is derived again from the key on replay
            "created_at": now,
            "expires_at": now + dt.timedelta(hours=ctx.settings.idempotency_ttl_hours),
        }
        idempotency = (_key_id(ctx, key), record)
    counts = report_counters.submission_counts(document)
    new = NewSubmission(document, event, idempotency, document.get("dedup_key"), counts, now)
    return _Attempt(code, pin, pin_hash, new, response)


def _after_conflict(ctx: IntakeContext, reason: str, attempt: _Attempt, key: IdempotencyKey | None) -> Accepted | None:
    """What a failed create() means: the answer of the request that won the key, ours after all (its answer was lost
    on the way back), None for a tracking code someone else holds (draw another), or an error."""
    if reason == "idempotency" and key is not None and attempt.new.idempotency is not None:
        winner = ctx.store.get_idempotency(attempt.new.idempotency[0])
        if winner is not None:
            return _replayed(ctx, winner, key)
    if reason == "submission":
        stored = ctx.store.get_submission(attempt.code)
        if stored is not None and stored.get("pin_hash") == attempt.pin_hash:
            return _published(ctx, attempt)
        return None
    if reason == "duplicate":
        raise errors.duplicate_application() from None
    raise errors.unavailable() from None


def _published(ctx: IntakeContext, attempt: _Attempt) -> Accepted:
    event, document = attempt.new.outbox_event, attempt.new.document
    fields = {"tracking_code": attempt.code, "kind": document["kind"], "channel": document["channel"]}
    log.info("submission accepted", extra={"fields": {**fields, "event_id": event["event_id"]}})
    outbox.send_committed_event(ctx.publisher, ctx.store, ctx.outbox_cleaner, event)
    return Accepted(attempt.response, attempt.pin)


def submit(
    ctx: IntakeContext, submission: Submission, key: IdempotencyKey | None, channel: str = channels.DEFAULT_CHANNEL
) -> Accepted:
    """Commit a parsed submission once (document + markers + outbox in one batch), then publish its event.
    `channel` (bahagia.channels) is how it reached the city: the caller's to say, never the body's."""
    now = ctx.clock()
    for _ in range(_CODE_ATTEMPTS):
        attempt = _attempt(ctx, submission, key, now, channel)
        try:
            ctx.store.commit_new_submission(attempt.new)
        except CommitConflict as conflict:
            accepted = _after_conflict(ctx, conflict.reason, attempt, key)
            if accepted is None:
                continue  # a tracking code collision: draw another
            return accepted
        return _published(ctx, attempt)
    raise errors.unavailable()


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
