"""What the test fixtures hold: emulators and stacks on free ports, started with the same code as `make run`."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack import components
from devstack.components import Endpoints
from devstack.config import HOST, free_ports
from devstack.pubsub_setup import create_topology, delete_everything
from devstack.stack import Supervisor, start_emulators, start_services
from devstack.topology import Topology, load_topology

STARTUP_TIMEOUT = 180.0


def _http(method: str, url: str, timeout: float = 10.0) -> bytes:
    request = urllib.request.Request(url, method=method)  # noqa: S310 -- always http://127.0.0.1
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return bytes(response.read())


@dataclass
class EmulatorHandle:
    """Firestore, Pub/Sub, moto (SNS) and the storage emulator of one test session."""

    supervisor: Supervisor
    endpoints: Endpoints
    project_id: str
    log_dir: Path
    stacks: list[StackHandle] = field(default_factory=list)

    firestore_port = property(lambda self: self.endpoints.firestore_port)
    pubsub_port = property(lambda self: self.endpoints.pubsub_port)
    sms_port = property(lambda self: self.endpoints.sms_port)
    storage_port = property(lambda self: self.endpoints.storage_port)
    firestore_host = property(lambda self: self.endpoints.firestore_host)
    pubsub_host = property(lambda self: self.endpoints.pubsub_host)
    sns_url = property(lambda self: self.endpoints.sns_url)
    storage_url = property(lambda self: self.endpoints.storage_url)

    def client_env(self, environment: str = "test") -> dict[str, str]:
        return self.endpoints.client_env(self.project_id, environment)

    def reset_firestore(self, project_id: str | None = None) -> None:
        project = project_id or self.project_id
        _http("DELETE", f"http://{self.firestore_host}/emulator/v1/projects/{project}/databases/(default)/documents")

    def reset_sms(self) -> None:
        """Forgets every SMS, topic and subscription; the webhook subscriptions of each running stack come back."""
        _http("POST", f"{self.sns_url}/moto-api/reset")
        for stack in self.stacks:
            if "sms_webhook" in stack.topology.targets:
                from devstack.sms_setup import subscribe_webhooks

                subscribe_webhooks(self.sns_url, stack.base_url)

    def sms_messages(self) -> list[dict[str, Any]]:
        """Every SMS moto has accepted: dicts with phone_number, message, message_id."""
        data = json.loads(_http("GET", f"{self.sns_url}/moto-api/data.json"))
        return list(data.get("sns", {}).get("SMS", []))

    def reset_pubsub(self, project_id: str | None = None) -> None:
        """Deletes every topic and subscription of the project (so nothing is left in flight), then recreates the
        ones of each running stack of that project, whose push endpoints must keep working."""
        project = project_id or self.project_id
        delete_everything(self.pubsub_host, project)
        for stack in self.stacks:
            if stack.project_id == project:
                stack.create_pubsub()

    def reset(self) -> None:
        self.reset_firestore()
        self.reset_sms()
        self.reset_pubsub()

    def stop(self) -> None:
        for stack in list(self.stacks):
            stack.stop()
        self.supervisor.stop()


def start_test_emulators(log_dir: Path, project_id: str, *, with_storage: bool = True) -> EmulatorHandle:
    tools = components.check_system()
    firestore, pubsub, sms, storage = free_ports(4)
    supervisor = Supervisor()
    try:
        endpoints = start_emulators(
            supervisor,
            tools,
            firestore_port=firestore,
            pubsub_port=pubsub,
            sms_port=sms,
            storage_port=storage if with_storage else None,
            log_dir=log_dir,
            timeout=STARTUP_TIMEOUT,
        )
    except BaseException:
        supervisor.stop()
        raise
    return EmulatorHandle(supervisor, endpoints, project_id, log_dir)


@dataclass
class StackHandle:
    """Function processes and the gateway of one topology, on top of a session's emulators."""

    emulators: EmulatorHandle
    supervisor: Supervisor
    topology: Topology
    project_id: str
    base_url: str
    function_urls: dict[str, str]
    log_dir: Path

    def target_url(self, name: str) -> str:
        """The function process of one target, bypassing the gateway (internal targets, CloudEvent posts)."""
        return self.function_urls[name]

    def sms_messages(self) -> list[dict[str, Any]]:
        return self.emulators.sms_messages()

    def log(self, name: str) -> str:
        """What a component (target name or "gateway") has written to its log so far."""
        return (self.log_dir / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def create_pubsub(self) -> None:
        create_topology(self.emulators.pubsub_host, self.project_id, self.topology, self.function_urls)

    def stop(self) -> None:
        if self in self.emulators.stacks:
            self.emulators.stacks.remove(self)
        self.supervisor.stop()


def start_test_stack(
    emulators: EmulatorHandle,
    *,
    topology_path: Path,
    source: Path,
    log_dir: Path,
    project_id: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> StackHandle:
    # Every request of a test session reaches the functions from 127.0.0.1 through the gateway: one client address,
    # whose daily SMS budget (settings.sms_daily_budget_per_client) a session would use up. Tests of the budget
    # itself run on fakes and on the emulator (tests/unit/test_sms_budgets.py, tests/integration/).
    extra_env = {"BAHAGIA_SMS_DAILY_BUDGET_PER_CLIENT": "1000000", **(extra_env or {})}
    topology = load_topology(topology_path)
    project = project_id or emulators.project_id
    names = list(topology.targets)
    ports = free_ports(len(names) + 1)
    gateway_port = ports.pop()
    supervisor = Supervisor()
    try:
        services = start_services(
            supervisor,
            emulators.endpoints,
            topology,
            source=source,
            project_id=project,
            environment="test",
            function_ports=dict(zip(names, ports, strict=True)),
            gateway_port=gateway_port,
            public_base_url=f"http://{HOST}:{gateway_port}",
            log_dir=log_dir,
            timeout=STARTUP_TIMEOUT,
            extra_env=extra_env,
        )
    except BaseException:
        supervisor.stop()
        raise
    handle = StackHandle(
        emulators, supervisor, topology, project, services.gateway_url, services.function_urls, log_dir
    )
    emulators.stacks.append(handle)
    return handle
