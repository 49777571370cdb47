"""Sessions behind `make run`, `make test`, `make lint` and `make lock`."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
from pathlib import Path
from types import FrameType

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

DEV_LOCK = "requirements/dev.lock"
INFRA_LOCK = "requirements/infra.lock"
BOOTSTRAP_LOCK = "requirements/bootstrap.txt"
CHECKOV_OUT = ["--compact", "--quiet", "--skip-download", "--output", "cli"]
CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "WARNING"}


# functions/settings.py fails closed: an unset BAHAGIA_ENVIRONMENT is production. Every session says what it is.
TEST_ENV = {"BAHAGIA_ENVIRONMENT": "test"}


def _local_env() -> dict[str, str]:
    """`local` for the stack and its tools, unless the caller chose an environment (e.g. the reports CLI's refusal)."""
    return {"BAHAGIA_ENVIRONMENT": os.environ.get("BAHAGIA_ENVIRONMENT", "local")}


def _install(session: nox.Session) -> None:
    # uv pip sync is quick when nothing changed, and removes what the lock no longer lists.
    session.run_install(
        "uv", "pip", "sync", "--require-hashes", "--python", session.virtualenv.location, DEV_LOCK, silent=True
    )


@nox.session(python=False)
def lock(session: nox.Session) -> None:
    """Re-lock functions/requirements.txt (deployed) and requirements/dev.lock (tests, tools) from pyproject.toml."""
    # nox runs from .venv, where `make` installed uv beside it; PATH need not include .venv/bin.
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    # Hashes: pip (Cloud Build's buildpack, `make`) and uv refuse a file that differs from what was locked.
    common = [
        uv, "pip", "compile", "pyproject.toml", "--python-version", "3.11", "--quiet", "--no-header",
        "--generate-hashes",
    ]  # fmt: skip
    session.run(*common, "-o", "functions/requirements.txt")
    session.run(*common, "--group", "test", "--group", "lint", "-o", DEV_LOCK)
    # Only the group: checkov needs none of the functions' dependencies.
    group_only = [arg for arg in common if arg != "pyproject.toml"]
    session.run(*group_only, "--group", "pyproject.toml:infra", "-o", INFRA_LOCK)
    # nox and uv for `make`, installed by whatever python3 (3.11 or newer) the machine has: one file for all of them.
    bootstrap = [arg for arg in group_only if arg not in {"--python-version", "3.11"}]
    session.run(*bootstrap, "--universal", "--python-version", "3.11", "--group", "pyproject.toml:bootstrap",
                "-o", BOOTSTRAP_LOCK)  # fmt: skip


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite: unit, integration and e2e (the emulators are started by tests/conftest.py)."""
    _install(session)
    if not session.posargs:
        # The whole suite needs Java, the emulators, Chromium and axe-core (npm ci, skipped when node_modules matches
        # package-lock.json): a missing Debian package stops it here with one line. A targeted run checks what its
        # own tests need, in their fixtures, with the same line.
        session.run("python", "-m", "devstack.system_check")
        # The whole suite includes the infra policy checks; a targeted run (`nox -s tests -- path`) does not.
        session.notify("infra")
    # On Ctrl-C nox would kill pytest after 0.5 s; give the fixtures time to stop the emulators they started.
    session.run("pytest", *session.posargs, env=TEST_ENV, interrupt_timeout=60, terminate_timeout=30)


@nox.session(default=False)  # minutes of load on purpose: `make reliability`, not part of every `make test`
def reliability(session: nox.Session) -> None:
    """Issue 7 at full size: load, faults, fuzzing, privacy, abuse; prints the table of figures (RELIABILITY.md)."""
    _install(session)
    args = ["-m", "reliability", "--full", *session.posargs]
    session.run("pytest", *args, env=TEST_ENV, interrupt_timeout=60, terminate_timeout=30)


def _pass_sigterm_on() -> None:
    """Make SIGTERM to nox (or nox's parent dying) stop the child as Ctrl-C in a terminal does.

    Ctrl-C reaches every process of the terminal's group; nox then only waits (interrupt_timeout) and terminates.
    A SIGTERM sent to nox alone reaches nobody else, so the handler passes it on before nox starts waiting.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat") as stat_file:
                    stat = stat_file.read()
            except OSError:
                continue
            if entry.isdigit() and int(stat[stat.rfind(")") + 2 :].split()[1]) == os.getpid():
                os.kill(int(entry), signal.SIGTERM)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    # PR_SET_PDEATHSIG: if make is killed, nox gets SIGTERM and hands it on through the handler above.
    ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)


@nox.session(default=False)  # never exits on its own; only `make run` / `nox -s run` start it
def run(session: nox.Session) -> None:
    """The whole local stack on http://127.0.0.1:8080 until Ctrl-C or SIGTERM (devstack/run.py)."""
    _install(session)
    _pass_sigterm_on()
    # Stopping takes a few seconds (the JVMs); nox's defaults would kill the stack after half a second.
    session.run("python", "-m", "devstack.run", env=_local_env(), interrupt_timeout=60, terminate_timeout=30)


BENCHMARKS = ("intake", "notify", "sms_latency", "report", "spawn")


@nox.session(default=False)  # minutes of load on purpose, on demand: `make bench B=intake` (bench/README.md)
def bench(session: nox.Session) -> None:
    """One benchmark of bench/ with its options: `nox -s bench -- intake --rounds 6` (bench/README.md)."""
    if not session.posargs or session.posargs[0] not in BENCHMARKS:
        session.error(f"which benchmark? one of: {', '.join(BENCHMARKS)} (e.g. make bench B=intake)")
    _install(session)
    name, *options = session.posargs
    session.run("python", "-m", f"bench.{name}", *options, interrupt_timeout=60, terminate_timeout=30)


@nox.session(default=False)
def staff_token(session: nox.Session) -> None:
    """Print one staff bearer token for the local stack (`make staff-token ROLE=... [OPD=...]`)."""
    _install(session)
    session.run("python", "-m", "devstack.staff_token", *session.posargs, env=_local_env())


@nox.session(default=False)
def reports(session: nox.Session) -> None:
    """Seed demo data or build reports on the local stack (`make reports ARGS="seed"`, devstack/reports_cli.py)."""
    _install(session)
    session.run("python", "-m", "devstack.reports_cli", *session.posargs, env=_local_env())


@nox.session(default=False)
def redrive(session: nox.Session) -> None:
    """Republish dead-lettered events (`make redrive ARGS="[--dry-run] [--project P] [--limit N]"`, README)."""
    _install(session)
    session.run("python", "tools/redrive_dead_letters.py", *session.posargs)


@nox.session
def infra(session: nox.Session) -> None:
    """checkov over infra/ (Terraform): fails on any failed check not skipped in place with a reason."""
    session.run_install(
        "uv", "pip", "sync", "--require-hashes", "--python", session.virtualenv.location, INFRA_LOCK, silent=True
    )
    session.run("checkov", "--directory", "infra", "--framework", "terraform", "secrets", *CHECKOV_OUT, env=CHECKOV_ENV)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy: strict for functions/ and devstack/, calls and types for tests/."""
    _install(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "functions", "devstack", "tests")
