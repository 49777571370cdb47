"""Properties of every validator (identity, codes, validation) and of the form-field flattening, for any input
hypothesis can think of. Part of the reliability suite (issue 7): `--full` runs each with 1,000 examples."""

# Properties allow either outcome (a value or our own error), so assertions sit in except/else blocks (PT017), and
# a property is clearer stated as one compound assertion (PT018).
# ruff: noqa: PT017, PT018

from __future__ import annotations

import datetime as dt
import json
import re
import string
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from bahagia import codes, identity, validation
from bahagia.catalogue import catalogue
from bahagia.errors import BahagiaError
from edge import forms
from tests import samples

pytestmark = pytest.mark.reliability

TODAY = dt.date(2026, 11, 29)
SECRET = b"property-test-secret"
_FAST = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)

# --- identity: NIK, KK, phone --------------------------------------------------------------------------------------

birth_dates = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2025, 12, 31))
jambi_regions = st.sampled_from([f"1571{k:02d}" for k in range(1, 12)])


@st.composite
def valid_niks(draw: st.DrawFn) -> tuple[str, dt.date, bool]:
    birth, woman = draw(birth_dates), draw(st.booleans())
    serial = draw(st.integers(0, 9999))
    day = birth.day + (40 if woman else 0)
    return f"{draw(jambi_regions)}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}", birth, woman


@_FAST
@given(valid_niks())
def test_every_well_formed_jambi_nik_is_accepted_with_its_date_and_gender(case: tuple[str, dt.date, bool]) -> None:
    nik, birth, woman = case
    assert identity.check_nik(nik) == nik
    decoded = identity.nik_birth_date(nik)
    assert decoded is not None and (decoded.month, decoded.day, decoded.year % 100) == (birth.month, birth.day,
                                                                                         birth.year % 100)  # fmt: skip
    assert identity.nik_gender(nik) == ("P" if woman else "L")


@_FAST
@given(st.text(max_size=40))
@example("")
@example("1571015708850003\n")
@example("157101570885000３")  # a full-width digit
def test_check_nik_returns_16_ascii_digits_or_raises_its_own_error(value: str) -> None:
    try:
        result = identity.check_nik(value)
    except PydanticCustomError as error:
        assert error.type == "invalid_nik"
        assert len(value.strip()) < 6 or value.strip() not in error.message()  # never echoes the value
    else:
        assert len(result) == 16 and all(ch in string.digits for ch in result)


@_FAST
@given(valid_niks())
def test_a_nik_with_an_impossible_date_is_refused(case: tuple[str, dt.date, bool]) -> None:
    nik = case[0]
    impossible = nik[:6] + "32" + nik[8:]  # day 32 (and 72) exists in no month
    with pytest.raises(PydanticCustomError):
        identity.check_nik(impossible)
    with pytest.raises(PydanticCustomError):
        identity.check_nik(nik[:8] + "13" + nik[10:])  # month 13


@_FAST
@given(st.text(max_size=24))
def test_check_kk_accepts_only_16_digits_from_a_known_region(value: str) -> None:
    try:
        result = identity.check_kk(value)
    except PydanticCustomError as error:
        assert error.type == "invalid_kk"
    else:
        assert result == value and len(value) == 16 and value.isdigit()


mobile_numbers = st.builds(
    lambda prefix, rest: f"{prefix}{rest:08d}",
    st.sampled_from(["0811", "0812", "0813", "0821", "0822", "0852", "0853", "0857", "0858", "0878", "0895"]),
    st.integers(0, 10**8 - 1),
)


@_FAST
@given(mobile_numbers, st.integers(0, 3))
def test_every_common_spelling_of_a_mobile_number_gives_the_same_e164(national: str, style: int) -> None:
    rest = national[1:]
    spelled = [national, f"{national[:4]}-{national[4:8]}-{national[8:]}", f"+62 {rest[:3]} {rest[3:7]} {rest[7:]}",
               f"62{rest}"][style]  # fmt: skip
    try:
        canonical = identity.check_mobile_phone(national)
    except PydanticCustomError:
        assume(False)  # a number range phonenumbers does not know as mobile
    assert canonical == f"+62{rest}"
    assert identity.check_mobile_phone(spelled) == canonical
    assert identity.is_indonesian_mobile(canonical)


@_FAST
@given(st.text(max_size=30))
@example("0741-61234")  # a Jambi landline
@example("+1 202 555 0100")
@example("+44 7700 900123")
def test_check_mobile_phone_returns_indonesian_e164_or_its_own_error(value: str) -> None:
    try:
        result = identity.check_mobile_phone(value)
    except PydanticCustomError as error:
        assert error.type == "invalid_phone"
    else:
        assert result.startswith("+62") and result[1:].isdigit() and 11 <= len(result) <= 15
        assert identity.check_mobile_phone(result) == result  # idempotent


