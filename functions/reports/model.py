"""The nightly report of one business date: what it holds, how each figure is defined, and the report built from
the answers. Pure: handed the date, the names of programmes and places, and the figures; no clock, no I/O.

Each figure is defined once, as a named `Aggregate` over the stored documents (`plan`). The nightly build answers
all but one from the per-day counters of bahagia.report_counters (`counter_tallies`: 240 or 248 document reads
whatever the volume); only the open cases past their deadline, which depend on the clock rather than on a write,
take an aggregation query (`QUERIED`). Answering the
whole plan by counting documents (`DocumentFigures`) is the naive full scan the benchmark and the tests compare
against: both must give the same report.

Every figure is an exact count here (the staff-only JSON); small-count suppression belongs to the CSV and HTML.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from pydantic import BaseModel, ConfigDict

from bahagia import calendar, channels, lifecycle
from bahagia.report_counters import REFUSED_BY_BUDGET, field
from reports.figures import Aggregate, Filter, Tally, between, eq, one_of

SCHEMA_VERSION = 1
SERIES_DAYS = 30

SMS_SENT = ("sent", "delivered")
SMS_FAILED = ("failed", "undelivered")


@dataclass(frozen=True)
class Names:
    """Ids, codes and labels the report lists, in the order it lists them (from the catalogue and wilayah data)."""

    programs: Mapping[str, str]
    benefits: Mapping[str, Mapping[str, str]]
    """programme id -> benefit id -> label (only Kartu Bahagia has benefits)."""
    categories: Mapping[str, str]
    kecamatan: Mapping[str, str]
    kelurahan: Mapping[str, tuple[str, str]]
    """kelurahan code -> (kecamatan code, name)."""
    statuses: Mapping[str, str]
    channels: Mapping[str, str] = dataclass_field(default_factory=lambda: dict(channels.CHANNELS))
    """How submissions came in (bahagia.channels): the web forms or the Call Center desk."""


@dataclass(frozen=True)
class Day:
    """A WIB business date and its bounds as UTC instants."""

    date: dt.date

    @property
    def iso(self) -> str:
        return self.date.isoformat()

    @property
    def start(self) -> dt.datetime:
        return calendar.start_of(self.date).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return Day(self.date + dt.timedelta(days=1)).start

    def minus(self, days: int) -> Day:
        return Day(self.date - dt.timedelta(days=days))


# --- what to ask ---------------------------------------------------------------------------------------------------

TRANSITION = eq("action", "transition")


def _new(bd: str, *more: Filter) -> Aggregate:
    return Aggregate("submissions", (eq("business_date", bd), *more))


def _moves(day: Day, *more: Filter) -> Aggregate:
    # Counted by the audit entry's own `at`, which every transition has since the first version of the staff service.
    return Aggregate("transitions", (TRANSITION, *between("at", day.start, day.end), *more))


def _steps(bd: str, on_time: bool) -> Aggregate:
    return Aggregate("transitions", (TRANSITION, eq("business_date", bd), eq("on_time", on_time)))


def _sms(statuses: tuple[str, ...], *dates: Filter) -> Aggregate:
    # notifications carry the WIB `business_date` of their creation (bahagia.notifications.new_record).
    return Aggregate("notifications", (*dates, one_of("status", statuses)), "segments")


def plan(date: dt.date, names: Names) -> dict[str, Aggregate]:
    """Every aggregate of the report of `date`, by name."""
    day = Day(date)
    bd = day.iso
    month = Day(date.replace(day=1))
    week_ago = day.minus(7)
    q: dict[str, Aggregate] = {
        "new": _new(bd),
        "new.kind.application": _new(bd, eq("kind", "application")),
        "new.kind.complaint": _new(bd, eq("kind", "complaint")),
    }
    for channel in names.channels:
        q[f"new.channel.{channel}"] = _new(bd, eq("channel", channel))
    for program in names.programs:
        q[f"new.program.{program}"] = _new(bd, eq("program", program))
        for benefit in names.benefits.get(program, {}):
            q[f"new.benefit.{program}.{benefit}"] = _new(bd, eq("program", program), eq("benefit", benefit))
    for category in names.categories:
        q[f"new.category.{category}"] = _new(bd, eq("category", category))
    for code in names.kecamatan:
        q[f"new.kecamatan.{code}"] = _new(bd, eq("kecamatan", code))
    for code in names.kelurahan:
        q[f"new.kelurahan.{code}"] = _new(bd, eq("kelurahan", code))
    for status in names.statuses:
        q[f"new.status.{status}"] = _new(bd, eq("status", status))

    q["moves"] = _moves(day)
    for status in lifecycle.target_statuses():
        q[f"moves.to.{status}"] = _moves(day, eq("to", status))

    q["sla.met"] = _steps(bd, True)
    q["sla.late"] = _steps(bd, False)
    # Steps due on the date: those closed (their transition keeps the deadline it met or missed) and those open.
    q["sla.due.closed"] = Aggregate("transitions", (TRANSITION, *between("sla_due_at", day.start, day.end)))
    q["sla.due.open"] = Aggregate(
        "submissions", (one_of("status", lifecycle.sla_statuses()), *between("due_at", day.start, day.end))
    )
    q["sla.overdue"] = Aggregate(
        "submissions", (one_of("status", lifecycle.sla_statuses()), Filter("due_at", "<", day.end))
    )
    q["sla.verified"] = _step_cases(bd, lifecycle.first_step_statuses())
    q["sla.completed"] = _step_cases(bd, lifecycle.closed_statuses())

    q["sms.sent"] = _sms(SMS_SENT, eq("business_date", bd))
    q["sms.delivered"] = _sms(("delivered",), eq("business_date", bd))
    q["sms.failed"] = _sms(SMS_FAILED, eq("business_date", bd))
    for reason in REFUSED_BY_BUDGET:
        q[f"sms.refused.{reason}"] = Aggregate(
            "notifications", (eq("business_date", bd), eq("status", "failed"), eq("failure_reason", reason))
        )

    mtd = (Filter("business_date", ">=", month.iso), Filter("business_date", "<=", bd))
    q["mtd.application"] = Aggregate("submissions", (*mtd, eq("kind", "application")))
    q["mtd.complaint"] = Aggregate("submissions", (*mtd, eq("kind", "complaint")))
    q["mtd.moves"] = Aggregate("transitions", (TRANSITION, *between("at", month.start, day.end)))
    q["mtd.sla.met"] = Aggregate("transitions", (TRANSITION, *mtd, eq("on_time", True)))
    q["mtd.sla.late"] = Aggregate("transitions", (TRANSITION, *mtd, eq("on_time", False)))
    q["mtd.sms.sent"] = _sms(SMS_SENT, *mtd)

    q["week_ago.application"] = _new(week_ago.iso, eq("kind", "application"))
    q["week_ago.complaint"] = _new(week_ago.iso, eq("kind", "complaint"))
    q["week_ago.moves"] = _moves(week_ago)
    q["week_ago.sms.sent"] = _sms(SMS_SENT, eq("business_date", week_ago.iso))

    window = (Filter("business_date", ">=", day.minus(SERIES_DAYS - 1).iso), Filter("business_date", "<=", bd))
    for code in names.kelurahan:
        # The map shades 30 days, not one: a single day leaves nearly every kelurahan under the suppression threshold.
        q[f"window.kelurahan.{code}"] = Aggregate("submissions", (*window, eq("kelurahan", code)))
    for back in range(SERIES_DAYS):
        past = day.minus(back).iso
        q[f"series.{past}.new"] = _new(past)
        q[f"series.{past}.met"] = _steps(past, True)
        q[f"series.{past}.late"] = _steps(past, False)
    return q


def _step_cases(bd: str, statuses: tuple[str, ...]) -> Aggregate:
    return Aggregate(
        "transitions",
        (TRANSITION, eq("business_date", bd), one_of("to", statuses), Filter("working_days", ">=", 0)),
    )


QUERIED = ("sla.overdue",)
"""Figures answered by an aggregation query at build time, not by counters: which open cases are past their deadline
depends on the clock, not on a write."""


def counter_dates(date: dt.date) -> list[str]:
    """The days whose counters a report reads: the 30-day window and the month so far."""
    first = min(date.replace(day=1), date - dt.timedelta(days=SERIES_DAYS - 1))
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((date - first).days + 1)]


def counter_tallies(date: dt.date, names: Names, counters: Mapping[str, Mapping[str, int]]) -> dict[str, Tally]:
    """Every figure of `plan` but the QUERIED ones, from per-day counters (`counters[date][field]`, shards summed)."""

    def c(day: str, *parts: str) -> int:
        return int(counters.get(day, {}).get(field(*parts), 0))

    bd = date.isoformat()
    t: dict[str, int] = {
        "new": c(bd, "new"),
        "new.kind.application": c(bd, "new", "kind", "application"),
        "new.kind.complaint": c(bd, "new", "kind", "complaint"),
        "moves": c(bd, "moves"),
        "sla.met": c(bd, "sla", "met"),
        "sla.late": c(bd, "sla", "late"),
        "sla.due": c(bd, "sla", "due"),
        "sla.verified": c(bd, "sla", "verification"),
        "sla.completed": c(bd, "sla", "completion"),
    }
    for channel in names.channels:
        t[f"new.channel.{channel}"] = c(bd, "new", "channel", channel)
    for program in names.programs:
        t[f"new.program.{program}"] = c(bd, "new", "program", program)
        for benefit in names.benefits.get(program, {}):
            t[f"new.benefit.{program}.{benefit}"] = c(bd, "new", "benefit", program, benefit)
    for category in names.categories:
        t[f"new.category.{category}"] = c(bd, "new", "category", category)
    for code in names.kecamatan:
        t[f"new.kecamatan.{code}"] = c(bd, "new", "kecamatan", code)
    for code in names.kelurahan:
        t[f"new.kelurahan.{code}"] = c(bd, "new", "kelurahan", code)
    for status in names.statuses:
        t[f"new.status.{status}"] = c(bd, "new", "status", status)
    for status in lifecycle.target_statuses():
        t[f"moves.to.{status}"] = c(bd, "moves", "to", status)
    segments: dict[str, int] = {}
    t["sms.sent"] = c(bd, "sms", "sent") + c(bd, "sms", "delivered")
    segments["sms.sent"] = c(bd, "sms", "segments", "sent") + c(bd, "sms", "segments", "delivered")
    t["sms.delivered"] = c(bd, "sms", "delivered")
    t["sms.failed"] = c(bd, "sms", "failed") + c(bd, "sms", "undelivered")
    for reason in REFUSED_BY_BUDGET:
        t[f"sms.refused.{reason}"] = c(bd, "sms", "refused", reason)
    month = [d for d in counter_dates(date) if d >= date.replace(day=1).isoformat()]
    t["mtd.application"] = sum(c(d, "new", "kind", "application") for d in month)
    t["mtd.complaint"] = sum(c(d, "new", "kind", "complaint") for d in month)
    t["mtd.moves"] = sum(c(d, "moves") for d in month)
    t["mtd.sla.met"] = sum(c(d, "sla", "met") for d in month)
    t["mtd.sla.late"] = sum(c(d, "sla", "late") for d in month)
    t["mtd.sms.sent"] = sum(c(d, "sms", "sent") + c(d, "sms", "delivered") for d in month)
    segments["mtd.sms.sent"] = sum(
        c(d, "sms", "segments", "sent") + c(d, "sms", "segments", "delivered") for d in month
    )
    week_ago = (date - dt.timedelta(days=7)).isoformat()
    t["week_ago.sms.sent"] = c(week_ago, "sms", "sent") + c(week_ago, "sms", "delivered")
    t["week_ago.application"] = c(week_ago, "new", "kind", "application")
    t["week_ago.complaint"] = c(week_ago, "new", "kind", "complaint")
    t["week_ago.moves"] = c(week_ago, "moves")
    window = [(date - dt.timedelta(days=back)).isoformat() for back in range(SERIES_DAYS)]
    for code in names.kelurahan:
        t[f"window.kelurahan.{code}"] = sum(c(d, "new", "kelurahan", code) for d in window)
    for day in window:
        t[f"series.{day}.new"] = c(day, "new")
        t[f"series.{day}.met"] = c(day, "sla", "met")
        t[f"series.{day}.late"] = c(day, "sla", "late")
    return {key: Tally(value, segments.get(key, 0)) for key, value in t.items()}


def histogram(date: dt.date, counters: Mapping[str, Mapping[str, int]], name: str) -> dict[int, int]:
    """Working days -> cases, for `name` in (verification, completion), from the counters of `date`."""
    prefix = field("hist", name) + "__"
    result: dict[int, int] = {}
    for key, value in counters.get(date.isoformat(), {}).items():
        if key.startswith(prefix) and key[len(prefix) :].isdigit() and value:
            result[int(key[len(prefix) :])] = int(value)
    return result


def durations_from_histogram(hist: Mapping[int, int]) -> Durations:
    cases = sum(hist.values())

    def count_at_most(days: int) -> int:
        return sum(n for k, n in hist.items() if k <= days)

    return Durations(
        cases=cases,
        median_working_days=nearest_rank(cases, 0.5, count_at_most),
        p90_working_days=nearest_rank(cases, 0.9, count_at_most),
    )


def at_most(aggregate: Aggregate, working_days: int) -> Aggregate:
    """The same cases, restricted to those that took at most `working_days`."""
    return aggregate.narrowed(Filter("working_days", "<=", working_days))


def nearest_rank(cases: int, fraction: float, count_at_most: Callable[[int], int], limit: int = 10_000) -> int | None:
    """The nearest-rank percentile of whole working days: the smallest k with at least ceil(fraction*cases) cases
    taking k days or fewer. `count_at_most(k)` answers with one count query; an exponential then a binary search ask
    it about 2*log2(answer) times, whatever the number of cases. None without cases (or beyond `limit` days)."""
    if cases <= 0:
        return None
    rank = max(1, math.ceil(fraction * cases))
    low, high = -1, 0  # invariant: count_at_most(low) < rank <= count_at_most(high)
    while count_at_most(high) < rank:
        low, high = high, high * 2 + 1
        if high > limit:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        if count_at_most(middle) >= rank:
            high = middle
        else:
            low = middle
    return high


# --- the report ----------------------------------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProgramCount(_Frozen):
    program: str
    benefit: str | None
    label: str
    count: int


class ChannelCount(_Frozen):
    channel: str
    label: str
    count: int


class CategoryCount(_Frozen):
    category: str
    label: str
    count: int


class KecamatanCount(_Frozen):
    kecamatan: str
    label: str
    count: int


class KelurahanCount(_Frozen):
    kelurahan: str
    kecamatan: str
    label: str
    count: int


class StatusCount(_Frozen):
    status: str
    label: str
    count: int


class NewSubmissions(_Frozen):
    total: int
    applications: int
    complaints: int
    by_channel: list[ChannelCount]
    """By how they came in: the web forms, or the Call Center desk by phone, WhatsApp or at the counter."""
    by_program: list[ProgramCount]
    by_category: list[CategoryCount]
    by_kecamatan: list[KecamatanCount]
    by_kelurahan: list[KelurahanCount]
    without_kelurahan: int
    by_status: list[StatusCount]
    """Where the day's new submissions stand now (when the report was built)."""


