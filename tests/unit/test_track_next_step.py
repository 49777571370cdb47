"""GET /v1/track shows the citizen the expected date of the next step (bahagia.sla.expected_next_step)."""

from __future__ import annotations

import datetime as dt

from bahagia.catalogue import catalogue
from intake import service
from intake.handlers import accept
from settings import Settings
from tests import samples
from tests.fakes import FakePublisher, FakeSubmissionStore

SUNDAY = dt.datetime(2026, 11, 29, 3, 0, tzinfo=dt.UTC)  # 10:00 WIB


def test_track_shows_when_the_next_step_is_due() -> None:
    clock = {"now": SUNDAY}
    ctx = service.IntakeContext(
        settings=Settings(environment="test", secret_key="unit-test-secret"),
        catalogue=catalogue(),
        store=FakeSubmissionStore(),
        publisher=FakePublisher(),
        clock=lambda: clock["now"],
    )
    accepted = accept(ctx, "complaint", samples.complaint(), None)
    code = accepted.response["tracking_code"]
    status = service.track(ctx, code, accepted.pin, "198.51.100.7")
    # Received on a Sunday: Monday 30 Nov, Tuesday 1 and Wednesday 2 December are the three working days.
    assert status["next_step"] == {
        "status": "diverifikasi",
        "label": "Diverifikasi",
        "expected_by": "2026-12-02",
        "late": False,
    }
    clock["now"] = dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC)
    assert service.track(ctx, code, accepted.pin, "198.51.100.7")["next_step"]["late"] is True

    ctx.store.submissions[code]["status"] = "selesai"  # type: ignore[attr-defined]
    assert "next_step" not in service.track(ctx, code, accepted.pin, "198.51.100.7")
