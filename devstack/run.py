"""`make run`: the whole local stack on the contract's ports, in the foreground until SIGINT or SIGTERM.

Settings (all optional, for a second stack or a test): BAHAGIA_PORT_GATEWAY, BAHAGIA_PORT_FIRESTORE,
BAHAGIA_PORT_PUBSUB, BAHAGIA_PORT_SMS, BAHAGIA_PORT_STORAGE, BAHAGIA_PORT_FUNCTIONS_BASE (0: any free ports),
BAHAGIA_PROJECT_ID, BAHAGIA_DEVSTACK_TOPOLOGY, BAHAGIA_DEVSTACK_SOURCE, BAHAGIA_DEVSTACK_LOG_DIR,
BAHAGIA_DEVSTACK_STARTUP_TIMEOUT, BAHAGIA_DEVSTACK_RELAY_INTERVAL.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from devstack import components
from devstack.components import MissingSystemPackage
from devstack.config import HOST, ConfigError, busy_port_message, first_busy_port, function_ports, ports_from_env
from devstack.processes import StartupError, exit_with_parent
from devstack.stack import DEFAULT_SOURCE, Supervisor, start_emulators, start_services
from devstack.topology import DEFAULT_TOPOLOGY, REPO_ROOT, TopologyError, load_topology

RELAY_TARGET = "relay_outbox"


class _Shutdown(BaseException):
    """Raised from the signal handlers; a BaseException so no `except Exception` on the way swallows it."""


def say(message: str) -> None:
    print(f"devstack: {message}", flush=True)


def _display(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(REPO_ROOT))
    return str(path)


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None


def validate_catalogue(functions_dir: Path) -> None:
    """Load the programme catalogue the way the functions will, so a broken data file stops `make run` early."""
    if str(functions_dir) not in sys.path:
        sys.path.insert(0, str(functions_dir))
    try:
        module = importlib.import_module("bahagia.catalogue")
    except ModuleNotFoundError as error:
        if error.name in {"bahagia", "bahagia.catalogue"}:
            say("no bahagia.catalogue yet; catalogue check skipped")
            return
        raise
    loader = getattr(module, "load_catalogue", None) or getattr(module, "load", None)
    if loader is None:
        say("bahagia.catalogue has no load function; catalogue check skipped")
        return
    loader()


class OutboxRelay(threading.Thread):
    """Calls relay_outbox every few seconds, as Cloud Scheduler does every minute in production."""

    def __init__(self, url: str, interval: float, log_hint: str) -> None:
        super().__init__(name="outbox-relay", daemon=True)
        self.url = url
        self.interval = interval
        self.log_hint = log_hint
        self.stopped = threading.Event()
        self._failing = False

    def call_once(self) -> str | None:
        """None on success, else a short reason (never a response body: it could carry data of a submission)."""
        host_port = self.url.removeprefix("http://")
        host, _, port = host_port.partition(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request("POST", "/", body=b"{}", headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            return type(error).__name__
        finally:
            conn.close()
        return None if response.status < 300 else f"HTTP {response.status}"

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            problem = self.call_once()
            if self.stopped.is_set():
                return  # a call cut short by the shutdown is not worth a message
            if problem and not self._failing:
                say(f"{RELAY_TARGET} failed ({problem}); retrying every {self.interval:g} s, see {self.log_hint}")
            elif not problem and self._failing:
                say(f"{RELAY_TARGET} answers again")
            self._failing = problem is not None


def main() -> int:
    try:
        ports = ports_from_env(os.environ)
        topology = load_topology(Path(os.environ.get("BAHAGIA_DEVSTACK_TOPOLOGY") or DEFAULT_TOPOLOGY))
        source = Path(os.environ.get("BAHAGIA_DEVSTACK_SOURCE") or DEFAULT_SOURCE).resolve()
        log_dir = Path(os.environ.get("BAHAGIA_DEVSTACK_LOG_DIR") or REPO_ROOT / "var" / "log").resolve()
        startup_timeout = _float_env("BAHAGIA_DEVSTACK_STARTUP_TIMEOUT", 180.0)
        relay_interval = _float_env("BAHAGIA_DEVSTACK_RELAY_INTERVAL", 5.0)
        tools = components.check_system()
        fixed = ports.named()
        targets = function_ports(ports.functions_base, topology.targets, taken=fixed.values())
    except (ConfigError, TopologyError, MissingSystemPackage) as error:
        say(str(error))
        return 1
    project_id = os.environ.get("BAHAGIA_PROJECT_ID") or topology.project_id_local

    busy = first_busy_port({**fixed, **{f"function {name}": port for name, port in targets.items()}})
    if busy is not None:
        say(busy_port_message(*busy))
        return 1

    try:
        validate_catalogue(source.parent)
    except Exception as error:
        say(f"the programme catalogue does not load: {type(error).__name__}: {error}")
        return 1

    def request_shutdown(signum: int, frame: FrameType | None) -> None:
        # Only once: a second Ctrl-C must not interrupt the cleanup below.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise _Shutdown

    signal.signal(signal.SIGINT, request_shutdown)
    signal.signal(signal.SIGTERM, request_shutdown)
    parent = os.getppid()
    # If nox (or whatever started us) is SIGKILLed, we get SIGTERM and clean up; the getppid poll below is the
    # fallback for a parent that was already gone before this line.
    exit_with_parent(signal.SIGTERM)

    supervisor = Supervisor()
    relay: OutboxRelay | None = None
    code = 0
    try:
        started = time.monotonic()
        say(f"starting; logs of every component in {_display(log_dir)}/ (tail -f {_display(log_dir)}/*.log)")
        endpoints = start_emulators(
            supervisor,
            tools,
            firestore_port=ports.firestore,
            pubsub_port=ports.pubsub,
            sms_port=ports.sms,
            storage_port=ports.storage,
            log_dir=log_dir,
            timeout=startup_timeout,
        )
        emulators_up = time.monotonic()
        services = start_services(
            supervisor,
            endpoints,
            topology,
            source=source,
            project_id=project_id,
            environment="local",
            function_ports=targets,
            gateway_port=ports.gateway,
            public_base_url=f"http://{HOST}:{ports.gateway}",
            log_dir=log_dir,
            timeout=startup_timeout,
        )
        say(
            f"emulators up in {emulators_up - started:.1f} s, functions and gateway in "
            f"{time.monotonic() - emulators_up:.1f} s; project {project_id}"
        )
        say("targets: " + ", ".join(f"{name} {url}" for name, url in services.function_urls.items()))
        if RELAY_TARGET in services.function_urls:
            relay = OutboxRelay(
                services.function_urls[RELAY_TARGET], relay_interval, f"{_display(log_dir)}/{RELAY_TARGET}.log"
            )
            relay.start()
        print(f"READY {services.gateway_url}", flush=True)

        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                say("parent process is gone; stopping")
                break
            dead = supervisor.first_exited()
            if dead is not None:
                say(f"{dead.name} exited with code {dead.exit_code()}; stopping everything; log: {dead.log_path}")
                code = 1
                break
    except _Shutdown:
        say("stopping")
    except StartupError as error:
        say(str(error))
        code = 1
    except Exception as error:
        # e.g. the Pub/Sub admin calls; one line here, the details are in the component logs
        say(f"startup failed: {type(error).__name__}: {error}")
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if relay is not None:
            relay.stopped.set()
        supervisor.stop()
    say("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
