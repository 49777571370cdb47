"""The reliability stack: every target on the session's emulators, in a project of its own, with SNS reached through
a fault-injecting proxy and the outbox relay running as under `make run`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.cloud import firestore

from devstack.harness import EmulatorHandle, StackHandle, start_test_stack
from devstack.processes import StartupError
from devstack.run import OutboxRelay
from devstack.stack import DEFAULT_SOURCE
from devstack.topology import DEFAULT_TOPOLOGY
from tests.reliability.harness import FaultySns, PubSubRest

PROJECT = "demo-bahagia-reliability"  # its own project: other suites' resets never touch this data
TAP = "reliability-event-tap"  # a pull subscription that sees every event on submission-events
DEAD_LETTER_HOLD = "submission-events-dead-letter-hold"


@dataclass(frozen=True)
class Sizes:
    """The fast part (make test) or the issue's sizes (--full)."""

    full: bool
    submissions: int
    clients: int
    freeze_seconds: float
    drain_timeout: float


@pytest.fixture(scope="session")
def sizes(pytestconfig: pytest.Config) -> Sizes:
    if pytestconfig.getoption("--full"):
        return Sizes(True, submissions=1000, clients=50, freeze_seconds=5.0, drain_timeout=300.0)
    return Sizes(False, submissions=100, clients=10, freeze_seconds=2.0, drain_timeout=120.0)


@dataclass
class ReliabilityStack:
    stack: StackHandle
    emulators: EmulatorHandle
    sns: FaultySns
    pubsub: PubSubRest
    db: firestore.Client

    @property
    def log_dir(self) -> Path:  # the privacy guard searches every component's log at the end of the session
        return self.stack.log_dir

    @property
    def base_url(self) -> str:
        return self.stack.base_url

    def process(self, name: str) -> Any:
        return next(proc for proc in self.emulators.supervisor.processes if proc.name == name)

    def reset(self) -> None:
        """No data, no SMS, no counted SNS calls, and a fresh event tap."""
        self.sns.failure_rate = 0.0
        for attempt in range(3):  # a busy machine can make the emulator's bulk delete slower than its 10 s timeout
            try:
                self.emulators.reset_firestore(PROJECT)
                break
            except OSError:
                if attempt == 2:
                    raise
        self.emulators.reset_sms()
        self.sns.reset_counts()
        self.pubsub.delete_subscription(TAP)
        self.pubsub.create_pull(TAP, "submission-events")
        self.pubsub.drain(DEAD_LETTER_HOLD)


def _test_topology(tmp: Path) -> Path:
    """infra/topology.json without the push subscriptions' retry policy; everything else as in production.

    The Pub/Sub emulator (0.8.x) loses track of pushes that failed under a retry policy: with 100 messages and half
    the pushes answered 503, about 20 were never pushed again nor dead-lettered (measured: nothing for 85 s with a
    10 s maximum backoff), while without a retry policy it redelivers at once and every message ends delivered or
    dead-lettered. Real Pub/Sub has no such problem; the tests need an emulator that does not drop messages."""
    raw = json.loads(DEFAULT_TOPOLOGY.read_text(encoding="utf-8"))
    for sub in raw["subscriptions"]:
        if sub.get("push_target"):
            sub.pop("retry_minimum_backoff", None)
            sub.pop("retry_maximum_backoff", None)
    path = tmp / "topology.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def reliability_stack(
    emulators: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReliabilityStack]:
    sns = FaultySns(emulators.sns_url)
    try:
        stack = start_test_stack(
            emulators,
            topology_path=_test_topology(tmp_path_factory.mktemp("reliability-topology")),
            source=DEFAULT_SOURCE,
            log_dir=tmp_path_factory.mktemp("reliability-logs"),
            project_id=PROJECT,
            extra_env={
                "BAHAGIA_SNS_ENDPOINT_URL": sns.url,
                "AWS_ENDPOINT_URL_SNS": sns.url,
                # The relay takes entries older than this; the request that wrote one publishes it sooner.
                "BAHAGIA_OUTBOX_RELAY_MIN_AGE_SECONDS": "3",
            },
        )
    except StartupError as error:
        sns.stop()
        pytest.fail(str(error), pytrace=False)
    relay = OutboxRelay(stack.target_url("relay_outbox"), 2.0, "reliability-logs/relay_outbox.log")
    relay.start()
    handle = ReliabilityStack(stack, emulators, sns, PubSubRest(emulators.pubsub_host, PROJECT),
                              firestore.Client(project=PROJECT))  # fmt: skip
    try:
        yield handle
    finally:
        relay.stopped.set()
        stack.stop()
        sns.stop()