class Transitions(_Frozen):
    total: int
    by_status: list[StatusCount]


class Durations(_Frozen):
    cases: int
    median_working_days: int | None
    p90_working_days: int | None


class SlaDay(_Frozen):
    date: str
    met: int
    late: int
    compliance: float | None


class Sla(_Frozen):
    due: int
    """SLA steps whose deadline fell on the date, closed or not."""
    met: int
    """Steps closed on the date by their deadline."""
    late: int
    """Steps closed on the date after their deadline."""
    overdue: int
    """Open cases whose step was past its deadline at the end of the date (as the data stood when built)."""
    compliance: float | None
    to_verification: Durations
    to_completion: Durations
    last_30_days: list[SlaDay]


class Sms(_Frozen):
    sent: int
    delivered: int
    failed: int
    segments: int
    refused_client_budget: int = 0
    """Receipts refused because their client address had used its daily budget (SMS pumping; docs/SMS.md)."""
    refused_daily_budget: int = 0
    """Receipts refused because the city's daily budget was used up (included in `failed`)."""


class MonthToDate(_Frozen):
    since: str
    submissions: int
    applications: int
    complaints: int
    transitions: int
    sla_met: int
    sla_late: int
    sms_sent: int
    sms_segments: int


class Comparison(_Frozen):
    figure: str
    today: int
    week_ago: int
    change: int
    change_percent: float | None


