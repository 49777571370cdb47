"""Fixtures shared by every tier. Nothing starts unless a test asks for it; each emulator starts once per session,
on free ports (never the contract's), so `make test` runs beside `make run`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.components import MissingSystemPackage
from devstack.harness import EmulatorHandle, StackHandle, start_test_emulators, start_test_stack
from devstack.processes import StartupError
from devstack.stack import DEFAULT_SOURCE
from devstack.topology import DEFAULT_TOPOLOGY

# Settings fail closed: with no environment they are production, and refuse to start without its secrets. The suite
# says `test` explicitly (tests/unit/test_settings.py clears it on purpose; the emulator fixtures set it again for the
# processes they start).
os.environ["BAHAGIA_ENVIRONMENT"] = "test"

# The privacy guard watches every tier; the reliability plugin adds --full and the table of figures; the watchdog
# ends a run whose test is stuck where pytest-timeout cannot reach it.
pytest_plugins = ("tests.privacy", "tests.reliability.plugin", "tests.watchdog")

TEST_PROJECT_ID = "demo-bahagia-test"
_TESTS_DIR = Path(__file__).resolve().parent
_TIER_MARKS = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests under tests/integration get the `integration` mark, tests under tests/e2e `e2e` (`-m "not e2e"`)."""
    for item in items:
        try:
            tier = item.path.resolve().relative_to(_TESTS_DIR).parts[0]
        except ValueError:
            continue
        if tier in _TIER_MARKS:
            item.add_marker(_TIER_MARKS[tier])


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorHandle]:
    """Firestore, Pub/Sub, moto (SNS) and the storage emulator for the session, with os.environ pointing at them.

    Exposes firestore_host, pubsub_host, sns_url, storage_url, project_id, the *_port numbers, sms_messages().
    """
    log_dir = tmp_path_factory.mktemp("emulator-logs")
    try:
        handle = start_test_emulators(log_dir, TEST_PROJECT_ID)
    except (MissingSystemPackage, StartupError) as error:
        pytest.fail(str(error), pytrace=False)
    try:
        with pytest.MonkeyPatch.context() as env:
            for key, value in handle.client_env().items():
                env.setenv(key, value)
            yield handle
    finally:
        handle.stop()


@pytest.fixture
def clean_emulators(emulators: EmulatorHandle) -> EmulatorHandle:
    """The session's emulators with no Firestore data, no SMS and fresh topics/subscriptions of the test project."""
    emulators.reset()
    return emulators


@pytest.fixture(scope="session")
def stack(emulators: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    """Every target of infra/topology.json in its own functions-framework process, the topics and push
    subscriptions, and the gateway: `.base_url`, `.target_url(name)`, `.sms_messages()`, `.log(name)`."""
    try:
        handle = start_test_stack(
            emulators,
            topology_path=DEFAULT_TOPOLOGY,
            source=DEFAULT_SOURCE,
            log_dir=tmp_path_factory.mktemp("stack-logs"),
        )
    except StartupError as error:
        pytest.fail(str(error), pytrace=False)
    yield handle
    handle.stop()
