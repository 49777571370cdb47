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
from bahagia.models import ApplicationBase
from bahagia.submissions import Submission
from intake.devices import TrustedDevice
from intake.parsing import IdempotencyKey
from logs import get_logger
from outbox import BatchedOutboxCleaner
from ports import CommitConflict, EventPublisher, NewSubmission, OpenApplication, SubmissionStore
from settings import Settings

log = get_logger("bahagia.intake")

_ATTEMPTS = 5
"""Commits tried per request: a tracking code someone else drew, or an open-application marker that changed between
our read and our write (another possible duplicate, a holder closed), make us draw and judge again."""


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
    return codes.keyed_digest(ctx.settings.keys.ids, "idempotency", key.kind, key.key)


def _replayed(ctx: IntakeContext, record: dict[str, Any], key: IdempotencyKey) -> Accepted:
    if record["fingerprint"] != key.fingerprint:
        raise errors.idempotency_key_reused()
    pin = codes.derived_pin(ctx.settings.keys.pin_derivation, "pin", key.key, record["tracking_code"])
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
    phone_key: str | None
    """The applicant's phone in the open-application marker (applications only)."""


def _attempt(
    ctx: IntakeContext,
    submission: Submission,
    key: IdempotencyKey | None,
    now: dt.datetime,
    held_by: OpenApplication | None,
    channel: str,
    client: str | None,
) -> _Attempt:
    keys = ctx.settings.keys
    code = ctx.new_code()
    # With a key the PIN is derived from it, so that a replay can show the same PIN while only its hash is stored.
    pin = codes.derived_pin(keys.pin_derivation, "pin", key.key, code) if key else ctx.new_pin()
    salt = ctx.new_salt()
    pin_hash = codes.hash_pin(pin, bytes.fromhex(salt), keys.pin_pepper)
    document = submissions.new_document(submission, code, now, pin_hash, salt, keys.ids, ctx.catalogue, channel)
    document["due_at"] = sla.initial_due_at(document["kind"], now)
    if client:
        # For notify's SMS budget per address: a keyed hash that changes every WIB day, so it neither names the
        # address nor links one day's filings to another's; never in the event, the answer or a log.
        document["client_key"] = codes.keyed_digest(keys.ids, "sms-client", client, document["business_date"])
    phone_key = marker = None
    if isinstance(submission, ApplicationBase):
        phone_key = submissions.applicant_phone_key(keys.ids, submission.applicant.phone)
        if held_by is None:
            marker = submissions.open_application_marker(code, phone_key, now)
        else:
            # Same NIK, another phone: accepted, flagged for the verifikator, linked both ways (docs/STAFF.md).
            document["possible_duplicate_of"] = held_by.marker["tracking_code"]
            marker = submissions.with_possible_duplicate(held_by.marker, code, phone_key, now)
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
    new = NewSubmission(document, event, idempotency, document.get("dedup_key"), counts, now, marker, held_by)
    return _Attempt(code, pin, pin_hash, new, response, phone_key)


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
    raise errors.unavailable() from None


def _holder(ctx: IntakeContext, attempt: _Attempt) -> OpenApplication | None:
    """Who holds the NIK our application collided with: 409 when it is the same person (same NIK and phone), the
    marker to file beside when it is someone else, None when it was closed meanwhile (file as the holder)."""
    assert attempt.new.dedup_key is not None
    assert attempt.phone_key is not None
    held = ctx.store.get_open_application(attempt.new.dedup_key)
    if held is not None and submissions.is_same_applicant(held.marker, attempt.phone_key):
        raise errors.duplicate_application()
    return held


def _published(ctx: IntakeContext, attempt: _Attempt) -> Accepted:
    event, document = attempt.new.outbox_event, attempt.new.document
    fields = {"tracking_code": attempt.code, "kind": document["kind"], "channel": document["channel"]}
    log.info("submission accepted", extra={"fields": {**fields, "event_id": event["event_id"]}})
    outbox.send_committed_event(ctx.publisher, ctx.store, ctx.outbox_cleaner, event)
    return Accepted(attempt.response, attempt.pin)


