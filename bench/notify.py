"""Notify throughput (issue 12), on demand: `make bench B=notify` (or `nox -s bench -- notify [options]`).

send_sms_notification against bench/bare_consumer.py (reads one document, sends one SNS message), both behind the
SAME push subscription (`send-sms-notification`, the settings of infra/topology.json; its push endpoint is switched
between the two for each round), the same Firestore emulator and the same moto, in alternating rounds. Each round
publishes --events `submission.received` events for distinct submissions and numbers (one per publish, as intake
does) and waits until moto holds that many SMS. Prints events/s, the ratio ours/bare (goal >= 0.5), the CPU each
event cost in each process, and the first event of each fresh process (its cold start).

The Pub/Sub emulator pushes at most 2 messages at a time per subscription (NUM_CONCURRENT_PUSH_REQUESTS = 2 in
cloud-pubsub-emulator 0.8.x; production Pub/Sub has no such fixed limit): locally, events/s = 2 / time per event.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ROOT, CpuMeter, environment, load_1min, machine, median, quiet_logs

PROJECT = "demo-bahagia-bench"
TOPIC = "submission-events"
SUBSCRIPTION = "send-sms-notification"


def _rest(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 -- 127.0.0.1 only
        url, data=json.dumps(body or {}).encode(), method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read() or b"{}")
        return answer


@dataclass
class SmsWatcher:
    """Polls moto for new SMS and notes when each number's first one appeared."""

    sns_url: str
    seen: dict[str, float] = field(default_factory=dict)

    def poll(self) -> int:
        with urllib.request.urlopen(f"{self.sns_url}/moto-api/data.json", timeout=30) as response:  # noqa: S310
            messages = json.loads(response.read()).get("sns", {}).get("SMS", [])
        now = time.perf_counter()
        for message in messages:
            self.seen.setdefault(message["phone_number"], now)
        return len(messages)

    def reset(self) -> None:
        reset = urllib.request.Request(f"{self.sns_url}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(reset, timeout=30).read()  # noqa: S310
        self.seen.clear()


class Seeder:
    """Submissions with distinct numbers (never ...99: moto reports those as opted out) and their events."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.serial = 0

    def events(self, count: int) -> tuple[list[dict[str, Any]], list[str]]:
        from bahagia.codes import new_tracking_code

        batch = self.db.batch()
        events, phones = [], []
        for index in range(count):
            self.serial += 1
            code = new_tracking_code()
            phone = f"+62812{self.serial:07d}1"
            batch.set(
                self.db.collection("submissions").document(code),
                {
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
            phones.append(phone)
            if (index + 1) % 400 == 0:
                batch.commit()
                batch = self.db.batch()
        batch.commit()
        return events, phones


@dataclass
class Round:
    events: int
    wall: float
    latencies: list[float]
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        return self.events / self.wall

    def cpu_ms(self, name: str) -> float:
        return 1000 * self.cpu.get(name, 0.0) / self.events


def _publish(publisher: Any, topic: str, events: list[dict[str, Any]]) -> list[float]:
    """One publish per event, all at once (the client sends them as fast as the emulator takes them)."""
    sent_at = []
    futures = []
    for event in events:
        sent_at.append(time.perf_counter())
        futures.append(publisher.publish(topic, json.dumps(event).encode(), type=event["type"]))
    for future in futures:
        future.result(timeout=60)
    return sent_at


def _run_round(
    seeder: Seeder, publisher: Any, topic: str, watcher: SmsWatcher, count: int, groups: dict[str, int]
) -> Round:
    watcher.reset()
    events, phones = seeder.events(count)
    meter = CpuMeter(groups)
    with meter:
        started = time.perf_counter()
        sent_at = _publish(publisher, topic, events)
        deadline = started + 60 + count
        while watcher.poll() < count:
            if time.perf_counter() > deadline:
                raise SystemExit(f"timed out: {len(watcher.seen)} of {count} SMS after {deadline - started:.0f} s")
            # Each poll costs moto CPU (it serialises every SMS it holds): poll too often and the slower side, polled
            # more times, pays more. 0.2 s is under 3 % of a round of 300 events at 40/s.
            time.sleep(0.2 if count > 1 else 0.02)
        wall = max(watcher.seen.values()) - started
    latencies = [watcher.seen[phone] - at for phone, at in zip(phones, sent_at, strict=True)]
    return Round(count, wall, latencies, meter.spent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=300, help="events per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per side")
    args = parser.parse_args()
    quiet_logs()

    from devstack import components
    from devstack.config import free_ports
    from devstack.harness import start_test_emulators
    from devstack.processes import wait_until_ready
    from devstack.stack import Supervisor

    log_dir = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    emulators = start_test_emulators(log_dir, PROJECT, with_storage=False)
    supervisor = Supervisor()
    try:
        client_env = {**emulators.client_env(), "BAHAGIA_PROJECT_ID": PROJECT}
        env = components.child_env(os.environ, client_env)
        ours_port, bare_port = free_ports(2)
        commands = {
            "ours": components.function_command(
                ROOT / "functions" / "main.py", "send_sms_notification", "cloudevent", ours_port
            ),
            "bare": components.function_command(
                ROOT / "bench" / "bare_consumer.py", "bare_notify", "cloudevent", bare_port
            ),
        }
        ports = {"ours": ours_port, "bare": bare_port}
        procs = {name: supervisor.start(command, env, log_dir) for name, command in commands.items()}
        wait_until_ready({procs[name]: (f"http://127.0.0.1:{ports[name]}/robots.txt", False) for name in procs}, 120)
        base = f"http://{emulators.pubsub_host}/v1/projects/{PROJECT}"

        def endpoint(name: str) -> str:
            return f"http://127.0.0.1:{ports[name]}/projects/{PROJECT}/topics/{TOPIC}"

        with environment(client_env):
            from google.cloud import firestore, pubsub_v1

            _rest("PUT", f"{base}/topics/{TOPIC}")
            _rest("PUT", f"{base}/topics/{TOPIC}-dead-letter")
            _rest("PUT", f"{base}/subscriptions/{SUBSCRIPTION}", {
                "topic": f"projects/{PROJECT}/topics/{TOPIC}",
                "pushConfig": {"pushEndpoint": endpoint("ours")},
                "ackDeadlineSeconds": 60,
                "deadLetterPolicy": {
                    "deadLetterTopic": f"projects/{PROJECT}/topics/{TOPIC}-dead-letter", "maxDeliveryAttempts": 5,
                },
                "retryPolicy": {"minimumBackoff": "10s", "maximumBackoff": "600s"},
            })  # fmt: skip
            db = firestore.Client(project=PROJECT)
            publisher = pubsub_v1.PublisherClient()
            topic = publisher.topic_path(PROJECT, TOPIC)
            seeder = Seeder(db)
            watcher = SmsWatcher(emulators.sns_url)
            emulator_pids = {proc.name: proc.pid for proc in emulators.supervisor.processes}

            def switch(name: str) -> None:
                _rest("POST", f"{base}/subscriptions/{SUBSCRIPTION}:modifyPushConfig",
                      {"pushConfig": {"pushEndpoint": endpoint(name)}})  # fmt: skip

            print(f"\n== notify: send_sms_notification vs bench/bare_consumer.py ({machine()})")
            print(f"   {args.events} events per round, {args.rounds} rounds per side, alternating; logs in {log_dir}")
            # The first event of each fresh process: imports, clients and connections made on first use.
            for name in ("ours", "bare"):
                switch(name)
                first = _run_round(seeder, publisher, topic, watcher, 1, {})
                print(f"   first event of a fresh {name} process: {first.latencies[0]:.2f} s to the SMS")
            for name in ("ours", "bare"):  # warm both further (JIT of the emulators, connection pools)
                switch(name)
                _run_round(seeder, publisher, topic, watcher, 40, {})

            results: dict[str, list[Round]] = {"ours": [], "bare": []}
            loads = []
            for index in range(args.rounds):
                for name in ("ours", "bare") if index % 2 == 0 else ("bare", "ours"):
                    switch(name)
                    groups = {
                        "function": procs[name].pid,
                        "firestore": emulator_pids["firestore"],
                        "pubsub": emulator_pids["pubsub"],
                        "moto": emulator_pids["sms"],
                    }
                    results[name].append(_run_round(seeder, publisher, topic, watcher, args.events, groups))
                    loads.append(load_1min())
            print(f"   load average during the rounds: median {median(loads):.1f}")
            for name, rounds in results.items():
                cpu = "  ".join(
                    f"{part} {median([r.cpu_ms(part) for r in rounds]):5.2f}"
                    for part in ("function", "firestore", "pubsub", "moto", "client")
                )
                latencies = sorted(value for r in rounds for value in r.latencies)
                print(
                    f"   {name:5} {median([r.rate for r in rounds]):6.1f} events/s  "
                    f"(burst of {args.events}: SMS p50 {statistics.median(latencies):5.2f} s, "
                    f"p95 {latencies[int(0.95 * len(latencies))]:5.2f} s after its publish)  CPU ms/event: {cpu}"
                )
            ratio = median([r.rate for r in results["ours"]]) / median([r.rate for r in results["bare"]])
            per_round = [o.rate / b.rate for o, b in zip(results["ours"], results["bare"], strict=True)]
            print(
                f"   ratio ours/bare: {ratio:.2f} (goal >= 0.5); per round: " + ", ".join(f"{r:.2f}" for r in per_round)
            )
            parts = ("function", "firestore", "pubsub", "moto", "client")
            cpu = {name: median([sum(r.cpu_ms(p) for p in parts) for r in rounds]) for name, rounds in results.items()}
            print(
                f"   CPU per event, all processes: ours {cpu['ours']:.2f} ms, bare {cpu['bare']:.2f} ms: "
                f"bare/ours {cpu['bare'] / cpu['ours']:.2f}"
            )
    finally:
        supervisor.stop()
        emulators.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
