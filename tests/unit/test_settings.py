"""Settings fail closed, and every purpose has its own key.

Unset BAHAGIA_ENVIRONMENT means production: a deploy that forgets a variable stops with a clear error instead of
running on the public development secret with local staff tokens (which anyone could forge). Only an explicit
`local` or `test` environment derives keys from the development secret.
"""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

import bootstrap
from settings import DEV_SECRET, TARGET_KEYS, Settings
from staff import auth
from tests.fakes import FakeStaffDirectory

PIN = "pin-pepper-from-secret-manager-0123456789"
COOKIE = "cookie-key-from-secret-manager-0123456789"
IDS = "id-key-from-secret-manager-0123456789abcd"
PRODUCTION_KEYS = {"BAHAGIA_PIN_PEPPER": PIN, "BAHAGIA_COOKIE_KEY": COOKIE, "BAHAGIA_ID_KEY": IDS}


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment without a single BAHAGIA_ variable (conftest sets BAHAGIA_ENVIRONMENT=test for the suite)."""
    for name in list(os.environ):
        if name.startswith("BAHAGIA_") or name == "FUNCTION_TARGET":
            monkeypatch.delenv(name)
    return monkeypatch


def _env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_nothing_set_is_production_and_refuses_to_start(bare_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    for name in PRODUCTION_KEYS:
        assert name in message


def test_unset_environment_with_the_real_secrets_is_production_with_google_sign_in(
    bare_env: pytest.MonkeyPatch,
) -> None:
    _env(bare_env, **PRODUCTION_KEYS)
    settings = Settings()
    assert settings.environment == "production"
    assert settings.staff_auth == "google"
    verifier = bootstrap.staff_token_verifier(settings, FakeStaffDirectory(), {"dinas-pupr"})
    assert isinstance(verifier, auth.GoogleTokenVerifier)  # never the HS256 tokens anyone could sign


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ({"BAHAGIA_STAFF_AUTH": "local"}, "BAHAGIA_STAFF_AUTH"),
        ({"BAHAGIA_SECRET_KEY": DEV_SECRET}, "BAHAGIA_SECRET_KEY"),
        ({"BAHAGIA_SECRET_KEY": "x" * 48}, "BAHAGIA_SECRET_KEY"),
        ({"BAHAGIA_STAFF_TOKEN_KEY": "y" * 48}, "BAHAGIA_STAFF_TOKEN_KEY"),
        ({"BAHAGIA_COOKIE_KEY": PIN}, "BAHAGIA_PIN_PEPPER and BAHAGIA_COOKIE_KEY"),
        ({"BAHAGIA_ID_KEY": "short"}, "BAHAGIA_ID_KEY"),
        ({"BAHAGIA_PIN_PEPPER": DEV_SECRET}, "BAHAGIA_PIN_PEPPER"),
    ],
)
def test_production_refuses_development_shortcuts(
    bare_env: pytest.MonkeyPatch, extra: dict[str, str], names: str
) -> None:
    _env(bare_env, **{**PRODUCTION_KEYS, **extra})
    with pytest.raises(ValidationError, match=names):
        Settings()


def test_each_function_needs_only_its_own_secrets(bare_env: pytest.MonkeyPatch) -> None:
    _env(bare_env, BAHAGIA_ENVIRONMENT="production", BAHAGIA_FUNCTION_TARGET="list_programs")
    assert Settings().function_target == "list_programs"
    _env(bare_env, BAHAGIA_FUNCTION_TARGET="send_sms_notification", BAHAGIA_ID_KEY=IDS)
    assert Settings().keys.ids
    _env(bare_env, BAHAGIA_FUNCTION_TARGET="submit_application")
    with pytest.raises(ValidationError, match="BAHAGIA_PIN_PEPPER, BAHAGIA_COOKIE_KEY"):
        Settings()
    assert TARGET_KEYS["submit_application"] == ("pin", "cookie", "ids")


def test_a_key_a_function_was_not_given_is_never_made_up(bare_env: pytest.MonkeyPatch) -> None:
    _env(bare_env, BAHAGIA_FUNCTION_TARGET="send_sms_notification", BAHAGIA_ID_KEY=IDS)
    settings = Settings()
    with pytest.raises(RuntimeError, match="BAHAGIA_COOKIE_KEY"):
        _ = settings.keys.cookie


def test_local_and_test_derive_one_key_per_purpose_from_the_development_secret(bare_env: pytest.MonkeyPatch) -> None:
    local = Settings(environment="local")
    assert local.staff_auth == "local"
    keys = local.keys
    derived = [keys.pin_pepper, keys.pin_derivation, keys.cookie, keys.ids, keys.staff_token]
    assert len(set(derived)) == 5
    assert all(len(key) == 32 for key in derived)
    assert DEV_SECRET.encode() not in derived
    # The same secret gives the same keys in every process of the stack (make staff-token signs for staff_api).
    assert Settings(environment="test").keys.staff_token == keys.staff_token
    other = Settings(environment="test", secret_key="another-local-secret").keys
    assert other.ids != keys.ids
    own = Settings(environment="test", cookie_key=COOKIE).keys
    assert (own.cookie != keys.cookie, own.ids == keys.ids) == (True, True)


def test_production_keys_come_from_their_own_secret_each(bare_env: pytest.MonkeyPatch) -> None:
    _env(bare_env, **PRODUCTION_KEYS)
    keys = Settings().keys
    again = Settings().keys
    assert (keys.pin_pepper, keys.cookie, keys.ids) == (again.pin_pepper, again.cookie, again.ids)
    bare_env.setenv("BAHAGIA_COOKIE_KEY", COOKIE + "-rotated")
    rotated = Settings().keys
    assert rotated.cookie != keys.cookie
    assert (rotated.pin_pepper, rotated.ids) == (keys.pin_pepper, keys.ids)  # a new cookie key keeps every PIN valid
