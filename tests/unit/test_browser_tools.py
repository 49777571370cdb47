"""`make test` installs what the browser test needs by itself (issue 11): axe-core through `npm ci` only when
node_modules differs from package-lock.json, and one line naming Chromium or npm when Debian lacks them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devstack import browser_tools
from devstack.components import MissingSystemPackage

REPO = Path(__file__).resolve().parents[2]
LOCK = {
    "name": "web-tests",
    "lockfileVersion": 3,
    "packages": {
        "": {"name": "web-tests", "devDependencies": {"axe-core": "4.14.1"}},
        "node_modules/axe-core": {"version": "4.14.1", "integrity": "sha512-one"},
    },
}


class FakeNpm:
    """Does what `npm ci` does to node_modules: the packages of the lock, and npm's hidden lockfile listing them."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, argv: list[str], *, cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(argv)
        lock = json.loads((cwd / "package-lock.json").read_text())
        axe = cwd / browser_tools.AXE_RELATIVE
        axe.parent.mkdir(parents=True, exist_ok=True)
        axe.write_text("/* axe */")
        hidden = {**lock, "packages": {k: v for k, v in lock["packages"].items() if k}}
        (cwd / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden))
        return subprocess.CompletedProcess(argv, 0, "", "")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "package-lock.json").write_text(json.dumps(LOCK))
    return tmp_path


def test_npm_ci_runs_once_then_never_while_node_modules_matches_the_lock(project: Path) -> None:
    npm = FakeNpm()
    axe = browser_tools.install_node_modules(project, which=lambda name: "/usr/bin/npm", run=npm)
    assert axe == project / "node_modules" / "axe-core" / "axe.min.js"
    assert npm.calls == [["/usr/bin/npm", "ci", "--no-audit", "--no-fund", "--silent"]]
    browser_tools.install_node_modules(project, which=lambda name: "/usr/bin/npm", run=npm)
    assert len(npm.calls) == 1


def test_a_changed_lock_or_a_deleted_file_installs_again(project: Path) -> None:
    npm = FakeNpm()
    browser_tools.install_node_modules(project, which=lambda name: "/usr/bin/npm", run=npm)
    bumped = json.loads(json.dumps(LOCK))
    bumped["packages"]["node_modules/axe-core"]["version"] = "4.15.0"
    (project / "package-lock.json").write_text(json.dumps(bumped))
    assert not browser_tools.node_modules_current(project)
    browser_tools.install_node_modules(project, which=lambda name: "/usr/bin/npm", run=npm)
    (project / browser_tools.AXE_RELATIVE).unlink()
    browser_tools.install_node_modules(project, which=lambda name: "/usr/bin/npm", run=npm)
    assert len(npm.calls) == 3


def test_missing_npm_names_the_debian_package(project: Path) -> None:
    with pytest.raises(MissingSystemPackage) as error:
        browser_tools.install_node_modules(project, which=lambda name: None, run=FakeNpm())
    assert str(error.value) == "npm is missing: install the Debian package npm (apt-get install npm)"


def test_a_failing_npm_ci_says_so_in_one_line(project: Path) -> None:
    def failing(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 1, "", "npm ERR! code E404\nnpm ERR! 404 Not Found - axe-core\n")

    with pytest.raises(RuntimeError, match=r"npm ci failed .*\(exit 1\): npm ERR! 404 Not Found - axe-core$"):
        browser_tools.install_node_modules(project, which=lambda name: "/usr/bin/npm", run=failing)


def test_missing_chromium_names_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(MissingSystemPackage) as error:
        browser_tools.check_chromium(tmp_path / "chromium")
    assert str(error.value) == "Chromium is missing: install the Debian package chromium (apt-get install chromium)"


def test_missing_chromium_is_installed_with_apt_when_root(tmp_path: Path) -> None:
    executable = tmp_path / "chromium"
    commands: list[list[str]] = []

    def apt(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        commands.append(argv)
        if "install" in argv:
            executable.write_text("#!/bin/sh\n")
        assert kwargs["env"]["DEBIAN_FRONTEND"] == "noninteractive"
        return subprocess.CompletedProcess(argv, 0, "", "")

    found = browser_tools.ensure_chromium(
        executable, is_root=lambda: True, which=lambda name: f"/usr/bin/{name}", run=apt
    )
    assert found == executable
    assert commands == [
        ["/usr/bin/apt-get", "update", "-qq"],
        ["/usr/bin/apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"],
    ]


def test_chromium_already_there_runs_nothing(tmp_path: Path) -> None:
    executable = tmp_path / "chromium"
    executable.write_text("#!/bin/sh\n")

    def never(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise AssertionError(f"ran {argv}")

    assert browser_tools.ensure_chromium(executable, is_root=lambda: True, run=never) == executable


def test_without_root_a_missing_chromium_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(MissingSystemPackage, match="apt-get install chromium"):
        browser_tools.ensure_chromium(tmp_path / "chromium", is_root=lambda: False, which=lambda name: "/x")


def test_a_failing_apt_get_says_so_in_one_line(tmp_path: Path) -> None:
    def failing(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 100, "", "E: Unable to locate package chromium\n")

    with pytest.raises(RuntimeError, match=r"update -qq failed \(exit 100\): E: Unable to locate package chromium$"):
        browser_tools.ensure_chromium(
            tmp_path / "chromium", is_root=lambda: True, which=lambda name: "/usr/bin/apt-get", run=failing
        )


def test_make_test_installs_what_the_browser_test_needs_itself() -> None:
    # The README's `make test` alone must pass on a fresh clone of a machine of the project's kind, which has no
    # Chromium: the tests session runs the system check (apt for Chromium, npm ci for axe-core); .ci/run adds nothing.
    noxfile = (REPO / "noxfile.py").read_text()
    tests_session = noxfile[noxfile.index("def tests(") : noxfile.index("def reliability(")]
    assert '"python", "-m", "devstack.system_check"' in tests_session
    assert "browser_tools.ensure_chromium()" in (REPO / "devstack" / "system_check.py").read_text()
    ci_lines = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in ci_lines if "npm" in line or "apt-get" in line]
    assert "make test" in ci_lines
