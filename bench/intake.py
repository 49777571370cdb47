"""Intake benchmarks (issue 2), run on demand: `.venv-dev/bin/python -m bench.intake` (or `make bench-intake`).

1. POST /v1/applications on the submit_application function process against the Firestore and Pub/Sub emulators,
   under concurrency, beside a bare functions-framework handler doing one commit + one publish on the same
   emulators in the same run: requests/s, p50, p99 and the ratio (goal >= 0.8).
2. Cold import of the intake targets against importing functions_framework, google.cloud.firestore and
   google.cloud.pubsub alone (goal: ratio <= 1.2).
3. CPU per request of validation and encoding on fakes (goal: median <= 1 ms).

The machine has 2 cores shared with the emulators: figures are medians of rounds, ratios are what to compare.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))
sys.path.insert(0, str(ROOT))

from devstack import components  # noqa: E402
from devstack.config import free_ports  # noqa: E402
from devstack.harness import start_test_emulators  # noqa: E402
from devstack.processes import wait_until_ready  # noqa: E402
from devstack.pubsub_setup import delete_everything  # noqa: E402
from devstack.stack import Supervisor  # noqa: E402

PROJECT = "demo-bahagia-bench"


def fake_nik(serial: int) -> str:
    """Valid-looking, clearly fake: Telanaipura (15.71.01), born 1 Jan 1990, serial as the last four digits."""
    return f"157101010190{serial % 10000:04d}"


def application_body(serial: int) -> dict:
    from tests import samples

    body = samples.application()
    body["applicant"]["nik"] = fake_nik(serial)
    body["applicant"]["birth_date"] = "1990-01-01"
    body["applicant"]["gender"] = "L"
    body["applicant"]["phone"] = f"+62812{serial:07d}"
    return body


def _load(url: str, bodies: list[dict], concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    local = threading.local()

    def one(body: dict) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=30)
        started = time.perf_counter()
        response = client.post(url, json=body)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, bodies))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(bodies) / wall,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "statuses": statuses,
    }


def bench_throughput(requests: int, concurrency: int, rounds: int) -> None:
    from google.cloud import pubsub_v1

    log_dir = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    emulators = start_test_emulators(log_dir, PROJECT, with_storage=False)
    supervisor = Supervisor()
    try:
        env = components.child_env(__import__("os").environ, emulators.client_env())
        env = {**env, "BAHAGIA_PROJECT_ID": PROJECT}
        ours_port, bare_port = free_ports(2)
        ours = components.function_command(ROOT / "functions" / "main.py", "submit_application", "http", ours_port)
        bare = components.function_command(ROOT / "bench" / "bare_handler.py", "bare_submit", "http", bare_port)
        pending = {}
        for command, port in ((ours, ours_port), (bare, bare_port)):
            proc = supervisor.start(command, env, log_dir)
            pending[proc] = (f"http://127.0.0.1:{port}{command.ready_path}", command.needs_200)
        with _env(emulators.client_env()):
            delete_everything(emulators.pubsub_host, PROJECT)
            publisher = pubsub_v1.PublisherClient()
            publisher.create_topic(name=publisher.topic_path(PROJECT, "submission-events"))
        wait_until_ready(pending, 120)
        ours_url = f"http://127.0.0.1:{ours_port}/v1/applications"
        bare_url = f"http://127.0.0.1:{bare_port}/"
        # Warm both (imports, connections) before measuring.
        _load(ours_url, [application_body(9000 + i) for i in range(20)], 4)
        _load(bare_url, [application_body(9500 + i) for i in range(20)], 4)
        results: dict[str, list[dict]] = {"ours": [], "bare": []}
        serial = 0
        for _ in range(rounds):
            # Alternate the order so neither side always runs on a warmer or busier machine.
            for name in ("ours", "bare") if _ % 2 == 0 else ("bare", "ours"):
                bodies = [application_body(serial + i) for i in range(requests)]
                serial += requests
                results[name].append(_load(ours_url if name == "ours" else bare_url, bodies, concurrency))
        print(
            f"\n== POST /v1/applications vs bare commit+publish handler "
            f"({requests} requests x {rounds} rounds, {concurrency} clients)"
        )
        for name, runs in results.items():
            print(
                f"{name:5} rps median {statistics.median(r['rps'] for r in runs):7.1f}  "
                f"p50 {statistics.median(r['p50_ms'] for r in runs):6.1f} ms  "
                f"p99 {statistics.median(r['p99_ms'] for r in runs):6.1f} ms  statuses {runs[-1]['statuses']}"
            )
        ratio = statistics.median(r["rps"] for r in results["ours"]) / statistics.median(
            r["rps"] for r in results["bare"]
        )
        print(f"throughput ratio ours/bare: {ratio:.2f} (goal >= 0.8)")
    finally:
        supervisor.stop()
        emulators.stop()


class _env:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def __enter__(self) -> None:
        import os

        self.saved = {k: os.environ.get(k) for k in self.values}
        os.environ.update(self.values)

    def __exit__(self, *exc: object) -> None:
        import os

        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _import_seconds(statement: str, cwd: Path) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    argv = [sys.executable, "-X", "frozen_modules=on", "-c", code]
    out = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True)  # noqa: S603 -- our own interpreter
    return float(out.stdout.strip().splitlines()[-1])


def bench_imports(rounds: int) -> None:
    ours, libs = [], []
    for _ in range(rounds):
        ours.append(_import_seconds("import main", ROOT / "functions"))
        libs.append(
            _import_seconds(
                "import functions_framework, google.cloud.firestore, google.cloud.pubsub", ROOT / "functions"
            )
        )
    print(f"\n== cold import ({rounds} rounds, fresh interpreter each)")
    print(f"functions/main.py (every target)                   median {1000 * statistics.median(ours):6.0f} ms")
    print(f"functions_framework + firestore + pubsub alone      median {1000 * statistics.median(libs):6.0f} ms")
    print(f"ratio: {statistics.median(ours) / statistics.median(libs):.2f} (goal <= 1.2)")


def bench_cpu(iterations: int) -> None:
    import datetime as dt
    import json

    from bahagia.catalogue import catalogue
    from intake import service
    from intake.handlers import accept
    from settings import Settings
    from tests.fakes import FakePublisher, FakeSubmissionStore

    ctx = service.IntakeContext(
        settings=Settings(environment="test", secret_key="bench"),  # noqa: S106 -- a benchmark, on fakes
        catalogue=catalogue(),
        store=FakeSubmissionStore(),
        publisher=FakePublisher(),
        clock=lambda: dt.datetime(2026, 11, 29, 3, tzinfo=dt.UTC),
    )
    bodies = [application_body(i) for i in range(iterations)]
    samples_ms = []
    for body in bodies:
        started = time.process_time()
        accepted = accept(ctx, "application", body, None)
        json.dumps(accepted.body())
        samples_ms.append(1000 * (time.process_time() - started))
    samples_ms.sort()
    print(f"\n== CPU per request, validation + documents + encoding on fakes ({iterations} requests)")
    print(
        f"median {statistics.median(samples_ms):.3f} ms  "
        f"p90 {samples_ms[int(0.9 * len(samples_ms))]:.3f} ms (goal: median <= 1 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    bench_cpu(2000)
    bench_imports(5)
    if not args.skip_throughput:
        bench_throughput(args.requests, args.concurrency, args.rounds)


if __name__ == "__main__":
    main()