def submit(
    ctx: IntakeContext,
    submission: Submission,
    key: IdempotencyKey | None,
    channel: str = channels.DEFAULT_CHANNEL,
    client: str | None = None,
) -> Accepted:
    """Commit a parsed submission once (document + markers + outbox in one batch), then publish its event.
    `channel` (bahagia.channels) is how it reached the city: the caller's to say, never the body's. `client`: the
    address that posted it, kept only as a daily keyed hash for the SMS budget per address.

    An application whose NIK already has an open one for the programme is 409 only from the same person (same
    phone); from anyone else it is accepted as a possible duplicate and answered the same (bahagia.submissions)."""
    now = ctx.clock()
    held_by: OpenApplication | None = None
    for _ in range(_ATTEMPTS):
        attempt = _attempt(ctx, submission, key, now, held_by, channel, client)
        try:
            ctx.store.commit_new_submission(attempt.new)
        except CommitConflict as conflict:
            if conflict.reason == "duplicate":
                held_by = _holder(ctx, attempt)
                continue
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


@dataclass(frozen=True)
class _Budget:
    """One rate-limit bucket a status look-up counts against: its id, how many it allows, when it starts afresh."""

    bucket: str
    limit: int
    resets_at: dt.datetime


def _budgets(
    ctx: IntakeContext, code: str, client: str, device: TrustedDevice | None, now: dt.datetime
) -> list[_Budget]:
    """Which budgets a look-up spends (docs/SECURITY.md, "PIN guessing").

    A device trusted for this code (it filed it, or showed its right PIN before) spends only its own budget, which
    strangers cannot touch: no stranger can lock the owner out. Every other request spends the code's shared budget
    (per window and per WIB day: this bounds guessing whatever the number of addresses) and its address's budget.
    """
    settings, ids = ctx.settings, ctx.settings.keys.ids
    window, window_end = _window(ctx, now)
    per_code = settings.track_max_failures_per_code
    if device is not None and device.trusts(code):
        return [_Budget(codes.keyed_digest(ids, "track-device", device.id, code, str(window)), per_code, window_end)]
    day = calendar.business_day(now)
    return [
        _Budget(codes.keyed_digest(ids, "track-code", code, str(window)), per_code, window_end),
        _Budget(
            codes.keyed_digest(ids, "track-code-day", code, day.isoformat()),
            settings.track_max_failures_per_code_per_day,
            calendar.start_of(day + dt.timedelta(days=1)),
        ),
        _Budget(
            codes.keyed_digest(ids, "track-client", client, str(window)),
            settings.track_max_failures_per_client,
            window_end,
        ),
    ]


def track(
    ctx: IntakeContext, raw_code: str, pin: str | None, client: str, device: TrustedDevice | None = None
) -> dict[str, Any]:
    """The public status of a submission. Unknown code, missing PIN and wrong PIN are one and the same 404.

    Count first, then check: the request adds itself to its budgets in one atomic write and reads the counts that
    write returns, so parallel guesses cannot all slip under a limit; only a request within every budget reaches the
    hash. A right PIN takes its count back: checking one's own status again and again never runs out.
    """
    now = ctx.clock()
    code = codes.normalize_tracking_code(raw_code) or raw_code.strip().upper()[:32]
    budgets = _budgets(ctx, code, client, device, now)
    counts = ctx.store.count_attempts({b.bucket: b.resets_at + dt.timedelta(hours=1) for b in budgets})
    spent = [b for b in budgets if counts[b.bucket] > b.limit]
    if spent:
        raise errors.rate_limited(max(1, int((max(b.resets_at for b in spent) - now).total_seconds())))

    document = None
    if codes.normalize_tracking_code(raw_code) and pin and pin.isdigit() and len(pin) == codes.PIN_LENGTH:
        document = ctx.store.get_submission(code)
        if document is not None and not codes.check_pin(
            pin, bytes.fromhex(document["pin_salt"]), ctx.settings.keys.pin_pepper, document["pin_hash"]
        ):
            document = None
    if document is None:
        raise errors.not_found()  # the attempt stays counted
    ctx.store.refund_attempts([b.bucket for b in budgets])
    # The expected date of the next step (working days, Indonesian calendar): bahagia.sla, computed at read time.
    return submissions.public_status({**document, "next_step": sla.expected_next_step(document, now)})
