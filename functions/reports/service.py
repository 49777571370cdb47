"""Build the report of one business date and publish it: the one service function behind the trigger and the CLI.

Idempotent per date. The CSV and HTML are uploaded first and the Firestore document last, each skipped when what is
stored already has the same SHA-256: a redelivered trigger (or a second CLI run) over unchanged data rewrites
nothing, and a run that failed half-way is completed by the next delivery, because the document that marks a report
as published is the last thing written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ports import CounterSource, FigureSource, ReportFiles, ReportStore
from reports import render, svg
from reports.figures import Aggregate
from reports.model import (
    QUERIED,
    Durations,
    Names,
    Report,
    assemble,
    at_most,
    counter_dates,
    counter_tallies,
    durations_from_histogram,
    histogram,
    nearest_rank,
    plan,
)

CSV_TYPE = "text/csv; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class ReportContext:
    figures: Callable[[], FigureSource]
    """A new FigureSource per run, so each run counts its own queries and reads."""
    counters: Callable[[], CounterSource]
    store: ReportStore
    files: ReportFiles


@dataclass(frozen=True)
class Published:
    date: str
    fingerprint: str
    written: tuple[str, ...]
    """What this run wrote (empty when everything was already there, unchanged)."""
    queries: int
    reads: int


def names() -> Names:
    """Ids, codes and labels from the catalogue and the wilayah data, in catalogue order."""
    from bahagia.catalogue import catalogue
    from bahagia.submissions import STATUS_LABELS
    from bahagia.wilayah import wilayah

    cat, places = catalogue(), wilayah()
    return Names(
        programs={pid: p["name"] for pid, p in cat.programs.items()},
        benefits={pid: {b["value"]: b["label"] for b in p.get("benefits") or []} for pid, p in cat.programs.items()},
        categories={cid: c["name"] for cid, c in cat.categories.items()},
        kecamatan=dict(places.kecamatan),
        kelurahan={code: (k.kecamatan, k.name) for code, k in places.kelurahan.items()},
        statuses=dict(STATUS_LABELS),
    )


def sources() -> dict[str, str]:
    from bahagia.wilayah import wilayah

    return {"wilayah": wilayah().source, "batas_wilayah": svg.boundaries_attribution()}


def _durations(figures: FigureSource, cases: Aggregate, count: int) -> Durations:
    memo: dict[int, int] = {}

    def count_at_most(days: int) -> int:
        if days not in memo:
            memo[days] = figures.tally([at_most(cases, days)])[0].count
        return memo[days]

    return Durations(
        cases=count,
        median_working_days=nearest_rank(count, 0.5, count_at_most),
        p90_working_days=nearest_rank(count, 0.9, count_at_most),
    )


def compute_report(
    date: dt.date,
    counters: CounterSource,
    figures: FigureSource,
    report_names: Names,
    report_sources: Mapping[str, str],
) -> Report:
    """The report of `date`: counters for what they hold, aggregation queries for the QUERIED figures."""
    questions = plan(date, report_names)
    by_date = counters.read(counter_dates(date))
    tallies = counter_tallies(date, report_names, by_date)
    tallies.update(zip(QUERIED, figures.tally([questions[k] for k in QUERIED]), strict=True))
    durations = {
        "verification": durations_from_histogram(histogram(date, by_date, "verification")),
        "completion": durations_from_histogram(histogram(date, by_date, "completion")),
    }
    return assemble(date, report_names, tallies, durations, report_sources)


def compute_report_by_queries(
    date: dt.date, figures: FigureSource, report_names: Names, report_sources: Mapping[str, str]
) -> Report:
    """The same report with every figure counted from the documents themselves: with DocumentFigures over every
    stored document it is the naive full scan; with FirestoreFigures, one aggregation query per figure."""
    questions = plan(date, report_names)
    keys = list(questions)
    tallies = dict(zip(keys, figures.tally([questions[k] for k in keys]), strict=True))
    durations = {
        "verification": _durations(figures, questions["sla.verified"], tallies["sla.verified"].count),
        "completion": _durations(figures, questions["sla.completed"], tallies["sla.completed"].count),
    }
    return assemble(date, report_names, tallies, durations, report_sources)


def content_fingerprint(content: Mapping[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_names(date: str) -> dict[str, str]:
    return {"csv": f"reports/{date}.csv", "html": f"reports/{date}.html"}


def publish(
    report: Report, store: ReportStore, files: ReportFiles, now: dt.datetime, queries: int = 0, reads: int = 0
) -> Published:
    content = report.model_dump(mode="json")
    fingerprint = content_fingerprint(content)
    names_by_format = file_names(report.date)
    written: list[str] = []
    outputs = {"csv": (render.render_csv(report), CSV_TYPE), "html": (render.render_html(report), HTML_TYPE)}
    for fmt, (data, content_type) in outputs.items():
        digest = hashlib.sha256(data).hexdigest()
        if files.fingerprint(names_by_format[fmt]) != digest:
            files.upload(names_by_format[fmt], data, content_type, digest)
            written.append(names_by_format[fmt])
    if store.fingerprint(report.date) != fingerprint:
        store.save(
            report.date,
            {
                **content,
                "content_sha256": fingerprint,
                "files": {fmt: files.location(name) for fmt, name in names_by_format.items()},
                "built_at": now,
                "cost": {"queries": queries, "reads": reads},
            },
        )
        written.append(f"reports/{report.date}")
    return Published(report.date, fingerprint, tuple(written), queries, reads)


def build_and_publish(date: dt.date, ctx: ReportContext, now: dt.datetime) -> Published:
    """The whole job for one date."""
    figures, counters = ctx.figures(), ctx.counters()
    report = compute_report(date, counters, figures, names(), sources())
    return publish(report, ctx.store, ctx.files, now, queries=figures.queries, reads=figures.reads + counters.reads)
