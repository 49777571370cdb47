"""Intake benchmarks (issue 12), on demand: `make bench B=intake` (or `nox -s bench -- intake [options]`).

1. throughput: POST /v1/applications on the submit_application process against the Firestore and Pub/Sub
   emulators, beside bench/bare_handler.py (one Firestore create + one publish) on the same emulators, at each
   --concurrency, alternating rounds; unique NIKs. Prints requests/s, p50, p99, the ratio ours/bare (goal >= 0.8),
   and the CPU each request cost in each process (function, Firestore emulator, Pub/Sub emulator, load generator):
   that is where the time goes on a 2-core machine where everything shares the cores.
2. cpu: CPU per request on fakes (tests/fakes.py), through the whole Flask request path of submit_application
   (body parsing, service, encoding, logging), and the service alone (goal: median <= 1 ms).
3. imports: cold start of each target (`import main`, then what its first request imports and builds) against the
   client-library floor of that target (functions_framework + the client libraries it uses, clients built)
   (goal: ratio <= 1.2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, LoadResult, encode, environment, load_1min, machine, median, post_all, quiet_logs

PROJECT = "demo-bahagia-bench"


def fake_nik(serial: int) -> str:
    """Valid-looking, clearly fake: Telanaipura (15.71.01), born on a day of 1990 given by the serial, serial 9xxx."""
    born = dt.date(1990, 1, 1) + dt.timedelta(days=serial // 1000)
    return f"157101{born:%d%m%y}9{serial % 1000:03d}"


def application_body(serial: int) -> dict[str, Any]:
    from tests import samples

    body = samples.application()
    born = dt.date(1990, 1, 1) + dt.timedelta(days=serial // 1000)
    body["applicant"]["nik"] = fake_nik(serial)
    body["applicant"]["birth_date"] = born.isoformat()
    body["applicant"]["gender"] = "L"
    body["applicant"]["phone"] = f"+62812{serial:07d}"
    return body


# --- 1. throughput -------------------------------------------------------------------------------------------------


def bench_throughput(requests: int, concurrencies: list[int], rounds: int) -> dict[int, float]:
    from devstack import components
    from devstack.config import free_ports
    from devstack.harness import start_test_emulators
    from devstack.processes import wait_until_ready
    from devstack.pubsub_setup import delete_everything
    from devstack.stack import Supervisor

    log_dir = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    emulators = start_test_emulators(log_dir, PROJECT, with_storage=False)
    supervisor = Supervisor()
    ratios: dict[int, float] = {}
    try:
        env = components.child_env(os.environ, {**emulators.client_env(), "BAHAGIA_PROJECT_ID": PROJECT})
        ours_port, bare_port = free_ports(2)
        ours = components.function_command(ROOT / "functions" / "main.py", "submit_application", "http", ours_port)
        bare = components.function_command(ROOT / "bench" / "bare_handler.py", "bare_submit", "http", bare_port)
        pending = {}
        procs = {}
        for name, command, port in (("ours", ours, ours_port), ("bare", bare, bare_port)):
            proc = supervisor.start(command, env, log_dir)
            procs[name] = proc
            pending[proc] = (f"http://127.0.0.1:{port}{command.ready_path}", command.needs_200)
        with environment(emulators.client_env()):
            from google.cloud import pubsub_v1

            delete_everything(emulators.pubsub_host, PROJECT)
            publisher = pubsub_v1.PublisherClient()
            publisher.create_topic(name=publisher.topic_path(PROJECT, "submission-events"))
        wait_until_ready(pending, 120)
        urls = {"ours": f"http://127.0.0.1:{ours_port}/v1/applications", "bare": f"http://127.0.0.1:{bare_port}/"}
        emulator_pids = {proc.name: proc.pid for proc in emulators.supervisor.processes}
        serial = 0

        def bodies(count: int) -> list[bytes]:
            nonlocal serial
            batch = [encode(application_body(serial + i)) for i in range(count)]
            serial += count
            return batch

        # Warm both (imports, clients, connections) before measuring.
        for name in ("ours", "bare"):
            post_all(urls[name], bodies(40), 8)
        print(f"\n== throughput: POST /v1/applications vs bench/bare_handler.py ({machine()})")
        print(f"   {requests} requests per round, {rounds} rounds per side, alternating; logs in {log_dir}")
        for concurrency in concurrencies:
            results: dict[str, list[LoadResult]] = {"ours": [], "bare": []}
            loads = []
            for round_index in range(rounds):
                order = ("ours", "bare") if round_index % 2 == 0 else ("bare", "ours")
                for name in order:
                    groups = {
                        "function": procs[name].pid,
                        "firestore": emulator_pids["firestore"],
                        "pubsub": emulator_pids["pubsub"],
                    }
                    results[name].append(post_all(urls[name], bodies(requests), concurrency, groups=groups))
                    loads.append(load_1min())
                    # Let the outbox cleaner's last batch and the emulators settle: the next round starts level.
                    time.sleep(1.0)
            print(f"-- {concurrency} connections (load average during the rounds: median {median(loads):.1f})")
            for name, runs in results.items():
                statuses: dict[int, int] = {}
                for run in runs:
                    for status, count in run.statuses.items():
                        statuses[status] = statuses.get(status, 0) + count
                cpu = "  ".join(
                    f"{part} {median([r.cpu_ms_per_request(part) for r in runs]):5.2f}"
                    for part in ("function", "firestore", "pubsub", "client")
                )
                print(
                    f"   {name:5} {median([r.rps for r in runs]):7.1f} req/s  "
                    f"p50 {1000 * median([r.percentile(0.5) for r in runs]):6.1f} ms  "
                    f"p99 {1000 * median([r.percentile(0.99) for r in runs]):6.1f} ms  "
                    f"CPU ms/request: {cpu}  statuses {statuses}"
                )
            per_round = [o.rps / b.rps for o, b in zip(results["ours"], results["bare"], strict=True)]
            ratio = median([r.rps for r in results["ours"]]) / median([r.rps for r in results["bare"]])
            ratios[concurrency] = ratio
            print(
                f"   ratio ours/bare: {ratio:.2f} (goal >= 0.8, aim 0.9); per round: "
                + ", ".join(f"{r:.2f}" for r in per_round)
            )
            parts = ("function", "firestore", "pubsub", "client")
            cpu = {
                name: median([sum(r.cpu_ms_per_request(p) for p in parts) for r in runs])
                for name, runs in results.items()
            }
            print(
                f"   CPU per request, all processes: ours {cpu['ours']:.2f} ms, bare {cpu['bare']:.2f} ms: "
                f"bare/ours {cpu['bare'] / cpu['ours']:.2f} (the throughput ratio a CPU-bound machine would give)"
            )
    finally:
        supervisor.stop()
        emulators.stop()
    return ratios


# --- 2. CPU per request on fakes ------------------------------------------------------------------------------------


def bench_cpu(iterations: int) -> float:
    import json
    import logging

    import flask

    import bootstrap
    from bahagia.catalogue import catalogue
    from intake import handlers, service
    from intake.handlers import accept
    from settings import Settings
    from tests.fakes import FakePublisher, FakeSubmissionStore

    def context() -> service.IntakeContext:
        return service.IntakeContext(
            settings=Settings(environment="test", secret_key="bench"),  # noqa: S106 -- a benchmark, on fakes
            catalogue=catalogue(),
            store=FakeSubmissionStore(),
            publisher=FakePublisher(),
        )

    # The log line of each accepted submission is part of the cost; write it where a real instance would, but not
    # to this terminal.
    root = logging.getLogger()
    saved_handlers = root.handlers
    with open(os.devnull, "w") as devnull:
        sink = logging.StreamHandler(devnull)
        sink.setFormatter(saved_handlers[0].formatter if saved_handlers else None)
        root.handlers = [sink]
        try:
            bodies = [encode(application_body(i)) for i in range(iterations)]
            ctx = context()
            service_ms = []
            for body in bodies[: iterations // 2]:
                data = json.loads(body)
                started = time.process_time()
                accepted = accept(ctx, "application", data, None)
                json.dumps(accepted.body())
                service_ms.append(1000 * (time.process_time() - started))

            app = flask.Flask("bench")
            ctx = context()
            original = bootstrap.intake_context
            bootstrap.intake_context = lambda: ctx  # type: ignore[assignment]
            try:
                request_ms = []
                for index, body in enumerate(bodies[iterations // 2 :]):
                    environ_kwargs = {
                        "method": "POST",
                        "path": "/v1/applications",
                        "data": body,
                        "headers": {"Content-Type": "application/json", "Idempotency-Key": f"bench-key-{index:08d}"},
                    }
                    started = time.process_time()
                    with app.test_request_context(**environ_kwargs):
                        response = handlers.submit_application(flask.request)
                        response.get_data()
                    request_ms.append(1000 * (time.process_time() - started))
                    assert response.status_code == 201, response.get_data()
            finally:
                bootstrap.intake_context = original  # type: ignore[assignment]
        finally:
            root.handlers = saved_handlers

    def describe(samples: list[float]) -> str:
        ordered = sorted(samples)
        return f"median {median(ordered):.3f} ms  p90 {ordered[int(0.9 * len(ordered))]:.3f} ms"

    print(f"\n== CPU per request on fakes ({iterations // 2} requests each; {machine()})")
    print(f"   parse + service.submit + JSON encoding      {describe(service_ms)}")
    print(f"   whole Flask request (with Idempotency-Key)  {describe(request_ms)} (goal: median <= 1 ms)")
    return median(request_ms)


# --- 3. cold import per target --------------------------------------------------------------------------------------

# Each target's cold start as functions-framework does it (create_app: import main, then the target's module) plus
# its warm-up call (edge/warmup.py), which builds what its first request would; against the floor: importing
# functions_framework and the client libraries the target uses, and building those clients.
_START = (
    "from functions_framework import create_app; "
    "app = create_app(target={target!r}, source='main.py', signature_type={signature!r})"
)
_WARM_UP = (
    "; client = app.test_client(); "
    "answer = client.get('/_ah/warmup') if {signature!r} == 'http' else client.post('/', data='{{}}', headers={{"
    "'Content-Type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'w', 'ce-source': '//bench', "
    "'ce-type': 'dev.bahagia.warmup'}}); assert answer.status_code < 300, answer.status_code"
)
_TARGETS: dict[str, tuple[str, str]] = {
    "submit_application": (
        "http",
        "from google.cloud import firestore, pubsub_v1; firestore.Client(project='p'); pubsub_v1.PublisherClient()",
    ),
    "send_sms_notification": (
        "cloudevent",
        "from google.cloud import firestore; import boto3; firestore.Client(project='p');"
        " boto3.client('sns', region_name='ap-southeast-3', endpoint_url='http://127.0.0.1:9')",
    ),
    "staff_api": (
        "http",
        "from google.cloud import firestore, pubsub_v1; firestore.Client(project='p'); pubsub_v1.PublisherClient()",
    ),
    "build_nightly_report": (
        "cloudevent",
        "from google.cloud import firestore, storage; firestore.Client(project='p');"
        " storage.Client(project='p', client_options={'api_endpoint': 'http://127.0.0.1:9'},"
        " credentials=__import__('google.auth.credentials').auth.credentials.AnonymousCredentials())",
    ),
}

_IMPORT_ENV = {
    "FIRESTORE_EMULATOR_HOST": "127.0.0.1:9",
    "PUBSUB_EMULATOR_HOST": "127.0.0.1:9",
    "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9",
    "BAHAGIA_SNS_ENDPOINT_URL": "http://127.0.0.1:9",
    "BAHAGIA_PROJECT_ID": "demo-bench",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}


def _seconds(statement: str, bytecode: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    argv = [sys.executable, "-c", code]
    env = {**os.environ, **_IMPORT_ENV, "PYTHONPATH": str(ROOT / "functions"), "PYTHONPYCACHEPREFIX": bytecode}
    # With PYTHONDONTWRITEBYTECODE (set on the machines this project is built on) every start compiles every module
    # from source again: seconds that a deployed instance, whose packages pip installed with their bytecode, never
    # spends. Bytecode goes to a directory of this run instead, filled by an untimed first start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run(argv, cwd=ROOT / "functions", capture_output=True, text=True, check=True, env=env)  # noqa: S603
    return float(out.stdout.strip().splitlines()[-1])


def bench_imports(rounds: int) -> dict[str, float]:
    print("\n== cold start per target: functions-framework's start (import main and the target), then also the")
    print(f"   warm-up call (what the first request needs), against the client-library floor ({rounds} rounds)")
    print(f"   {machine()}")
    ratios = {}
    bytecode = tempfile.mkdtemp(prefix="bench-pycache-")
    for target, (signature, floor) in _TARGETS.items():
        statements = [
            _START.format(target=target, signature=signature),
            (_START + _WARM_UP).format(target=target, signature=signature),
            f"import functions_framework; {floor}",
        ]
        for statement in statements:
            _seconds(statement, bytecode)  # compiles what it imports, once
        started, warmed, libs = [], [], []
        for _ in range(rounds):
            # Alternate, as everywhere here.
            started.append(_seconds(statements[0], bytecode))
            warmed.append(_seconds(statements[1], bytecode))
            libs.append(_seconds(statements[2], bytecode))
        ratios[target] = median(started) / median(libs)
        print(
            f"   {target:22} start {1000 * median(started):5.0f} ms  + warm-up {1000 * median(warmed):5.0f} ms  "
            f"floor {1000 * median(libs):5.0f} ms   ratio start/floor {ratios[target]:.2f} (goal <= 1.2), "
            f"with warm-up {median(warmed) / median(libs):.2f}"
        )
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", default=["cpu", "imports", "throughput"], help="cpu imports throughput")
    parser.add_argument("--requests", type=int, default=300, help="requests per round")
    parser.add_argument("--concurrency", default="8,32", help="comma-separated connection counts")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per side and concurrency")
    args = parser.parse_args()
    quiet_logs()
    if "cpu" in args.parts:
        bench_cpu(4000)
    if "imports" in args.parts:
        bench_imports(5)
    if "throughput" in args.parts:
        bench_throughput(args.requests, [int(c) for c in args.concurrency.split(",")], args.rounds)


if __name__ == "__main__":
    main()
