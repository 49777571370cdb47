"""Bearer tokens: local HS256 tokens, Google ID tokens mapped through the staff directory, and every 401."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import jwt
import pytest

from bahagia.errors import BahagiaError
from ports import StaffMember
from settings import derive_key
from staff import auth
from tests.fakes import FakeStaffDirectory

KEY = derive_key(b"test-secret", "staff-token")
AUD = "bahagia-staff"
OPD_IDS = {"dlh", "dinas-pupr"}
NOW = dt.datetime.now(dt.UTC)


def token(role: str | None = "verifikator", opd: str | None = None, *, key: bytes = KEY, **overrides: Any) -> str:
    if role is None:
        overrides["role"] = None  # no role claim at all
    raw = auth.issue_local_token(key, AUD, "Petugas@JambiKota.go.id", role or "-", opd, NOW, dt.timedelta(hours=1))
    if not overrides:
        return raw
    claims = jwt.decode(raw, key, algorithms=["HS256"], audience=AUD)
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="HS256")


def verifier() -> auth.LocalTokenVerifier:
    return auth.LocalTokenVerifier(KEY, AUD, OPD_IDS)


def assert_401(call: Any) -> None:
    with pytest.raises(BahagiaError) as caught:
        call()
    assert caught.value.status == 401
    assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_local_token_names_its_actor() -> None:
    actor = verifier().verify(token("opd", "dlh"))
    assert (actor.email, actor.role, actor.opd) == ("petugas@jambikota.go.id", "opd", "dlh")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: token(key=b"another-key-of-32-bytes-length!!"), id="wrong key"),
        pytest.param(lambda: token(exp=int((NOW - dt.timedelta(minutes=5)).timestamp())), id="expired"),
        pytest.param(lambda: token(aud="someone-else"), id="audience"),
        pytest.param(lambda: token(iss="evil"), id="issuer"),
        pytest.param(lambda: token(role="lurah"), id="unknown role"),
        pytest.param(lambda: token(role=None), id="no role"),
        pytest.param(lambda: token("opd", None), id="opd without OPD"),
        pytest.param(lambda: token("opd", "dinas-sulap"), id="unknown OPD"),
        pytest.param(lambda: token("verifikator", "dlh"), id="OPD on another role"),
        pytest.param(lambda: "not.a.jwt", id="garbage"),
        pytest.param(
            lambda: jwt.encode(
                {"role": "admin", "email": "x@y", "aud": AUD, "iss": auth.LOCAL_ISSUER, "iat": 1, "exp": 4102444800},
                "",  # PyJWT takes an empty key for "none"
                algorithm="none",
            ),
            id="alg none",
        ),
    ],
)
def test_bad_local_tokens_are_401(bad: Any) -> None:
    value = bad()
    assert_401(lambda: verifier().verify(value))


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer a b", "Token abc"])
def test_malformed_authorization_headers_are_401(header: str | None) -> None:
    assert_401(lambda: auth.bearer_token(header))


def test_bearer_scheme_is_case_insensitive() -> None:
    assert auth.bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


def _google(claims: Mapping[str, Any] | Exception) -> Any:
    def verify(token: str, audience: str) -> Mapping[str, Any]:
        assert audience == AUD
        if isinstance(claims, Exception):
            raise claims
        return claims

    return verify


def test_google_tokens_take_role_and_opd_from_the_directory() -> None:
    directory = FakeStaffDirectory()
    directory.put(StaffMember("kadis@jambikota.go.id", "opd", "dlh"), "admin@x", NOW)
    verify = auth.GoogleTokenVerifier(
        AUD, directory, _google({"email": "Kadis@JambiKota.go.id", "email_verified": True})
    )
    actor = verify.verify("t")
    assert (actor.email, actor.role, actor.opd) == ("kadis@jambikota.go.id", "opd", "dlh")


def test_google_token_problems() -> None:
    directory = FakeStaffDirectory()
    directory.put(StaffMember("gone@jambikota.go.id", "verifikator", None, active=False), "admin@x", NOW)
    bad = auth.GoogleTokenVerifier(AUD, directory, _google(ValueError("Token expired")))
    assert_401(lambda: bad.verify("t"))
    unverified = auth.GoogleTokenVerifier(AUD, directory, _google({"email": "a@b", "email_verified": False}))
    assert_401(lambda: unverified.verify("t"))
    for email in ("stranger@gmail.com", "gone@jambikota.go.id"):
        outsider = auth.GoogleTokenVerifier(AUD, directory, _google({"email": email, "email_verified": True}))
        with pytest.raises(BahagiaError) as caught:
            outsider.verify("t")
        assert caught.value.status == 403


def test_google_outage_is_503_not_401() -> None:
    from google.auth import exceptions

    down = auth.GoogleTokenVerifier(AUD, FakeStaffDirectory(), _google(exceptions.TransportError("no route")))
    with pytest.raises(BahagiaError) as caught:
        down.verify("t")
    assert caught.value.status == 503


def test_staff_ids_hide_the_address() -> None:
    assert auth.staff_id("A@B.go.id") == auth.staff_id(" a@b.go.id ")
    assert "@" not in auth.staff_id("a@b.go.id")


def test_production_refuses_local_tokens() -> None:
    from pydantic import SecretStr, ValidationError

    from settings import Settings

    keys = {"pin_pepper": SecretStr("p" * 40), "cookie_key": SecretStr("c" * 40), "id_key": SecretStr("i" * 40)}
    with pytest.raises(ValidationError, match="STAFF_AUTH"):
        Settings(environment="production", staff_auth="local", **keys)  # type: ignore[arg-type]
    assert Settings(environment="production", staff_auth="google", **keys).staff_auth == "google"  # type: ignore[arg-type]
