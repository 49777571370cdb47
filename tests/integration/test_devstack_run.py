"""`python -m devstack.run` (what `make run` ends in) as a subprocess on free ports: READY, relay calls, and no
process or port left behind after SIGTERM or after its own SIGKILL."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from devstack.config import free_ports, port_in_use
from devstack.topology import DEFAULT_TOPOLOGY, REPO_ROOT

STANDIN_SOURCE = Path(__file__).resolve().parent / "standin" / "main.py"
READY_TIMEOUT = 240.0

SMALL_TOPOLOGY = {
    "http_targets": ["list_programs"],
    "internal_http_targets": [{"target": "relay_outbox"}],
    "event_targets": ["send_sms_notification"],
    "default_target": "list_programs",
    "routes": [{"path": "/v1/programs", "target": "list_programs"}],
    "topics": ["submission-events"],
    "subscriptions": [{"name": "push", "topic": "submission-events", "push_target": "send_sms_notification"}],
}


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    lines: queue.Queue[str]
    ports: dict[str, int]
    events_dir: Path
    output: list[str]
    pump: threading.Thread
    known: set[int] = field(default_factory=set)

    def process_tree(self) -> set[int]:
        """Every descendant now; remembered, so the fixture can still kill them after their parent is gone."""
        tree = _descendants(self.process.pid)
        self.known |= tree
        return tree

    def wait_for_line(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting {prefix!r}; output so far:\n" + "".join(self.output))


def _start(tmp_path: Path, topology: dict[str, object] | None = None) -> RunningStack:
    topology_path = tmp_path / "topology.json"
    if topology is None:
        shutil.copy(DEFAULT_TOPOLOGY, topology_path)
    else:
        topology_path.write_text(json.dumps(topology), encoding="utf-8")
    events = tmp_path / "events"
    events.mkdir()
    names = ("gateway", "firestore", "pubsub", "sms", "storage")
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    env = {
        **os.environ,
        **{f"BAHAGIA_PORT_{name.upper()}": str(port) for name, port in ports.items()},
        "BAHAGIA_PORT_FUNCTIONS_BASE": "0",
        "BAHAGIA_DEVSTACK_TOPOLOGY": str(topology_path),
        "BAHAGIA_DEVSTACK_SOURCE": str(STANDIN_SOURCE),
        "BAHAGIA_DEVSTACK_LOG_DIR": str(tmp_path / "logs"),
        "BAHAGIA_DEVSTACK_RELAY_INTERVAL": "0.5",
        "BAHAGIA_PROJECT_ID": "demo-bahagia-run",
        "STANDIN_TOPOLOGY": str(topology_path),
        "STANDIN_EVENTS_DIR": str(events),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.run"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    return RunningStack(process, lines, ports, events, output, reader)


@pytest.fixture
def run_stack(tmp_path: Path) -> Iterator[list[RunningStack]]:
    started: list[RunningStack] = []
    yield started
    for running in started:  # a failed test must not leave a stack behind
        tree = running.process_tree() | running.known
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGTERM)
            try:
                running.process.wait(60)
            except subprocess.TimeoutExpired:
                running.process.kill()
                running.process.wait()
        for pid in tree:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        running.pump.join(10)
        assert running.process.stdout is not None
        running.process.stdout.close()


def test_run_prints_ready_serves_and_stops_everything_on_sigterm(tmp_path: Path, run_stack: list[RunningStack]) -> None:
    running = _start(tmp_path)
    run_stack.append(running)
    gateway = running.ports["gateway"]
    assert running.wait_for_line("READY", READY_TIMEOUT) == f"READY http://127.0.0.1:{gateway}\n"

    answer = httpx.get(f"http://127.0.0.1:{gateway}/v1/programs")
    assert answer.json()["target"] == "list_programs"
    # the outbox relay is called on its own, every 0.5 s here
    calls = running.events_dir / "relay_outbox.calls"
    deadline = time.monotonic() + 30
    while not (calls.exists() and "POST /" in calls.read_text().splitlines()) and time.monotonic() < deadline:
        time.sleep(0.2)
    # First the warm-up call that devstack makes to every target before READY, then the relay's own calls.
    assert calls.read_text().splitlines()[:2] == ["GET /_ah/warmup", "POST /"]

    tree = running.process_tree()
    # 4 emulators, one process per target (gunicorn adds a worker each), the gateway
    assert len(tree) >= 5 + len(json.loads(DEFAULT_TOPOLOGY.read_text())["http_targets"])

    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(60) == 0
    assert [pid for pid in tree if _alive(pid)] == []
    assert [name for name, port in running.ports.items() if port_in_use(port)] == []
    assert "".join(running.output).rstrip().endswith("devstack: stopped")


def test_run_killed_outright_takes_its_children_along(tmp_path: Path, run_stack: list[RunningStack]) -> None:
    running = _start(tmp_path, SMALL_TOPOLOGY)
    run_stack.append(running)
    running.wait_for_line("READY", READY_TIMEOUT)
    tree = running.process_tree()
    assert tree

    running.process.kill()  # no chance to clean up: PR_SET_PDEATHSIG must do it
    running.process.wait()
    deadline = time.monotonic() + 30
    while [pid for pid in tree if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in tree if _alive(pid)] == []


def test_a_busy_port_stops_run_with_one_line_naming_the_override(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = {**os.environ, "BAHAGIA_PORT_SMS": str(port), "BAHAGIA_DEVSTACK_LOG_DIR": str(tmp_path)}
        result = subprocess.run(
            [sys.executable, "-m", "devstack.run"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"devstack: port {port} (sms) is already in use on 127.0.0.1; stop what listens there or choose another port "
        "with BAHAGIA_PORT_SMS=..."
    ]
    assert result.stderr == ""
