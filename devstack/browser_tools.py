"""What the browser test needs beyond Python: Debian's Chromium, and axe-core from npm as package-lock.json pins it.

Both are installed here, by `make test` itself, so that a fresh clone needs nothing but the README's two commands:
Chromium with apt when it is missing and we run as root (as on the project's machines and in CI; anyone else is told
in one line which package to install), axe-core with `npm ci` only when node_modules differs from the lock. A second
run costs no network and no time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devstack.components import MissingSystemPackage

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_PACKAGE = "chromium"
# chromium-driver is not used by the tests (Playwright speaks CDP), but it is the pair the machine's docs name.
CHROMIUM_APT_PACKAGES = ("chromium", "chromium-driver")
NPM_PACKAGE = "npm"
AXE_RELATIVE = Path("node_modules") / "axe-core" / "axe.min.js"

Runner = Callable[..., Any]


def check_chromium(executable: Path = CHROMIUM) -> Path:
    """Debian's Chromium, or MissingSystemPackage naming the package (Playwright never downloads a browser here)."""
    if not executable.is_file():
        raise MissingSystemPackage("Chromium", CHROMIUM_PACKAGE)
    return executable


def ensure_chromium(
    executable: Path = CHROMIUM,
    *,
    is_root: Callable[[], bool] = lambda: os.geteuid() == 0,
    which: Callable[[str], str | None] = shutil.which,
    run: Runner = subprocess.run,
) -> Path:
    """Debian's Chromium, installed with apt-get first when it is missing and we may (root, apt-get on PATH)."""
    if executable.is_file():
        return executable
    apt_get = which("apt-get")
    if apt_get is None or not is_root():
        raise MissingSystemPackage("Chromium", CHROMIUM_PACKAGE)
    print(f"Chromium is missing: apt-get install {' '.join(CHROMIUM_APT_PACKAGES)} (once, about a minute)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt_get, "update", "-qq"], [apt_get, "install", "-y", "-qq", *CHROMIUM_APT_PACKAGES]):
        result = run(command, capture_output=True, text=True, check=False, env=env)
        if result.returncode != 0:
            last = (result.stderr or result.stdout or "").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"{' '.join(command[1:3])} failed (exit {result.returncode}): {last[0]}")
    return check_chromium(executable)


def _locked_packages(lock_file: Path) -> dict[str, Any]:
    packages = json.loads(lock_file.read_text(encoding="utf-8")).get("packages", {})
    # The root entry ("") describes this project, not an installed package; npm leaves it out of its hidden lockfile.
    return {name: entry for name, entry in packages.items() if name}


def node_modules_current(root: Path = ROOT) -> bool:
    """Whether node_modules holds exactly what package-lock.json pins: npm records what `npm ci` installed in
    node_modules/.package-lock.json, so the two lists are compared rather than the network asked."""
    installed = root / "node_modules" / ".package-lock.json"
    if not installed.is_file() or not (root / AXE_RELATIVE).is_file():
        return False
    return _locked_packages(installed) == _locked_packages(root / "package-lock.json")


def install_node_modules(
    root: Path = ROOT, *, which: Callable[[str], str | None] = shutil.which, run: Runner = subprocess.run
) -> Path:
    """`npm ci` when node_modules is missing or stale, nothing otherwise; returns the path of axe.min.js."""
    if not node_modules_current(root):
        npm = which("npm")
        if npm is None:
            raise MissingSystemPackage("npm", NPM_PACKAGE)
        result = run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=root, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            last = (result.stderr or result.stdout or "").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"npm ci failed in {root} (exit {result.returncode}): {last[0]}")
    return root / AXE_RELATIVE
