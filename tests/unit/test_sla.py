"""Working-day arithmetic on the Indonesian calendar (weekends, national holidays and cuti bersama off, WIB dates)."""

from __future__ import annotations

import datetime as dt

import pytest

from bahagia import calendar, sla

WIB = calendar.WIB


def wib(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=WIB)


def end_of(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 23, 59, 59, tzinfo=WIB)


def test_a_friday_submission_is_due_after_the_weekend() -> None:
    # Friday 6 March 2026 -> Mon 9, Tue 10, Wed 11.
    assert calendar.add_working_days(wib(2026, 3, 6, 16), 3) == end_of(2026, 3, 11)


def test_a_saturday_counts_as_day_zero() -> None:
    assert calendar.add_working_days(wib(2026, 3, 7), 1) == end_of(2026, 3, 9)


def test_the_wib_date_counts_not_the_utc_date() -> None:
    # 18:00 UTC on Thursday 5 March is 01:00 WIB on Friday 6 March: counted from Friday.
    thursday_evening_utc = dt.datetime(2026, 3, 5, 18, tzinfo=dt.UTC)
    assert calendar.add_working_days(thursday_evening_utc, 3) == end_of(2026, 3, 11)


def test_the_2026_idul_fitri_holidays_and_cuti_bersama_are_days_off() -> None:
    # Library facts this module relies on (see the module docstring): Nyepi 19 March, Idul Fitri 21-22 March, and
    # cuti bersama 18, 20, 23, 24 March in the government category.
    for day in (18, 19, 20, 23, 24):
        assert not calendar.is_working_day(dt.date(2026, 3, day)), day
    assert calendar.is_working_day(dt.date(2026, 3, 17))
    assert calendar.is_working_day(dt.date(2026, 3, 25))


def test_sla_across_idul_fitri_2026() -> None:
    # Received Tuesday 17 March: nothing counts until Wednesday 25 -> 25, 26, 27.
    assert calendar.add_working_days(wib(2026, 3, 17), 3) == end_of(2026, 3, 27)
    # A follow-up due in 5 working days from Monday 16 March: 17, 25, 26, 27, 30.
    assert calendar.add_working_days(wib(2026, 3, 16), 5) == end_of(2026, 3, 30)


def test_cuti_bersama_count_as_days_off_not_only_public_holidays() -> None:
    # Christmas 2026: 24 December is cuti bersama (Thursday), 25 is Christmas (Friday).
    assert calendar.add_working_days(wib(2026, 12, 23), 1) == end_of(2026, 12, 28)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add_working_days(dt.datetime(2026, 3, 6), 3)


def test_initial_due_at_is_three_working_days_for_both_kinds() -> None:
    submitted = wib(2026, 3, 6, 16)
    assert sla.initial_due_at("complaint", submitted) == end_of(2026, 3, 11)
    assert sla.initial_due_at("application", submitted) == end_of(2026, 3, 11)


def test_due_dates_per_status() -> None:
    monday = wib(2026, 3, 2)
    assert sla.due_at("complaint", "diverifikasi", monday) == end_of(2026, 3, 5)
    assert sla.due_at("complaint", "didisposisikan", monday) == end_of(2026, 3, 9)
    assert sla.due_at("complaint", "ditindaklanjuti", monday) == end_of(2026, 3, 16)
    assert sla.due_at("complaint", "selesai", monday) is None
    assert sla.due_at("application", "disalurkan", monday) is None


def _doc(status: str, due: dt.datetime | None, kind: str = "complaint") -> dict[str, object]:
    return {"kind": kind, "status": status, "due_at": due, "status_changed_at": wib(2026, 3, 2)}


def test_overdue_only_for_open_statuses_a_person_must_act_on() -> None:
    due = end_of(2026, 3, 5)
    after, before = due + dt.timedelta(seconds=1), due - dt.timedelta(hours=1)
    assert sla.is_overdue(_doc("diterima", due), after)
    assert not sla.is_overdue(_doc("diterima", due), before)
    # A follow-up past its date waits for the auto-close; it is not the OPD's delay.
    assert not sla.is_overdue(_doc("ditindaklanjuti", due), after)
    assert not sla.is_overdue(_doc("selesai", None), after)


def test_expected_next_step_for_the_citizen() -> None:
    due = end_of(2026, 3, 27)
    step = sla.expected_next_step(_doc("diterima", due), wib(2026, 3, 18))
    assert step == {"status": "diverifikasi", "label": "Diverifikasi", "expected_by": "2026-03-27", "late": False}
    late = sla.expected_next_step(_doc("diterima", due), wib(2026, 3, 30))
    assert late is not None
    assert late["late"] is True


def test_expected_next_step_without_a_stored_due_date_is_computed() -> None:
    doc = {"kind": "application", "status": "disetujui", "status_changed_at": wib(2026, 3, 2)}
    step = sla.expected_next_step(doc, wib(2026, 3, 3))
    assert step is not None
    assert (step["status"], step["expected_by"]) == ("disalurkan", "2026-03-09")


@pytest.mark.parametrize("status", ["selesai", "ditolak"])
def test_no_next_step_once_closed(status: str) -> None:
    assert sla.expected_next_step(_doc(status, None), wib(2026, 3, 3)) is None
