"""NIK squatting: a stranger who files first with someone's NIK cannot block that person's own application.

One open application per (programme, benefit, NIK) stays the rule, but only the same person (same NIK and the same
phone) gets 409. A filing with another phone is accepted as a possible duplicate, flagged for the verifikator with a
link each way, and answered exactly like any other filing (docs/STAFF.md, "Possible duplicates").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bahagia import submissions
from bahagia.catalogue import catalogue
from bahagia.errors import BahagiaError
from bahagia.lifecycle import Actor
from intake.handlers import accept
from intake.service import IntakeContext
from settings import Settings
from staff import service as staff_service
from staff import views
from tests import samples
from tests.fakes import FakePublisher, FakeStaffDirectory, FakeStaffStore, FakeSubmissionStore
from tests.privacy import PersonalData

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
VICTIM_PHONE = samples.APPLICATION["applicant"]["phone"]
SQUATTER_PHONE = "0857-1111-0000"
THIRD_PHONE = "0813-2222-9999"
VERIFIKATOR = Actor("verifikator@jambikota.go.id", "verifikator")


@pytest.fixture(autouse=True)
def _registered(personal_data: PersonalData) -> None:
    personal_data.register(phone=SQUATTER_PHONE)
    personal_data.register(phone=THIRD_PHONE)


@pytest.fixture
def ctx() -> IntakeContext:
    return IntakeContext(
        settings=Settings(environment="test", secret_key="squatting-secret"),
        catalogue=catalogue(),
        store=FakeSubmissionStore(),
        publisher=FakePublisher(),
        clock=lambda: NOW,
    )


def _file(ctx: IntakeContext, phone: str) -> dict[str, Any]:
    body = samples.application()
    body["applicant"]["phone"] = phone
    return accept(ctx, "application", body, None).body()


def _store(ctx: IntakeContext) -> FakeSubmissionStore:
    assert isinstance(ctx.store, FakeSubmissionStore)
    return ctx.store


def test_the_owner_files_after_a_squatter_and_both_are_answered_alike(ctx: IntakeContext) -> None:
    squatter = _file(ctx, SQUATTER_PHONE)
    victim = _file(ctx, VICTIM_PHONE)
    # The same answer, field for field: neither learns that the other exists.
    assert set(victim) == set(squatter)
    assert (victim["status"], victim["program"], victim["benefit"]) == ("diterima", "kartu-bahagia", "pendidikan")
    docs = _store(ctx).submissions
    first, second = docs[squatter["tracking_code"]], docs[victim["tracking_code"]]
    # Flagged for the verifikator, each linking to the other.
    assert second["possible_duplicate_of"] == squatter["tracking_code"]
    assert first["possible_duplicates"] == [victim["tracking_code"]]
    # Still one open-application marker for the NIK, which knows both filings.
    [marker] = _store(ctx).open_applications.values()
    assert marker["tracking_code"] == squatter["tracking_code"]
    assert set(marker["duplicates"]) == {victim["tracking_code"]}


def test_only_the_same_nik_and_phone_is_409(ctx: IntakeContext) -> None:
    first = _file(ctx, VICTIM_PHONE)
    with pytest.raises(BahagiaError) as again:
        _file(ctx, "+62 812 3456 7890")  # the same number, spelled otherwise
    assert (again.value.status, again.value.code) == (409, "duplicate_application")
    third = _file(ctx, THIRD_PHONE)
    assert _store(ctx).submissions[third["tracking_code"]]["possible_duplicate_of"] == first["tracking_code"]
    with pytest.raises(BahagiaError) as third_again:
        _file(ctx, THIRD_PHONE)  # a flagged filer who files again is the same person too
    assert third_again.value.status == 409
    assert len(_store(ctx).submissions) == 2


def test_another_programme_or_benefit_is_no_duplicate_at_all(ctx: IntakeContext) -> None:
    _file(ctx, SQUATTER_PHONE)
    body = samples.application(benefit="kesehatan")
    other = accept(ctx, "application", body, None).body()
    assert "possible_duplicate_of" not in _store(ctx).submissions[other["tracking_code"]]


@pytest.mark.parametrize(
    ("closing", "expected"),
    [("primary", "second"), ("second", "primary")],
)
def test_closing_one_filing_keeps_the_nik_held_by_the_other(closing: str, expected: str) -> None:
    marker = submissions.open_application_marker("PRIMARY01", "phone-a", NOW)
    marker = submissions.with_possible_duplicate(marker, "SECOND001", "phone-b", NOW + dt.timedelta(minutes=1))
    marker = submissions.with_possible_duplicate(marker, "THIRD0001", "phone-c", NOW + dt.timedelta(minutes=2))
    code = {"primary": "PRIMARY01", "second": "SECOND001"}[closing]
    released = submissions.after_closing(marker, code)
    assert released is not None
    assert released["tracking_code"] == {"second": "SECOND001", "primary": "PRIMARY01"}[expected]
    assert code not in released["duplicates"]
    assert "THIRD0001" in released["duplicates"]
    assert submissions.is_same_applicant(released, "phone-c")
    assert not submissions.is_same_applicant(released, {"primary": "phone-a", "second": "phone-b"}[closing])
    last = submissions.after_closing(submissions.open_application_marker("ONLY00001", "phone-a", NOW), "ONLY00001")
    assert last is None  # the last open filing closes: the NIK may apply again


def test_the_staff_api_shows_both_side_by_side(ctx: IntakeContext) -> None:
    squatter = _file(ctx, SQUATTER_PHONE)
    victim = _file(ctx, VICTIM_PHONE)
    staff = staff_service.StaffContext(
        settings=ctx.settings,
        store=FakeStaffStore(submissions=_store(ctx).submissions),
        publisher=FakePublisher(),
        verifier=None,  # type: ignore[arg-type]  # not authenticating here
        directory=FakeStaffDirectory(),
        opd_ids=set(catalogue().opd),
        clock=lambda: NOW,
    )
    first = staff_service.read_submission(staff, VERIFIKATOR, squatter["tracking_code"])
    second = staff_service.read_submission(staff, VERIFIKATOR, victim["tracking_code"])
    assert first["possible_duplicates"] == [victim["tracking_code"]]
    assert second["possible_duplicate_of"] == squatter["tracking_code"]
    listed = staff_service.list_submissions(staff, VERIFIKATOR, _list_query())["items"]
    flags = {item["tracking_code"]: (item["possible_duplicate_of"], item["possible_duplicates"]) for item in listed}
    assert flags[victim["tracking_code"]] == (squatter["tracking_code"], None)
    assert flags[squatter["tracking_code"]] == (None, [victim["tracking_code"]])
    assert {"possible_duplicate_of", "possible_duplicates"} <= set(views.SUMMARY_FIELDS)


def _list_query() -> Any:
    from staff.queries import parse_list_query

    return parse_list_query({}, set(catalogue().opd), 100)
