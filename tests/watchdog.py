"""A hard stop for a test that pytest-timeout cannot stop.

pytest-timeout's signal method raises in the main thread, which works only when that thread gets back to Python. A
thread stuck inside C (a fork whose at-fork handlers wait on another library's threads, a call that holds the GIL)
never does, and the run then hangs until CI's own limit kills it with nothing to read: one CI run sat 90 minutes in
tests/integration/test_devstack_stack.py. faulthandler's watchdog is a C thread that needs no GIL: a while after the
test's own timeout it prints every thread's stack to the terminal and ends the session with exit code 1 (the stack's
children follow, PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import faulthandler
import sys
from collections.abc import Iterator
from typing import IO

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "watchdog_grace",
        "seconds after a test's own timeout before the watchdog prints every stack and ends the session",
        default="120",
    )


def _terminal(config: pytest.Config) -> int | IO[str]:
    """The stderr pytest keeps for faulthandler (fd 2 itself is the capture's file while a test runs)."""
    try:
        from _pytest.faulthandler import fault_handler_stderr_fd_key

        return config.stash[fault_handler_stderr_fd_key]
    except (ImportError, KeyError):  # another pytest, or its faulthandler plugin disabled: the best there is
        return sys.__stderr__ or sys.stderr


def hard_limit(item: pytest.Item) -> float | None:
    """Seconds until the watchdog ends the session: the test's timeout (marker, else ini) plus the grace."""
    marker = item.get_closest_marker("timeout")
    chosen = item.config.getoption("timeout", None)  # pytest-timeout's --timeout, else its ini value
    if marker is not None and (marker.args or "timeout" in marker.kwargs):
        chosen = marker.args[0] if marker.args else marker.kwargs["timeout"]
    timeout = float(chosen if chosen is not None else item.config.getini("timeout") or 0)
    return timeout + float(item.config.getini("watchdog_grace")) if timeout > 0 else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    limit = hard_limit(item)
    if limit is not None:
        faulthandler.dump_traceback_later(limit, exit=True, file=_terminal(item.config))
    try:
        return (yield)
    finally:
        if limit is not None:
            faulthandler.cancel_dump_traceback_later()
