"""PIN guessing against the real Firestore emulator: the count and the check are one atomic step.

Before, each request read the bucket, checked the PIN and then recorded its failure: parallel guesses all read a
count under the limit and were all checked. Now each request adds itself to its buckets first (Increment, one commit)
and reads the count that commit returns; only those within the limit reach the hash.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.cloud import firestore

from bahagia.errors import BahagiaError
from bootstrap import build_intake_context
from intake import service
from intake.devices import TrustedDevice
from intake.handlers import accept
from settings import Settings
from tests import samples

GUESSES = 40
THREADS = 20


@pytest.fixture
def ctx(clean_emulators):
    settings = Settings(
        project_id=clean_emulators.project_id,
        environment="test",
        secret_key="guessing-secret",
        publish_timeout_seconds=2.0,
    )
    return build_intake_context(settings)


def _wrong_pins(pin: str, count: int) -> list[str]:
    return [f"{(int(pin) + offset) % 10**6:06d}" for offset in range(1, count + 1)]


def _answers(ctx, code: str, pins: list[str], device: TrustedDevice | None = None) -> Counter[int]:
    """Every PIN sent at once, each from its own address (a botnet), as the status of its answer."""
    barrier = threading.Barrier(THREADS)

    def guess(index: int) -> int:
        if index < THREADS:
            barrier.wait()
        try:
            service.track(ctx, code, pins[index], f"198.51.{index // 250}.{index % 250}", device)
        except BahagiaError as refused:
            return refused.status
        return 200

    with ThreadPoolExecutor(THREADS) as pool:
        return Counter(pool.map(guess, range(len(pins))))


def test_parallel_wrong_pins_reach_the_hash_at_most_the_limit_times(ctx, clean_emulators):
    accepted = accept(ctx, "complaint", samples.complaint(), None)
    code, pin = accepted.response["tracking_code"], accepted.pin
    answers = _answers(ctx, code, _wrong_pins(pin, GUESSES))
    limit = ctx.settings.track_max_failures_per_code
    # 404: the PIN was checked against the hash and was wrong; 429: refused before any check.
    assert answers[404] <= limit
    assert answers[404] + answers[429] == GUESSES
    assert answers[429] >= GUESSES - limit
    # The counter saw every one of them, in one document per bucket, with its TTL.
    rate_limits = firestore.Client(project=clean_emulators.project_id).collection("rate_limits")
    buckets = [snap.to_dict() or {} for snap in rate_limits.stream()]
    assert max(bucket["count"] for bucket in buckets) == GUESSES
    assert all("expires_at" in bucket for bucket in buckets)


def test_the_owner_still_gets_in_after_strangers_spent_the_codes_budget(ctx, clean_emulators):
    accepted = accept(ctx, "complaint", samples.complaint(), None)
    code, pin = accepted.response["tracking_code"], accepted.pin
    strangers = _answers(ctx, code, _wrong_pins(pin, GUESSES))
    assert strangers[429] >= GUESSES - ctx.settings.track_max_failures_per_code
    # Strangers without the owner's device: refused even with the right PIN, so guessing stays bounded.
    with pytest.raises(BahagiaError) as refused:
        service.track(ctx, code, pin, "203.0.113.50")
    assert refused.value.status == 429
    # The owner's phone (trusted since the receipt) has its own budget, which strangers cannot spend.
    phone = TrustedDevice("owner-phone-device-id", (code,))
    for _ in range(8):  # checking again and again never locks the owner out: a right PIN gives its count back
        assert service.track(ctx, code, pin, "203.0.113.7", phone)["tracking_code"] == code
    # And guessing from a stolen device cookie is bounded by that device's own budget, atomically too.
    guesses = _answers(ctx, code, _wrong_pins(pin, THREADS), phone)
    assert guesses[404] <= ctx.settings.track_max_failures_per_code
    assert guesses[404] + guesses[429] == THREADS
