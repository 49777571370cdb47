"""One Chromium for the whole session, shared by the citizen forms' test and the staff console's test: Debian's
package driven by Playwright (`playwright install` is never used), and axe-core from node_modules."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The system browser, quiet: no downloads, no phoning home.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
]  # fmt: skip


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js from node_modules, installed with `npm ci` (package-lock.json) when a fresh clone has none."""
    if not AXE.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is missing: apt-get install npm (axe-core comes from the npm registry)", pytrace=False)
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium chromium-driver (.ci/run does it)", pytrace=False)
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=90_000)
    yield browser
    browser.close()
