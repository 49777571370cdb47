"""tests/watchdog.py ends a session whose test is stuck where pytest-timeout's SIGALRM cannot reach it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# A test that never returns to Python for pytest-timeout: SIGALRM is blocked, as when the main thread is stuck in C.
STUCK = """
import signal, time

def test_stuck():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(60)
"""


def _session(tmp_path: Path, *plugins: str) -> subprocess.Popen[str]:
    (tmp_path / "test_stuck.py").write_text(STUCK)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntimeout = 1\nwatchdog_grace = 2\n")
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins, "test_stuck.py"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603


def test_pytest_timeout_alone_does_not_end_a_test_stuck_outside_python(tmp_path: Path) -> None:
    session = _session(tmp_path, "-W", "ignore::pytest.PytestConfigWarning")
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            session.wait(6)  # well past timeout = 1
    finally:
        session.kill()
        session.communicate()


def test_the_watchdog_prints_the_stacks_and_ends_the_session(tmp_path: Path) -> None:
    started = time.monotonic()
    session = _session(tmp_path, "-p", "tests.watchdog")
    output, _ = session.communicate(timeout=40)
    assert session.returncode == 1
    assert time.monotonic() - started < 40
    assert "Timeout (0:00:03)!" in output  # the test's timeout of 1 s plus the grace of 2 s
    assert 'test_stuck.py", line 6 in test_stuck' in output
