"""Ports of the local stack: the contract's defaults, their env overrides, and checks that they are free."""

from __future__ import annotations

import errno
import random
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"

# CONTRACT.md section 2. Every port is overridable so that a second stack (or one beside other software) can run.
DEFAULT_PORTS: dict[str, int] = {
    "gateway": 8080,
    "firestore": 8681,
    "pubsub": 8685,
    "sms": 8690,
    "storage": 8691,
    # The function processes sit behind the gateway; each target takes the next port from this base, in the order of
    # infra/topology.json. 0 means "any free ports" (what the tests use).
    "functions_base": 8700,
}


class ConfigError(Exception):
    """A setting of the local stack is unusable; the message is one line meant for a person."""


def port_env_var(name: str) -> str:
    return f"BAHAGIA_PORT_{name.upper()}"


@dataclass(frozen=True)
class Ports:
    gateway: int
    firestore: int
    pubsub: int
    sms: int
    storage: int
    functions_base: int

    def named(self) -> dict[str, int]:
        """The fixed ports by component name (functions_base is a range start, checked separately)."""
        return {
            "gateway": self.gateway,
            "firestore": self.firestore,
            "pubsub": self.pubsub,
            "sms": self.sms,
            "storage": self.storage,
        }


def parse_port(value: str, variable: str, *, allow_zero: bool = False) -> int:
    text = value.strip()
    low = 0 if allow_zero else 1
    if not text.isdigit() or not low <= int(text) <= 65535:
        raise ConfigError(f"{variable} must be a port number between {low} and 65535, not {value!r}")
    return int(text)


def ports_from_env(environ: Mapping[str, str]) -> Ports:
    values: dict[str, int] = {}
    for name, default in DEFAULT_PORTS.items():
        variable = port_env_var(name)
        raw = environ.get(variable, "")
        values[name] = parse_port(raw, variable, allow_zero=name == "functions_base") if raw.strip() else default
    ports = Ports(**values)
    seen: dict[int, str] = {}
    for name, port in ports.named().items():
        if port in seen:
            raise ConfigError(
                f"{port_env_var(name)} and {port_env_var(seen[port])} both ask for port {port}; give each its own port"
            )
        seen[port] = name
    return ports


def function_ports(base: int, targets: Iterable[str], taken: Iterable[int] = ()) -> dict[str, int]:
    """Consecutive ports from `base`, skipping the fixed ones, or free ephemeral ports when base is 0."""
    names = list(targets)
    if base == 0:
        return dict(zip(names, free_ports(len(names)), strict=True))
    skip = set(taken)
    result: dict[str, int] = {}
    port = base
    for name in names:
        while port in skip:
            port += 1
        if port > 65535:
            raise ConfigError(f"{port_env_var('functions_base')}={base} leaves no room for {len(names)} function ports")
        result[name] = port
        port += 1
    return result


def port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: a port left in TIME_WAIT by a stack that just stopped is free for a new listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def first_busy_port(ports: Mapping[str, int], host: str = HOST) -> tuple[str, int] | None:
    for name, port in ports.items():
        if port_in_use(port, host):
            return name, port
    return None


def busy_port_message(name: str, port: int) -> str:
    variable = port_env_var("functions_base") if name.startswith("function ") else port_env_var(name)
    return (
        f"port {port} ({name}) is already in use on {HOST}; "
        f"stop what listens there or choose another port with {variable}=..."
    )


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(count: int, host: str = HOST) -> list[int]:
    """Distinct free ports for a stack that must not collide with the contract's (tests, a second stack).

    Drawn below the kernel's ephemeral range: between our check and the child's bind, an outgoing connection of any
    process could otherwise be handed the same port. Every socket stays bound until all ports are chosen.
    """
    low = 20000
    high = min(_ephemeral_range()[0], 65536) - 1
    reserved = set(DEFAULT_PORTS.values())
    sockets: list[socket.socket] = []
    try:
        while len(sockets) < count:
            port = random.randint(low, high)  # noqa: S311 -- spreading ports, not secrecy
            if port in reserved or port in {sock.getsockname()[1] for sock in sockets}:
                continue
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind((host, port))
            except OSError:
                sock.close()
                continue
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