# --- codes ---------------------------------------------------------------------------------------------------------

code_bodies = st.text(alphabet=codes.ALPHABET, min_size=codes.BODY_LENGTH, max_size=codes.BODY_LENGTH)


@given(st.randoms(use_true_random=False))
def test_new_codes_are_canonical_and_read_back_in_any_spelling(rnd: Any) -> None:
    code = codes.new_tracking_code(rnd.randrange)
    assert codes.normalize_tracking_code(code) == code
    assert codes.normalize_tracking_code(codes.format_tracking_code(code).lower()) == code
    assert codes.normalize_tracking_code(f" {code[:3]} {code[3:6]}-{code[6:]} ") == code
    assert not set(code) & set("01IOLU")


@given(st.randoms(use_true_random=False), st.integers(0, codes.CODE_LENGTH - 1), st.sampled_from(codes.ALPHABET))
def test_any_single_symbol_typo_is_caught_by_the_check_character(rnd: Any, position: int, symbol: str) -> None:
    code = codes.new_tracking_code(rnd.randrange)
    assume(code[position] != symbol)
    assert codes.normalize_tracking_code(code[:position] + symbol + code[position + 1 :]) is None


@given(st.text(max_size=40))
def test_normalize_never_raises_and_returns_only_canonical_codes(raw: str) -> None:
    code = codes.normalize_tracking_code(raw)
    assert code is None or (len(code) == codes.CODE_LENGTH and set(code) <= set(codes.ALPHABET))


@given(st.text(min_size=8, max_size=128), st.randoms(use_true_random=False))
def test_pins_are_six_digits_derived_stably_and_checked_only_against_their_hash(key: str, rnd: Any) -> None:
    code = codes.new_tracking_code(rnd.randrange)
    pin = codes.derived_pin(SECRET, "pin", key, code)
    assert pin == codes.derived_pin(SECRET, "pin", key, code) and len(pin) == 6 and pin.isdigit()
    salt = bytes(rnd.getrandbits(8) for _ in range(16))
    stored = codes.hash_pin(pin, salt, SECRET)
    # Only a digest is kept, salted and peppered. ("pin not in stored" was no such check: a 64-digit hex digest
    # contains a given 6-digit string about once in 280,000 tries, and hypothesis found one.)
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert stored != codes.hash_pin(pin, bytes(b ^ 1 for b in salt), SECRET)
    assert stored != codes.hash_pin(pin, salt, SECRET + b"x")
    assert codes.check_pin(pin, salt, SECRET, stored)
    assert not codes.check_pin(f"{(int(pin) + 1) % 10**6:06d}", salt, SECRET, stored)
    assert len(codes.new_pin(rnd.randrange)) == 6


@given(st.lists(st.text(max_size=20), min_size=1, max_size=4), st.lists(st.text(max_size=20), min_size=1, max_size=4))
def test_keyed_digests_differ_whenever_the_parts_differ(first: list[str], second: list[str]) -> None:
    assume(first != second and "\x1f" not in "".join(first + second))
    assert codes.keyed_digest(SECRET, *first) != codes.keyed_digest(SECRET, *second)
    assert codes.keyed_digest(SECRET, *first) == codes.keyed_digest(SECRET, *first)


# --- validation: any body gives a model or a 422 naming fields, never an exception nor the input -------------------

json_leaves = st.one_of(st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(allow_nan=True),
                        st.text(max_size=30))  # fmt: skip
json_values = st.recursive(json_leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=12), inner, max_size=4), max_leaves=12)  # fmt: skip

APPLICATION_KEYS = ["program", "benefit", "consent", "applicant", "details"]
APPLICANT_KEYS = ["nik", "kk", "name", "birth_date", "gender", "phone", "address"]


@st.composite
def mutated_applications(draw: st.DrawFn) -> dict[str, Any]:
    """The sample application with some fields replaced by anything at all, or removed."""
    body = samples.application()
    for key in draw(st.lists(st.sampled_from(APPLICATION_KEYS), max_size=2, unique=True)):
        if draw(st.booleans()):
            body[key] = draw(json_values)
        else:
            body.pop(key, None)
    if isinstance(body.get("applicant"), dict):
        for key in draw(st.lists(st.sampled_from(APPLICANT_KEYS), max_size=3, unique=True)):
            body["applicant"][key] = draw(json_values)
    return body


