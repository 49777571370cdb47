"""SMS latency (issue 12): from a submission's 201 to its SMS visible in moto, on the stack `make run` started.

    make run                          # in one terminal (with the same BAHAGIA_PORT_* variables as below)
    make bench B=sms_latency          # in another: 1 and 20 submissions/s, p50 and p95

Open loop: submissions are sent at the given rate whatever the answers take (a thread per request in flight), each
an application with its own NIK and number (so the daily cap never applies), through the gateway, as a citizen's
browser would. moto is polled every 0.1 s, so each latency is up to 0.1 s late. The first submission of the run is
reported on its own: right after `make run` it shows whether the functions were warm (devstack calls every target
once before READY). Submissions land in the running stack's emulators (plainly fake people: NIK serial 9xxx).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import statistics
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from bench.common import machine, quiet_logs

HOST = "127.0.0.1"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(f"BAHAGIA_PORT_{name.upper()}") or default)


def application(run: int, serial: int) -> tuple[bytes, str]:
    """A body with a NIK and a number no other submission of this run (and, likely, of another run) has."""
    from tests import samples

    unique = run * 10_000 + serial
    born = dt.date(1950, 1, 1) + dt.timedelta(days=unique // 1000 % 18_000)
    phone = f"+62813{unique:08d}"
    body = samples.application()
    body["applicant"].update(
        nik=f"157101{born:%d%m%y}9{unique % 1000:03d}", birth_date=born.isoformat(), gender="L", phone=phone
    )
    return json.dumps(body).encode(), phone


@dataclass
class Watcher:
    """Notes when the first SMS to each number appears in moto."""

    sns_url: str
    seen: dict[str, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            with urllib.request.urlopen(f"{self.sns_url}/moto-api/data.json", timeout=30) as response:  # noqa: S310
                messages = json.loads(response.read()).get("sns", {}).get("SMS", [])
            now = time.perf_counter()
            for message in messages:
                self.seen.setdefault(message["phone_number"], now)
            self.stop.wait(0.1)


def measure(gateway: str, watcher: Watcher, rate: float, count: int, run: int) -> dict[str, object]:
    host, _, port = gateway.removeprefix("http://").partition(":")
    answered: dict[str, float] = {}
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def submit(body: bytes, phone: str) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            conn.request("POST", "/v1/applications", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
        finally:
            conn.close()
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                answered[phone] = time.perf_counter()

    bodies = [application(run, i) for i in range(count)]
    threads = []
    started = time.perf_counter()
    for index, (body, phone) in enumerate(bodies):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=submit, args=(body, phone), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(60)
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline and any(phone not in watcher.seen for phone in answered):
        time.sleep(0.2)
    latencies = sorted(watcher.seen[p] - t for p, t in answered.items() if p in watcher.seen)
    missing = sum(1 for p in answered if p not in watcher.seen)
    first_phone = bodies[0][1]
    ordered = [watcher.seen[p] - answered[p] for _, p in bodies if p in answered and p in watcher.seen]
    tenth = max(1, len(ordered) // 10)
    by_order = [round(statistics.median(ordered[i : i + tenth]), 2) for i in range(0, len(ordered), tenth)]
    return {
        "rate": rate,
        "count": count,
        "statuses": statuses,
        "missing": missing,
        "first": watcher.seen.get(first_phone, float("nan")) - answered.get(first_phone, float("nan")),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else float("nan"),
        "max": latencies[-1] if latencies else float("nan"),
        "by_order": by_order,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="1,20", help="submissions per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=20, help="how long each rate is kept up")
    parser.add_argument("--verbose", action="store_true", help="also print the median latency of each tenth")
    args = parser.parse_args()
    quiet_logs()
    gateway = f"http://{HOST}:{_port('gateway', 8080)}"
    sns_url = f"http://{HOST}:{_port('sms', 8690)}"
    try:
        urllib.request.urlopen(f"{gateway}/v1/programs", timeout=5).read()  # noqa: S310
        urllib.request.urlopen(f"{sns_url}/moto-api/data.json", timeout=5).read()  # noqa: S310
    except OSError:
        print(f"no stack answers at {gateway} and {sns_url}: start `make run` first (same BAHAGIA_PORT_* variables)")
        return 1
    watcher = Watcher(sns_url)
    poller = threading.Thread(target=watcher.run, daemon=True)
    poller.start()
    run = random.randrange(100)  # a prefix for this run's numbers
    print(f"\n== SMS latency, submission answered -> SMS in moto ({machine()})")
    try:
        for index, rate in enumerate(float(r) for r in args.rates.split(",")):
            result = measure(gateway, watcher, rate, max(1, round(rate * args.seconds)), run * 10 + index)
            if args.verbose:
                print("   latency by send order (tenths):", result["by_order"])
            print(
                f"   {rate:5.1f}/s x {result['count']:4}: p50 {result['p50']:5.2f} s  p95 {result['p95']:5.2f} s  "
                f"max {result['max']:5.2f} s  first {result['first']:5.2f} s  missing {result['missing']}  "
                f"statuses {result['statuses']}  (goal: p95 <= 3 s)"
            )
    finally:
        watcher.stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
