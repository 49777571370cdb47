"""What the browser test needs beyond Python: Debian's Chromium, and axe-core from npm as package-lock.json pins it.

Chromium comes from apt, which needs root: `.ci/run` installs it, and everything else says in one line that it is
missing. axe-core is installed here, by `make test` itself (`npm ci`), and only when node_modules differs from the
lock, so a second run costs no network and no time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devstack.components import MissingSystemPackage

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_PACKAGE = "chromium"
NPM_PACKAGE = "npm"
AXE_RELATIVE = Path("node_modules") / "axe-core" / "axe.min.js"

Runner = Callable[..., Any]


def check_chromium(executable: Path = CHROMIUM) -> Path:
    """Debian's Chromium, or MissingSystemPackage naming the package (Playwright never downloads a browser here)."""
    if not executable.is_file():
        raise MissingSystemPackage("Chromium", CHROMIUM_PACKAGE)
    return executable


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