class PreviousWeek(_Frozen):
    date: str
    figures: list[Comparison]


class DailyCount(_Frozen):
    date: str
    count: int


class Report(_Frozen):
    schema_version: int
    date: str
    timezone: str
    new_submissions: NewSubmissions
    transitions: Transitions
    sla: Sla
    sms: Sms
    month_to_date: MonthToDate
    previous_week: PreviousWeek
    submissions_last_30_days: list[DailyCount]
    submissions_last_30_days_by_kelurahan: list[KelurahanCount]
    sources: dict[str, str]


def _ratio(met: int, late: int) -> float | None:
    return round(met / (met + late), 4) if met + late else None


def _compare(figure: str, today: int, week_ago: int) -> Comparison:
    change = today - week_ago
    percent = round(100 * change / week_ago, 1) if week_ago else None
    return Comparison(figure=figure, today=today, week_ago=week_ago, change=change, change_percent=percent)


def assemble(
    date: dt.date,
    names: Names,
    tallies: Mapping[str, Tally],
    durations: Mapping[str, Durations],
    sources: Mapping[str, str],
) -> Report:
    """The report from the answers to `plan(date, names)` and the two duration figures."""
    day = Day(date)

    def n(key: str) -> int:
        return tallies[key].count

    def total(key: str) -> int:
        return round(tallies[key].total)

    by_program: list[ProgramCount] = []
    for program, label in names.programs.items():
        by_program.append(ProgramCount(program=program, benefit=None, label=label, count=n(f"new.program.{program}")))
        for benefit, benefit_label in names.benefits.get(program, {}).items():
            by_program.append(
                ProgramCount(
                    program=program,
                    benefit=benefit,
                    label=f"{label}: {benefit_label}",
                    count=n(f"new.benefit.{program}.{benefit}"),
                )
            )
    by_kelurahan = [
        KelurahanCount(kelurahan=code, kecamatan=kec, label=name, count=n(f"new.kelurahan.{code}"))
        for code, (kec, name) in names.kelurahan.items()
    ]
    new = NewSubmissions(
        total=n("new"),
        applications=n("new.kind.application"),
        complaints=n("new.kind.complaint"),
        by_channel=[
            ChannelCount(channel=c, label=label, count=n(f"new.channel.{c}")) for c, label in names.channels.items()
        ],
        by_program=by_program,
        by_category=[
            CategoryCount(category=c, label=label, count=n(f"new.category.{c}"))
            for c, label in names.categories.items()
        ],
        by_kecamatan=[
            KecamatanCount(kecamatan=c, label=label, count=n(f"new.kecamatan.{c}"))
            for c, label in names.kecamatan.items()
        ],
        by_kelurahan=by_kelurahan,
        without_kelurahan=n("new") - sum(k.count for k in by_kelurahan),
        by_status=[
            StatusCount(status=s, label=label, count=n(f"new.status.{s}")) for s, label in names.statuses.items()
        ],
    )
    moves = Transitions(
        total=n("moves"),
        by_status=[
            StatusCount(status=s, label=names.statuses.get(s, s), count=n(f"moves.to.{s}"))
            for s in lifecycle.target_statuses()
        ],
    )
    series_days = [day.minus(back).iso for back in reversed(range(SERIES_DAYS))]
    sla = Sla(
        due=n("sla.due") if "sla.due" in tallies else n("sla.due.closed") + n("sla.due.open"),
        met=n("sla.met"),
        late=n("sla.late"),
        overdue=n("sla.overdue"),
        compliance=_ratio(n("sla.met"), n("sla.late")),
        to_verification=durations["verification"],
        to_completion=durations["completion"],
        last_30_days=[
            SlaDay(
                date=d,
                met=n(f"series.{d}.met"),
                late=n(f"series.{d}.late"),
                compliance=_ratio(n(f"series.{d}.met"), n(f"series.{d}.late")),
            )
            for d in series_days
        ],
    )
    sms = Sms(
        sent=n("sms.sent"),
        delivered=n("sms.delivered"),
        failed=n("sms.failed"),
        segments=total("sms.sent"),
        refused_client_budget=n("sms.refused.client_budget_reached"),
        refused_daily_budget=n("sms.refused.daily_budget_reached"),
    )
    mtd = MonthToDate(
        since=date.replace(day=1).isoformat(),
        submissions=n("mtd.application") + n("mtd.complaint"),
        applications=n("mtd.application"),
        complaints=n("mtd.complaint"),
        transitions=n("mtd.moves"),
        sla_met=n("mtd.sla.met"),
        sla_late=n("mtd.sla.late"),
        sms_sent=n("mtd.sms.sent"),
        sms_segments=total("mtd.sms.sent"),
    )
    week_ago = day.minus(7)
    previous = PreviousWeek(
        date=week_ago.iso,
        figures=[
            _compare("submissions", new.total, n("week_ago.application") + n("week_ago.complaint")),
            _compare("applications", new.applications, n("week_ago.application")),
            _compare("complaints", new.complaints, n("week_ago.complaint")),
            _compare("transitions", moves.total, n("week_ago.moves")),
            _compare("sms_sent", sms.sent, n("week_ago.sms.sent")),
        ],
    )
    return Report(
        schema_version=SCHEMA_VERSION,
        date=day.iso,
        timezone="Asia/Jakarta",
        new_submissions=new,
        transitions=moves,
        sla=sla,
        sms=sms,
        month_to_date=mtd,
        previous_week=previous,
        submissions_last_30_days=[DailyCount(date=d, count=n(f"series.{d}.new")) for d in series_days],
        submissions_last_30_days_by_kelurahan=[
            KelurahanCount(kelurahan=code, kecamatan=kec, label=name, count=n(f"window.kelurahan.{code}"))
            for code, (kec, name) in names.kelurahan.items()
        ],
        sources=dict(sources),
    )
