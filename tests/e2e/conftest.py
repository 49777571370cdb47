"""One Chromium for the whole session, shared by the citizen forms' test and the staff console's test: Debian's
package driven by Playwright (`playwright install` is never used), and axe-core from node_modules, both brought in by
devstack.browser_tools when a fresh clone has none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from devstack.browser_tools import check_chromium, install_node_modules
from devstack.components import MissingSystemPackage

ROOT = Path(__file__).resolve().parents[2]
# The system browser, quiet: no downloads, no phoning home.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
]  # fmt: skip


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js from node_modules; `npm ci` (package-lock.json) runs only when node_modules differs from the lock."""
    try:
        return install_node_modules(ROOT).read_text(encoding="utf-8")
    except MissingSystemPackage as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    try:
        chromium = check_chromium()
    except MissingSystemPackage as error:
        pytest.fail(f"{error}; .ci/run installs it as root", pytrace=False)
    browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, timeout=90_000)
    yield browser
    browser.close()
