"""Benchmark of the nightly report: cost and time at 1,000 and 100,000 submissions, against a naive full scan.

    make bench B=report [ARGS="--sizes 1000,100000 --days 365 --workers 4"]

For each size it starts from an empty Firestore emulator (on free ports, started here), seeds that many demo
submissions with their transitions and SMS records over the same `--days` (so 100x the submissions means 100x the
daily volume: the harder case for a report), with the report counters intake and the staff service keep. Then it
builds the report of the last day twice:
- the report as deployed: counter documents plus the few aggregation queries (reports.service.compute_report);
- the naive way: read every submission, transition and SMS record, and count (compute_report_by_queries over
  DocumentFigures), which must give the same report.
It prints wall time and Firestore reads (billed reads: one per document read or asked for, one per 1,000 index
entries an aggregation matches) of each, the read ratio 100k/1k (goal <= 1.5) and the time ratio report/naive at the
largest size (goal <= 0.1). On demand only: seeding 100k submissions writes about 750k documents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from devstack.harness import start_test_emulators  # noqa: E402

PROJECT = "demo-bahagia-bench"
REPORT_DATE = dt.date(2025, 11, 17)


def seed(client: Any, size: int, days: int, workers: int) -> dict[str, int]:
    from adapters.reports_firestore import COLLECTIONS, add_counts
    from bahagia import report_counters
    from devstack import reports_seed as demo

    now = dt.datetime.combine(REPORT_DATE + dt.timedelta(days=1), dt.time(0, 30), tzinfo=demo.WIB)
    first = REPORT_DATE - dt.timedelta(days=days - 1)
    totals: report_counters.Counts = {}
    written = {"submissions": 0, "transitions": 0, "notifications": 0, "counters": 0}
    pending: list[tuple[str, str, dict[str, Any]]] = []

    def commit(chunk: list[tuple[str, str, dict[str, Any]]]) -> None:
        batch = client.batch()
        for collection, doc_id, data in chunk:
            batch.set(client.collection(collection).document(doc_id), data)
        batch.commit()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = []
        for seeded in demo.demo_data(random.Random(size), first, REPORT_DATE, size, now.astimezone(dt.UTC)):
            pending.append(("submissions", seeded.code, seeded.submission))
            for index, entry in enumerate(seeded.audit, start=1):
                pending.append((COLLECTIONS["transitions"], f"demo-{seeded.code}-{index}", entry))
            for record in seeded.notifications:
                record = dict(record)
                pending.append((COLLECTIONS["notifications"], record.pop("id"), record))
            written["submissions"] += 1
            written["transitions"] += len(seeded.audit)
            written["notifications"] += len(seeded.notifications)
            report_counters.merge(totals, seeded.counts)
            if len(pending) >= 500:
                futures.append(pool.submit(commit, pending))
                pending = []
        if pending:
            futures.append(pool.submit(commit, pending))
        for future in futures:
            future.result()
    items = list(totals.items())
    for start in range(0, len(items), 400):
        batch = client.batch()
        add_counts(batch, client, dict(items[start : start + 400]))
        batch.commit()
    written["counters"] = len(items)
    return written


def naive(client: Any, date: dt.date) -> tuple[Any, int]:
    from adapters.reports_firestore import COLLECTIONS
    from reports import service
    from reports.figures import DocumentFigures

    documents: dict[str, list[dict[str, Any]]] = {}
    reads = 0
    for source, collection in COLLECTIONS.items():
        docs = [snapshot.to_dict() for snapshot in client.collection(collection).stream()]
        documents[source] = docs
        reads += len(docs)
    figures = DocumentFigures(documents, reads=reads)
    return service.compute_report_by_queries(date, figures, service.names(), service.sources()), reads


def measure(client: Any, size: int, days: int, workers: int) -> dict[str, Any]:
    from adapters.reports_firestore import FirestoreCounters, FirestoreFigures
    from reports import service

    started = time.perf_counter()
    written = seed(client, size, days, workers)
    seeded_in = time.perf_counter() - started
    service.names(), service.sources()  # warm the catalogue, as a warm instance would be

    started = time.perf_counter()
    counters, figures = FirestoreCounters(client), FirestoreFigures(client, workers=8)
    report = service.compute_report(REPORT_DATE, counters, figures, service.names(), service.sources())
    report_time = time.perf_counter() - started

    started = time.perf_counter()
    scanned, naive_reads = naive(client, REPORT_DATE)
    naive_time = time.perf_counter() - started
    if scanned != report:
        raise SystemExit(f"size {size}: the counters' report differs from the full scan")
    return {
        "size": size,
        "written": written,
        "seed_s": seeded_in,
        "report_s": report_time,
        "report_reads": counters.reads + figures.reads,
        "report_queries": figures.queries,
        "naive_s": naive_time,
        "naive_reads": naive_reads,
        "day_total": report.new_submissions.total,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--days", type=int, default=365, help="history the submissions are spread over")
    parser.add_argument("--workers", type=int, default=4, help="parallel batch commits while seeding")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    handle = start_test_emulators(Path(tempfile.mkdtemp(prefix="bench-report-")), PROJECT, with_storage=False)
    results = []
    try:
        import os

        os.environ.update(handle.client_env())
        from google.cloud import firestore

        client = firestore.Client(project=PROJECT)
        for size in sizes:
            handle.reset_firestore(PROJECT)
            result = measure(client, size, args.days, args.workers)
            results.append(result)
            w = result["written"]
            print(
                f"{size:>7} submissions ({w['transitions']} transitions, {w['notifications']} SMS records, "
                f"{w['counters']} counter docs; {result['day_total']} new on {REPORT_DATE}), seeded in "
                f"{result['seed_s']:.0f} s\n"
                f"        report: {result['report_s']:7.2f} s  {result['report_reads']:>7} reads "
                f"({result['report_queries']} aggregation queries)\n"
                f"        naive:  {result['naive_s']:7.2f} s  {result['naive_reads']:>7} reads",
                flush=True,
            )
    finally:
        handle.stop()
    if len(results) >= 2:
        small, large = results[0], results[-1]
        read_ratio = large["report_reads"] / small["report_reads"]
        time_ratio = large["report_s"] / large["naive_s"]
        print(f"read ratio {large['size']}/{small['size']}: {read_ratio:.2f} (goal <= 1.5)")
        print(f"time ratio report/naive at {large['size']}: {time_ratio:.3f} (goal <= 0.1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
