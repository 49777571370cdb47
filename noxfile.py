"""Sessions behind `make run`, `make test`, `make lint` and `make lock`."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

DEV_LOCK = "requirements/dev.lock"
INFRA_LOCK = "requirements/infra.lock"


def _install(session: nox.Session) -> None:
    # uv pip sync is quick when nothing changed, and removes what the lock no longer lists.
    session.run_install("uv", "pip", "sync", "--python", session.virtualenv.location, DEV_LOCK, silent=True)


@nox.session(python=False)
def lock(session: nox.Session) -> None:
    """Re-lock functions/requirements.txt (deployed) and requirements/dev.lock (tests, tools) from pyproject.toml."""
    common = ["uv", "pip", "compile", "pyproject.toml", "--python-version", "3.11", "--quiet", "--no-header"]
    session.run(*common, "-o", "functions/requirements.txt")
    session.run(*common, "--group", "test", "--group", "lint", "-o", DEV_LOCK)
    # Only the group: checkov needs none of the functions' dependencies.
    group_only = [arg for arg in common if arg != "pyproject.toml"]
    session.run(*group_only, "--group", "pyproject.toml:infra", "-o", INFRA_LOCK)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite: unit, integration and e2e (the emulators are started by tests/conftest.py)."""
    _install(session)
    if not session.posargs:
        # The whole suite includes the infra policy checks; a targeted run (`nox -s tests -- path`) does not.
        session.notify("infra")
    session.run("pytest", *session.posargs)


@nox.session
def infra(session: nox.Session) -> None:
    """checkov over infra/ (Terraform): fails on any failed check not skipped in place with a reason."""
    session.run_install("uv", "pip", "sync", "--python", session.virtualenv.location, INFRA_LOCK, silent=True)
    session.run(
        "checkov", "--directory", "infra", "--framework", "terraform", "secrets",
        "--compact", "--quiet", "--skip-download", "--output", "cli",
        env={"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "WARNING"},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy."""
    _install(session)
    session.run("ruff", "check", ".")
    session.run("mypy", "functions")
