"""functions/main.py hands functions-framework each target, importing only that target's module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
HANDLER_MODULES = {
    "inbound.handlers",
    "intake.handlers",
    "notify.handlers",
    "open311.handlers",
    "reports.handlers",
    "staff.handlers",
}


def _loaded_after(target: str) -> set[str]:
    code = (
        "import sys, main; fn = getattr(main, sys.argv[1]); "
        f"print(' '.join(sorted(m for m in sys.modules if m in {sorted(HANDLER_MODULES)!r})))"
    )
    out = subprocess.run(  # noqa: S603 -- our own interpreter and a fixed program
        [sys.executable, "-c", code, target], cwd=FUNCTIONS, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


@pytest.mark.parametrize(
    ("target", "module"),
    [("send_sms_notification", "notify.handlers"), ("submit_application", "intake.handlers")],
)
def test_a_target_loads_its_own_handlers_only(target: str, module: str) -> None:
    assert _loaded_after(target) == {module}


def test_every_target_resolves_and_an_unknown_name_is_an_attribute_error() -> None:
    import main

    for target, where in main.TARGETS.items():
        module, _, function = where.partition(":")
        handler = getattr(main, target)
        assert (handler.__module__, handler.__name__) == (module, function or target)
    assert not hasattr(main, "not_a_target")
