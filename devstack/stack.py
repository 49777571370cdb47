"""Starting the pieces of a local stack; `make run` and the test fixtures go through these same functions."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devstack import components
from devstack.components import ComponentCommand, Endpoints, SystemTools
from devstack.config import HOST
from devstack.processes import ManagedProcess, spawn, stop_all, wait_until_ready
from devstack.pubsub_setup import create_topology
from devstack.topology import REPO_ROOT, Topology
from devstack.warmup import warm_up

DEFAULT_SOURCE = REPO_ROOT / "functions" / "main.py"


@dataclass
class Supervisor:
    """Every process one stack started, stopped together in reverse order of starting."""

    processes: list[ManagedProcess] = field(default_factory=list)

    def start(self, command: ComponentCommand, env: Mapping[str, str], log_dir: Path) -> ManagedProcess:
        proc = spawn(command.name, command.argv, env=env, log_path=log_dir / f"{command.name}.log", cwd=REPO_ROOT)
        self.processes.append(proc)
        return proc

    def first_exited(self) -> ManagedProcess | None:
        return next((proc for proc in self.processes if not proc.stopped and proc.exit_code() is not None), None)

    def stop(self, timeout: float = 10.0) -> None:
        stop_all(list(reversed(self.processes)), timeout)


def _start_and_wait(
    supervisor: Supervisor, commands: list[tuple[ComponentCommand, int]], env: Mapping[str, str], log_dir: Path,
    timeout: float,
) -> None:  # fmt: skip
    # All at once, then wait: the JVMs and the functions' imports overlap instead of queueing.
    pending = {}
    for command, port in commands:
        proc = supervisor.start(command, env, log_dir)
        pending[proc] = (f"http://{HOST}:{port}{command.ready_path}", command.needs_200)
    wait_until_ready(pending, timeout)


def start_emulators(
    supervisor: Supervisor,
    tools: SystemTools,
    *,
    firestore_port: int,
    pubsub_port: int,
    sms_port: int,
    storage_port: int | None,
    log_dir: Path,
    timeout: float,
) -> Endpoints:
    commands = [
        (components.firestore_command(tools, firestore_port), firestore_port),
        (components.pubsub_command(tools, pubsub_port), pubsub_port),
        (components.sms_command(sms_port), sms_port),
    ]
    if storage_port is not None:
        commands.append((components.storage_command(storage_port), storage_port))
    _start_and_wait(supervisor, commands, components.child_env(os.environ, {}), log_dir, timeout)
    return Endpoints(firestore_port, pubsub_port, sms_port, storage_port)


@dataclass(frozen=True)
class Services:
    gateway_url: str
    function_urls: dict[str, str]


def start_services(
    supervisor: Supervisor,
    endpoints: Endpoints,
    topology: Topology,
    *,
    source: Path,
    project_id: str,
    environment: str,
    function_ports: Mapping[str, int],
    gateway_port: int,
    public_base_url: str,
    log_dir: Path,
    timeout: float,
    static_dir: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Services:
    """One functions-framework process per target, the topics and push subscriptions to them, then the gateway."""
    if topology.path is None:
        raise ValueError("the gateway process re-reads the route table: load the topology from a file")
    env = components.child_env(
        os.environ,
        {
            **endpoints.client_env(project_id, environment),
            "BAHAGIA_PUBLIC_BASE_URL": public_base_url,
            **(extra_env or {}),
        },
    )
    commands = [
        (components.function_command(source, target, signature, function_ports[target]), function_ports[target])
        for target, signature in topology.targets.items()
    ]
    _start_and_wait(supervisor, commands, env, log_dir, timeout)
    function_urls = {target: f"http://{HOST}:{function_ports[target]}" for target in topology.targets}

    create_topology(endpoints.pubsub_host, project_id, topology, function_urls)

    if static_dir is None and topology.static_directory:
        static_dir = REPO_ROOT / topology.static_directory
    argv = [sys.executable, "-m", "devstack.gateway", "--port", str(gateway_port), "--topology", str(topology.path)]
    if static_dir is not None:
        # The staff console's local sign-in and config (devstack/local_console.py) sit beside the static pages.
        argv += ["--static-dir", str(static_dir), "--local-console"]
    # Internal targets (relay_outbox) get no backend: the public gateway must not reach them.
    for target in topology.http_targets:
        argv += ["--backend", f"{target}={function_urls[target]}"]
    gateway = ComponentCommand("gateway", argv, "/robots.txt", needs_200=False)
    _start_and_wait(supervisor, [(gateway, gateway_port)], env, log_dir, timeout)
    if "sms_webhook" in topology.targets:
        from devstack.sms_setup import subscribe_webhooks

        subscribe_webhooks(endpoints.sns_url, f"http://{HOST}:{gateway_port}")
    # Before anyone is told the stack is up: the first submission and the first SMS must not pay a cold start.
    warm_up(function_urls, topology.targets, timeout)
    return Services(gateway_url=f"http://{HOST}:{gateway_port}", function_urls=function_urls)
