"""What every benchmark here shares: emulators on free ports, a light HTTP load generator, CPU accounting per process
group, and the machine's state to print beside the figures.

The machine has 2 cores shared with the emulators (and possibly other people's work): every benchmark compares
against a baseline measured in the same run, in alternating rounds, and prints medians, ratios and the load average.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT / "functions"), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def quiet_logs() -> None:
    """The load generator shares the 2 cores: it must not spend them printing a log line per request."""
    for noisy in ("httpx", "httpcore", "urllib3", "google", "grpc", "botocore", "boto3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min), "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )


def load_1min() -> float:
    return os.getloadavg()[0]


# --- CPU accounting ------------------------------------------------------------------------------------------------


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every live process in a process group (a component's whole tree: gunicorn's worker,
    the JVM behind the Pub/Sub emulator's launcher script)."""
    from devstack.processes import group_members

    return sum(int(fields[11]) + int(fields[12]) for fields in group_members(pgid)) / _CLOCK_TICKS  # utime + stime


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class CpuMeter:
    """CPU seconds spent by named process groups (and this process, the load generator) between start and stop."""

    groups: Mapping[str, int]
    _start: dict[str, float] = field(default_factory=dict)
    spent: dict[str, float] = field(default_factory=dict)

    def _sample(self) -> dict[str, float]:
        sample = {name: group_cpu_seconds(pgid) for name, pgid in self.groups.items()}
        sample["client"] = own_cpu_seconds()
        return sample

    def __enter__(self) -> CpuMeter:
        self._start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._sample()
        self.spent = {name: end[name] - self._start[name] for name in end}


# --- HTTP load -----------------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    requests: int
    wall: float
    latencies: list[float]
    statuses: dict[int, int]
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.wall

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]

    def cpu_ms_per_request(self, name: str) -> float:
        return 1000 * self.cpu.get(name, 0.0) / self.requests


def post_all(
    url: str,
    bodies: Sequence[bytes],
    concurrency: int,
    headers: Mapping[str, str] | None = None,
    groups: Mapping[str, int] | None = None,
) -> LoadResult:
    """POST each body once, `concurrency` keep-alive connections at a time (http.client: the lightest client in the
    standard library, so the load generator takes as little of the shared CPU as it can)."""
    host_port = url.split("/", 3)[2]
    path = "/" + (url.split("/", 3)[3] if url.count("/") >= 3 else "")
    host, _, port = host_port.partition(":")
    base_headers = {"Content-Type": "application/json", **(headers or {})}
    local = threading.local()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def one(body: bytes) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=base_headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                local.conn = None
        except (OSError, http.client.HTTPException):
            conn.close()
            local.conn = None
            status = 0
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            statuses[status] = statuses.get(status, 0) + 1

    meter = CpuMeter(groups or {})
    with meter:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, bodies))
        wall = time.perf_counter() - started
    return LoadResult(len(bodies), wall, latencies, statuses, meter.spent)


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
