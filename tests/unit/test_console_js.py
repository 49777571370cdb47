"""The staff console's JavaScript unit tests (tests/js/*.test.mjs) on Node's built-in runner, inside `make test`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = ROOT / "tests" / "js"


def test_the_console_api_client_passes_its_node_tests() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "Node.js is missing: apt-get install nodejs (the console's JavaScript tests run on it)", pytrace=False
        )
    files = sorted(str(path) for path in JS_TESTS.glob("*.test.mjs"))
    assert files, f"no *.test.mjs under {JS_TESTS}"
    result = subprocess.run(  # noqa: S603 -- a fixed command over the repository's own files
        [node, "--test", "--test-reporter=tap", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        # The machine's zone must not matter: the console works in WIB whatever the browser's zone is.
        env={**os.environ, "TZ": "America/Los_Angeles"},
    )
    summary = dict(re.findall(r"^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$", result.stdout, re.MULTILINE))
    report = (result.stdout[-4000:] + result.stderr[-2000:]).strip()
    assert result.returncode == 0, report
    # A runner that found nothing also exits 0: make sure the tests really ran, and none was skipped.
    assert int(summary.get("tests", 0)) >= 20, report
    assert int(summary.get("pass", 0)) == int(summary["tests"]), report
    assert summary.get("skipped") == "0", report
    assert summary.get("todo") == "0", report