def _assert_clean_422(error: BahagiaError, body: Any) -> None:
    assert error.status == 422 and error.code == "validation_failed" and error.details
    assert len({d.field for d in error.details}) == len(error.details)  # one entry per field
    # Only the messages: field names and codes are the server's own words, and a value such as "applic" is part of
    # the field name "applicant.nik" without being echoed (hypothesis found exactly that).
    text = json.dumps([d.message for d in error.details])
    for leaf in _string_leaves(body):
        if len(leaf) >= 6 and leaf not in ("diterima",):
            assert leaf not in text, "an error message echoed what the client sent"


def _string_leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _string_leaves(v)]
    if isinstance(value, list):
        return [s for v in value for s in _string_leaves(v)]
    return []


@_FAST
@given(mutated_applications())
def test_parse_application_gives_a_model_or_a_422_that_echoes_nothing(body: dict[str, Any]) -> None:
    try:
        model = validation.parse_application(body, catalogue(), TODAY)
    except BahagiaError as error:
        _assert_clean_422(error, body)
    else:
        assert model.consent is True


COMPLAINT_KEYS = ["category", "description", "location", "occurred_on", "privacy", "reporter"]


@st.composite
def mutated_complaints(draw: st.DrawFn) -> dict[str, Any]:
    body = samples.complaint(privacy=draw(st.sampled_from([None, "public", "anonymous", "confidential"])))
    if body["privacy"] is None:
        del body["privacy"]
    for key in draw(st.lists(st.sampled_from(COMPLAINT_KEYS), max_size=3, unique=True)):
        if draw(st.booleans()):
            body[key] = draw(json_values)
        else:
            body.pop(key, None)
    return body


@_FAST
@given(mutated_complaints())
def test_parse_complaint_gives_a_model_or_a_422_and_anonymous_keeps_no_reporter(body: dict[str, Any]) -> None:
    try:
        complaint = validation.parse_complaint(body, catalogue(), TODAY)
    except BahagiaError as error:
        _assert_clean_422(error, body)
        return
    if complaint.privacy == "anonymous":
        assert complaint.reporter is None
    else:
        assert complaint.reporter is not None and complaint.reporter.phone is not None


# --- forms: unflatten / parse_* ------------------------------------------------------------------------------------

names = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8)
form_values = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=20).filter(
    lambda v: v.strip() != ""
)
nested_bodies = st.recursive(
    form_values, lambda inner: st.dictionaries(names, inner, min_size=1, max_size=4), max_leaves=20
).filter(lambda v: isinstance(v, dict))


def _depth(value: Any) -> int:
    return 1 + max((_depth(v) for v in value.values()), default=0) if isinstance(value, dict) else 0


@_FAST
@given(nested_bodies)
def test_flattening_a_body_and_unflattening_it_gives_it_back(body: dict[str, Any]) -> None:
    pairs = samples.flatten(body)
    assume(len(pairs) <= forms.MAX_FIELDS and _depth(body) <= forms.MAX_DEPTH)
    assert forms.unflatten(pairs) == body
    assert forms.parse_urlencoded(urlencode(pairs).encode()) == body
    assert forms.parse_json(json.dumps(body).encode()) == body


@_FAST
@given(nested_bodies)
def test_a_form_with_every_field_also_in_dotted_json_gives_the_same_body(body: dict[str, Any]) -> None:
    pairs = samples.flatten(body)
    assume(len(pairs) <= forms.MAX_FIELDS and _depth(body) <= forms.MAX_DEPTH)
    assert forms.parse_json(json.dumps(dict(pairs)).encode()) == body


@_FAST
@given(st.binary(max_size=2000))
def test_any_bytes_in_any_format_give_a_body_or_a_4xx(raw: bytes) -> None:
    for content_type in ("application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"):
        try:
            body, _ = forms.parse_body(content_type, raw)
        except BahagiaError as error:
            assert 400 <= error.status < 500
        else:
            assert isinstance(body, dict)


@_FAST
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=6)), max_size=250))
def test_unflatten_gives_a_nested_dict_or_a_400_never_anything_else(pairs: list[tuple[str, str]]) -> None:
    try:
        body = forms.unflatten(pairs)
    except BahagiaError as error:
        assert error.status == 400
    else:
        assert len(pairs) <= forms.MAX_FIELDS
        assert _depth(body) <= forms.MAX_DEPTH


@_FAST
@given(st.integers(1, 40))
def test_nesting_past_the_limit_is_a_400_at_any_depth(depth: int) -> None:
    raw = b'{"a":' * depth + b"1" + b"}" * depth
    if depth <= forms.MAX_DEPTH - 1:
        assert forms.parse_json(raw)
    else:
        with pytest.raises(BahagiaError) as caught:
            forms.parse_json(raw)
        assert caught.value.status == 400
