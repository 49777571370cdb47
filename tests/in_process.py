"""Function targets in process: functions-framework's own app around a handler module, fakes wired in through the
composition root (bootstrap), the one seam every target asks for its context."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app

import bootstrap
from bahagia.catalogue import catalogue
from intake.service import IntakeContext
from settings import Settings
from staff import auth
from tests.fakes import FakePublisher, FakeSubmissionStore

FUNCTIONS = Path(__file__).parents[1] / "functions"
STAFF_AUDIENCE = "bahagia-staff"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def target_client(target: str, handlers: str = "intake/handlers.py", signature_type: str = "http") -> Any:
    """A Flask test client of one target, loaded from its handler module as functions-framework loads it."""
    return create_app(target=target, source=str(FUNCTIONS / handlers), signature_type=signature_type).test_client()


def intake_client(target: str) -> Any:
    return target_client(target, "intake/handlers.py")


def wire_intake(monkeypatch: pytest.MonkeyPatch, now: dt.datetime, secret: str) -> IntakeContext:
    """An intake context on the recording fakes, with a fixed clock, handed to every intake target."""
    context = IntakeContext(
        settings=Settings(environment="test", secret_key=secret),
        catalogue=catalogue(),
        store=FakeSubmissionStore(),
        publisher=FakePublisher(),
        clock=lambda: now,
    )
    monkeypatch.setattr(bootstrap, "intake_context", lambda: context)
    return context


def staff_client() -> Any:
    return target_client("staff_api", "staff/handlers.py")


def staff_bearer(key: bytes, role: str, opd: str | None = None, email: str | None = None) -> dict[str, str]:
    """The Authorization header of a local staff token (an hour long) for this role and OPD."""
    email = email or f"{role}@jambikota.go.id"
    now = dt.datetime.now(dt.UTC)
    token = auth.issue_local_token(key, STAFF_AUDIENCE, email, role, opd, now, dt.timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}
