"""`make reports ARGS="..."`: build or backfill reports, and seed the stack of `make run` with demo data.

    make reports ARGS="seed"                                     # 4,000 demo submissions over 60 days
    make reports ARGS="seed --submissions 500 --days 30 --until 2025-11-30 --seed 2"
    make reports ARGS="build"                                    # yesterday in WIB, or ARGS="build 2025-11-17"
    make reports ARGS="build --from 2025-10-01 --to 2025-11-30"  # backfill, with a progress bar

It points the clients at the local emulators (the contract's ports, or the BAHAGIA_PORT_* overrides `make run`
honours) unless the variables are already set, so `python -m devstack.reports_cli ...` from the repository root
works against any emulators you point it at. Local tooling, not deployed: seeding writes only clearly fake people
(devstack/reports_seed.py) and refuses a production environment.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO, TypeVar

from devstack.config import HOST, ports_from_env
from devstack.topology import REPO_ROOT

FUNCTIONS_DIR = REPO_ROOT / "functions"

T = TypeVar("T")
BATCH = 500


def progress(items: Sequence[T] | Iterable[T], total: int, label: str, out: TextIO = sys.stderr) -> Iterator[T]:
    """A plain progress bar on stderr (carriage returns on a terminal, a line per 10% otherwise)."""
    started = time.monotonic()
    shown_tenth = -1
    done = 0
    for done, item in enumerate(items, start=1):
        yield item
        fraction = done / total if total else 1.0
        elapsed = time.monotonic() - started
        if out.isatty():
            bar = "#" * int(30 * fraction)
            out.write(f"\r{label} [{bar:<30}] {done}/{total} {elapsed:5.1f}s")
            out.flush()
        elif int(fraction * 10) != shown_tenth:
            shown_tenth = int(fraction * 10)
            out.write(f"{label} {done}/{total} ({100 * fraction:.0f}%) {elapsed:.1f}s\n")
    if out.isatty():
        out.write("\n")


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def build_dates(dates: Sequence[dt.date], out: TextIO = sys.stderr) -> list[Any]:
    import bootstrap
    from reports.service import build_and_publish

    ctx = bootstrap.report_context()
    results = []
    for date in progress(dates, len(dates), "reports", out):
        results.append(build_and_publish(date, ctx, dt.datetime.now(dt.UTC)))
    return results


def write_seed(documents: Iterable[Any], total: int, client: Any, out: TextIO = sys.stderr) -> dict[str, int]:
    """Write seeded submissions with their audit entries and SMS records, 500 writes per batch."""
    from adapters.reports_firestore import COLLECTIONS, add_counts
    from bahagia import report_counters

    counts = {"submissions": 0, "transitions": 0, "notifications": 0}
    totals: report_counters.Counts = {}
    batch, pending = client.batch(), 0

    def put(collection: str, doc_id: str, data: dict[str, Any]) -> None:
        nonlocal batch, pending
        batch.set(client.collection(collection).document(doc_id), data)
        pending += 1
        if pending >= BATCH:
            batch.commit()
            batch, pending = client.batch(), 0

    for seeded in progress(documents, total, "demo data", out):
        put("submissions", seeded.code, seeded.submission)
        counts["submissions"] += 1
        for index, entry in enumerate(seeded.audit, start=1):
            # Stable ids: seeding again with the same --seed rewrites the same documents instead of adding more.
            put(COLLECTIONS["transitions"], f"demo-{seeded.code}-{index}", entry)
            counts["transitions"] += 1
        for record in seeded.notifications:
            record = dict(record)
            put(COLLECTIONS["notifications"], record.pop("id"), record)
            counts["notifications"] += 1
        report_counters.merge(totals, seeded.counts)
    if pending:
        batch.commit()
    # Counters last, summed over the whole seed: a few hundred writes instead of one per submission.
    for start in range(0, len(totals), BATCH):
        batch = client.batch()
        add_counts(batch, client, dict(list(totals.items())[start : start + BATCH]))
        batch.commit()
    return counts


def seed(submissions: int, days: int, until: dt.date, rng_seed: int, out: TextIO = sys.stderr) -> dict[str, int]:
    import bootstrap
    from bahagia import calendar
    from devstack import reports_seed as demo

    if bootstrap.settings().environment == "production":
        raise SystemExit("seed refuses to write demo data in production")
    first = until - dt.timedelta(days=days - 1)
    now = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0, 30), tzinfo=calendar.WIB).astimezone(dt.UTC)
    now = min(now, dt.datetime.now(dt.UTC))
    documents = demo.demo_data(random.Random(rng_seed), first, until, submissions, now)  # noqa: S311 - demo data
    first_doc = next(documents)
    client = bootstrap.firestore_client()
    if client.collection("submissions").document(first_doc.code).get().exists:
        # Counters are added, not set: the same seed twice would count everything twice.
        raise SystemExit(f"data of --seed {rng_seed} is already there; use another --seed to add more")
    return write_seed(itertools.chain([first_doc], documents), submissions, client, out)


def _date(text: str) -> dt.date:
    from reports.request import BadReportRequest, parse_date

    try:
        return parse_date(text, dt.datetime.now(dt.UTC))
    except BadReportRequest as bad:
        raise argparse.ArgumentTypeError(str(bad)) from None


def run(argv: Sequence[str]) -> int:
    from bahagia.calendar import yesterday

    parser = argparse.ArgumentParser(prog="reports", description="Laporan harian Layanan Bahagia")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build (or rebuild) the report of a date or a range of dates")
    build.add_argument("date", nargs="?", type=_date, help="YYYY-MM-DD (default: yesterday in WIB)")
    build.add_argument("--from", dest="first", type=_date, help="first date of a backfill")
    build.add_argument("--to", dest="last", type=_date, help="last date of a backfill (default: yesterday)")
    demo = commands.add_parser("seed", help="write demo submissions, transitions and SMS records (local only)")
    demo.add_argument("--submissions", type=int, default=4000)
    demo.add_argument("--days", type=int, default=60, help="spread over this many days up to --until")
    demo.add_argument("--until", type=_date, help="last day (default: yesterday in WIB)")
    demo.add_argument("--seed", type=int, default=1, help="random seed; the same seed writes the same documents")
    args = parser.parse_args(argv)

    until = yesterday(dt.datetime.now(dt.UTC))
    if args.command == "seed":
        counts = seed(args.submissions, args.days, args.until or until, args.seed)
        print(
            f"seeded {counts['submissions']} submissions, {counts['transitions']} transitions, "
            f"{counts['notifications']} SMS records"
        )
        return 0
    if args.first or args.last:
        last = args.last or until
        first = args.first or last
        if first > last:
            parser.error("--from is after --to")
        dates = days_between(first, last)
    else:
        dates = [args.date or until]
    for published in build_dates(dates):
        changed = ", ".join(published.written) if published.written else "unchanged, nothing written"
        print(f"{published.date}: {changed} ({published.queries} queries, {published.reads} reads)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ports = ports_from_env(os.environ)
    os.environ.setdefault("FIRESTORE_EMULATOR_HOST", f"{HOST}:{ports.firestore}")
    os.environ.setdefault("STORAGE_EMULATOR_HOST", f"http://{HOST}:{ports.storage}")
    os.environ.setdefault("GOOGLE_CLOUD_PROJECT", os.environ.get("BAHAGIA_PROJECT_ID", "demo-bahagia"))
    # The functions' modules (bootstrap, reports, bahagia) are imported from functions/, as the deployed source is.
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
