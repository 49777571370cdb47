"""The staff API's bodies, parsed at the edge: the contract's 422 details (codes, texts, order) and the values."""

from __future__ import annotations

from typing import Any

import pytest

from bahagia.catalogue import catalogue
from bahagia.errors import BahagiaError
from ports import StaffMember
from staff.bodies import parse_staff_user, parse_transition

OPD_IDS = set(catalogue().opd)


def _details(call: Any, *args: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(BahagiaError) as caught:
        call(*args)
    assert (caught.value.status, caught.value.code) == (422, "validation_failed")
    return [(d.field, d.code, d.message) for d in caught.value.details]


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ({"to": "diverifikasi"}, ["note"]),
        ({"to": "diverifikasi", "note": "   "}, ["note"]),
        ({"note": "ok"}, ["to"]),
        ({"to": "diverifikasi", "note": "x" * 2001}, ["note"]),
        ({"to": "diverifikasi", "note": "ok", "status": "x"}, ["status"]),
        ({}, ["to", "note"]),
        ({"to": 3, "note": ["a"]}, ["to", "note"]),
    ],
)
def test_transition_validation(raw: dict[str, Any], fields: list[str]) -> None:
    assert [field for field, _, _ in _details(parse_transition, raw)] == fields


def test_transition_details_are_the_contracts_texts_known_fields_first_then_unknown_by_name() -> None:
    details = _details(parse_transition, {"zz": 1, "note": " " + "x" * 2001, "expected_from": "x", "aa": None})
    assert details == [
        ("to", "required", "Status tujuan wajib diisi."),
        ("note", "too_long", "Catatan paling banyak 2000 karakter."),
        ("aa", "unknown_field", "Isian ini tidak dikenal."),
        ("expected_from", "unknown_field", "Isian ini tidak dikenal."),
        ("zz", "unknown_field", "Isian ini tidak dikenal."),
    ]


def test_transition_is_stripped_and_blank_or_odd_optionals_count_as_not_given() -> None:
    parsed = parse_transition({"to": " selesai ", "note": " beres ", "opd": "", "from": 7})
    assert (parsed.to, parsed.note, parsed.opd, parsed.expected_from) == ("selesai", "beres", None, None)
    seen = parse_transition({"to": "didisposisikan", "note": "ke PUPR", "opd": " dinas-pupr ", "from": "diverifikasi"})
    assert (seen.opd, seen.expected_from) == ("dinas-pupr", "diverifikasi")


def test_a_staff_user_is_parsed_into_a_member() -> None:
    assert parse_staff_user(" Kadis@JambiKota.go.id", {"role": "opd", "opd": "dlh"}, OPD_IDS) == StaffMember(
        "kadis@jambikota.go.id", "opd", "dlh", True
    )
    assert parse_staff_user("a@b.id", {"role": "admin", "opd": "", "active": False}, OPD_IDS) == StaffMember(
        "a@b.id", "admin", None, False
    )


@pytest.mark.parametrize(
    "body",
    [
        {"role": "opd"},
        {"role": "opd", "opd": "dinas-sulap"},
        {"role": "raja"},
        {"role": "verifikator", "opd": "dlh"},
        {"role": "opd", "opd": 3},
    ],
)
def test_a_role_without_its_opd_or_with_one_it_cannot_have_is_invalid(body: dict[str, Any]) -> None:
    assert _details(parse_staff_user, "x@jambikota.go.id", body, OPD_IDS) == [
        ("role", "invalid_role", "Peran tidak sah; peran opd wajib disertai OPD yang dikenal.")
    ]


def test_staff_user_details_come_in_the_contracts_order() -> None:
    details = _details(parse_staff_user, "no address", {"active": "ya", "zz": 1, "email": "x@y", "role": 5}, OPD_IDS)
    assert [(field, code) for field, code, _ in details] == [
        ("email", "invalid_email"),
        ("email", "unknown_field"),
        ("zz", "unknown_field"),
        ("role", "invalid_role"),
        ("active", "invalid_boolean"),
    ]
