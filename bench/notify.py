"""Benchmark: events/s through Pub/Sub push -> send_sms_notification -> SNS (moto), against the emulator's raw publish
rate in the same run.

    .venv-dev/bin/python bench/notify.py [--events 200] [--runs 3]

Starts its own emulators and one function process on free ports (never the contract's), stops them at the end.
Each run publishes --events `submission.received` events (one per publish request, as the intake does) for
distinct submissions and numbers (so the daily cap does not bite) and waits until moto holds that many SMS; the
raw rate is the same publishes to a topic with only a pull subscription. Prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "functions")]

from bahagia.codes import new_tracking_code  # noqa: E402
from devstack.harness import start_test_emulators  # noqa: E402
from tests.integration.notify_harness import PushPath, start_notify_function  # noqa: E402

PROJECT = "demo-bahagia-bench"
BATCH = 1
"""Messages per publish request: one, as the intake publishes one event per committed submission."""


def _sms_count(sns_url: str) -> int:
    with urllib.request.urlopen(f"{sns_url}/moto-api/data.json", timeout=30) as response:  # noqa: S310
        return len(json.loads(response.read()).get("sns", {}).get("SMS", []))


def _events(db: object, count: int, run: int) -> list[dict[str, object]]:
    import random

    rng = random.Random(run)
    batch = db.batch()  # type: ignore[attr-defined]
    events = []
    for i in range(count):
        code = new_tracking_code(rng.randrange)
        phone = f"+62812{run:02d}{i:04d}1"  # never ...99: moto treats those numbers as opted out
        batch.set(
            db.collection("submissions").document(code),
            {  # type: ignore[attr-defined]
                "tracking_code": code,
                "kind": "application",
                "program": "lansia-bahagia",
                "status": "diterima",
                "privacy": "private",
                "applicant": {"phone": phone},
            },
        )
        events.append(
            {
                "event_id": uuid.uuid4().hex,
                "type": "submission.received",
                "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
                "tracking_code": code,
                "kind": "application",
                "program": "lansia-bahagia",
                "status": "diterima",
            }
        )
        if (i + 1) % 400 == 0:
            batch.commit()
            batch = db.batch()  # type: ignore[attr-defined]
    batch.commit()
    return events


def _publish_all(path: PushPath, events: list[dict[str, object]]) -> float:
    started = time.perf_counter()
    for start in range(0, len(events), BATCH):
        path.publish(*events[start : start + BATCH])
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import os

    from google.cloud import firestore

    workdir = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    emulators = start_test_emulators(workdir, PROJECT, with_storage=False)
    function = None
    try:
        for key, value in emulators.client_env().items():
            os.environ[key] = value
        function = start_notify_function(emulators.client_env(), {"BAHAGIA_PROJECT_ID": PROJECT}, workdir)
        db = firestore.Client(project=PROJECT)
        # Warm the instance first: a cold start (imports, clients) is not throughput.
        warm = PushPath(emulators.pubsub_host, PROJECT, function.url).create()
        started = time.perf_counter()
        warm.publish(*_events(db, 1, 99))
        while _sms_count(emulators.sns_url) < 1:
            time.sleep(0.1)
        print(f"cold start to first SMS: {time.perf_counter() - started:.1f} s", flush=True)
        warm.delete()
        pipeline_rates, raw_rates = [], []
        for run in range(args.runs):
            # raw: the same publishes, to a topic whose only subscription is a pull one nobody reads
            raw = PushPath(emulators.pubsub_host, PROJECT, "http://127.0.0.1:9")
            raw.create()
            raw_events = [{"type": "submission.received", "n": i} for i in range(args.events)]
            raw_rates.append(args.events / _publish_all(_pull_only(raw), raw_events))
            raw.delete()

            emulators.reset_sms()
            events = _events(db, args.events, run)
            path = PushPath(emulators.pubsub_host, PROJECT, function.url).create()
            started = time.perf_counter()
            _publish_all(path, events)
            deadline = started + 60 + args.events
            while _sms_count(emulators.sns_url) < args.events:
                if time.perf_counter() > deadline:
                    statuses = [d.to_dict().get("status") for d in db.collection("notifications").stream()]
                    raise SystemExit(
                        f"timed out waiting for the SMS; records: {statuses[:20]}; function log: {workdir}"
                    )
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
            pipeline_rates.append(args.events / elapsed)
            path.delete()
            print(
                f"run {run + 1}: raw publish {raw_rates[-1]:8.1f} events/s   "
                f"push->function->SNS {pipeline_rates[-1]:7.1f} events/s",
                flush=True,
            )
        raw_median, pipeline_median = statistics.median(raw_rates), statistics.median(pipeline_rates)
        print(f"median over {args.runs} runs of {args.events} events:")
        print(f"  raw publish rate (emulator)      {raw_median:8.1f} events/s")
        print(f"  push -> function -> SNS (moto)   {pipeline_median:8.1f} events/s")
        print(f"  ratio pipeline / raw publish     {pipeline_median / raw_median:8.3f}")
    finally:
        if function is not None:
            function.stop()
        emulators.stop()
    return 0


def _pull_only(path: PushPath) -> PushPath:
    # Replace the push subscription by a pull one: publishing then costs what it costs the emulator alone.
    from tests.integration.notify_harness import _rest

    _rest("DELETE", path._url(f"subscriptions/send-sms-notification-{path.suffix}"))
    _rest("PUT", path._url(f"subscriptions/raw-{path.suffix}"), {"topic": f"projects/{PROJECT}/topics/{path.topic}"})
    return path


if __name__ == "__main__":
    raise SystemExit(main())
