"""Ports, env overrides and the environment handed to the local processes."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from devstack import components
from devstack.components import Endpoints, MissingSystemPackage, check_system, child_env
from devstack.config import (
    DEFAULT_PORTS,
    ConfigError,
    busy_port_message,
    first_busy_port,
    free_ports,
    function_ports,
    port_in_use,
    ports_from_env,
)


def test_contract_ports_by_default() -> None:
    ports = ports_from_env({})
    assert ports.named() == {"gateway": 8080, "firestore": 8681, "pubsub": 8685, "sms": 8690, "storage": 8691}
    assert ports.functions_base == DEFAULT_PORTS["functions_base"]


def test_each_port_has_an_override() -> None:
    env = {
        "BAHAGIA_PORT_GATEWAY": "9080",
        "BAHAGIA_PORT_FIRESTORE": " 9681 ",
        "BAHAGIA_PORT_PUBSUB": "9685",
        "BAHAGIA_PORT_SMS": "9690",
        "BAHAGIA_PORT_STORAGE": "9691",
        "BAHAGIA_PORT_FUNCTIONS_BASE": "0",
    }
    ports = ports_from_env(env)
    assert ports.named() == {"gateway": 9080, "firestore": 9681, "pubsub": 9685, "sms": 9690, "storage": 9691}
    assert ports.functions_base == 0


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1", "80.5"])
def test_unusable_port_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="BAHAGIA_PORT_GATEWAY must be a port number"):
        ports_from_env({"BAHAGIA_PORT_GATEWAY": value})


def test_two_components_on_one_port_is_refused() -> None:
    with pytest.raises(ConfigError, match="BAHAGIA_PORT_SMS and BAHAGIA_PORT_GATEWAY both ask for port 8080"):
        ports_from_env({"BAHAGIA_PORT_SMS": "8080"})


def test_function_ports_are_consecutive_and_skip_fixed_ports() -> None:
    assert function_ports(8688, ["a", "b", "c"], taken=[8690]) == {"a": 8688, "b": 8689, "c": 8691}


def test_function_ports_from_zero_are_distinct_free_ports() -> None:
    ports = function_ports(0, [f"t{i}" for i in range(8)])
    assert len(set(ports.values())) == 8
    assert not set(ports.values()) & set(DEFAULT_PORTS.values())
    # below the ephemeral range, where no outgoing connection can take them before the child binds
    ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    assert all(20000 <= port < ephemeral_low for port in ports.values())


def test_port_in_use_sees_a_listener_and_its_release() -> None:
    (port,) = free_ports(1)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        assert port_in_use(port)
        assert first_busy_port({"sms": port}) == ("sms", port)
    assert not port_in_use(port)
    assert first_busy_port({"sms": port}) is None


def test_busy_port_message_names_the_override() -> None:
    assert "BAHAGIA_PORT_GATEWAY=" in busy_port_message("gateway", 8080)
    assert "8080" in busy_port_message("gateway", 8080)
    assert "BAHAGIA_PORT_FUNCTIONS_BASE=" in busy_port_message("function submit_application", 8701)


def test_client_env_points_every_client_at_the_emulators() -> None:
    env = Endpoints(1001, 1002, 1003, 1004).client_env("demo-x", "test")
    assert env["FIRESTORE_EMULATOR_HOST"] == "127.0.0.1:1001"
    assert env["PUBSUB_EMULATOR_HOST"] == "127.0.0.1:1002"
    assert env["BAHAGIA_SNS_ENDPOINT_URL"] == env["AWS_ENDPOINT_URL_SNS"] == "http://127.0.0.1:1003"
    assert env["STORAGE_EMULATOR_HOST"] == "http://127.0.0.1:1004"
    assert env["AWS_DEFAULT_REGION"] == "ap-southeast-3"
    assert (env["BAHAGIA_PROJECT_ID"], env["BAHAGIA_ENVIRONMENT"]) == ("demo-x", "test")


def test_child_env_drops_real_credentials() -> None:
    env = child_env({"GOOGLE_APPLICATION_CREDENTIALS": "/key.json", "AWS_PROFILE": "prod", "HOME": "/root"}, {"A": "1"})
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in env
    assert "AWS_PROFILE" not in env
    assert env["HOME"] == "/root"
    assert env["A"] == "1"


def test_missing_java_names_the_debian_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(MissingSystemPackage) as error:
        check_system()
    assert str(error.value) == (
        "Java is missing: install the Debian package openjdk-17-jre-headless (apt-get install openjdk-17-jre-headless)"
    )


def test_missing_emulator_names_the_debian_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Java present, but neither dpkg nor the usual install path knows the emulator.
    (tmp_path / "java").symlink_to(check_system().java)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingSystemPackage, match=f"install the Debian package {components.FIRESTORE_PACKAGE}"):
        check_system(fallbacks={})


def test_this_machine_has_what_the_stack_needs() -> None:
    tools = check_system()
    assert os.access(tools.pubsub_script, os.X_OK)
    assert tools.firestore_jar.suffix == ".jar"
