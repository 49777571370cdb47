"""`--full` (the sizes of issue 7: 1,000 submissions from 50 clients, 5 s freezes, thousands of fuzz cases) and the
table of figures the reliability tests measured, printed at the end of the run and written to
var/reliability/figures.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIGURES_FILE = Path(__file__).resolve().parents[2] / "var" / "reliability" / "figures.json"
_FIGURES_KEY = pytest.StashKey[dict[str, dict[str, Any]]]()
_full = False


def is_full() -> bool:
    """Whether this run is `--full`; for sizes that decorators fix at import time (after pytest_configure)."""
    return _full


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        default=False,
        help="reliability suite at full size (make reliability); the default is the fast part run by make test",
    )


def pytest_configure(config: pytest.Config) -> None:
    global _full
    config.stash[_FIGURES_KEY] = {}
    _full = bool(config.getoption("--full"))
    if _full:
        from hypothesis import settings

        settings.register_profile("reliability-full", max_examples=1000, deadline=None)
        settings.load_profile("reliability-full")


def record_figures(config: pytest.Config, name: str, figures: dict[str, Any]) -> None:
    """One row group of the table: `name` (e.g. "load") -> its measured figures."""
    config.stash[_FIGURES_KEY][name] = figures


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    figures = config.stash[_FIGURES_KEY]
    if not figures:
        return
    terminalreporter.section("reliability figures" + (" (--full)" if config.getoption("--full") else " (fast part)"))
    for name, values in figures.items():
        terminalreporter.write_line(f"{name}:")
        for key, value in values.items():
            terminalreporter.write_line(f"    {key:<42} {value}")
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    FIGURES_FILE.write_text(json.dumps({"full": config.getoption("--full"), **figures}, indent=2) + "\n")
    terminalreporter.write_line(f"written to {FIGURES_FILE}")
