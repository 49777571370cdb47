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


def test_make_test_installs_what_the_browser_test_needs_and_ci_does_not_do_it_instead() -> None:
    # The README's `make test` alone must pass on a fresh clone: the tests session runs the system check (which runs
    # npm ci), and .ci/run keeps only what needs root (apt-get install chromium).
    noxfile = (REPO / "noxfile.py").read_text()
    tests_session = noxfile[noxfile.index("def tests(") : noxfile.index("def reliability(")]
    assert '"python", "-m", "devstack.system_check"' in tests_session
    ci_lines = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in ci_lines if "npm" in line]
    assert any("apt-get install" in line and "chromium" in line for line in ci_lines)
