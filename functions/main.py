"""Every deployable function target, one line each (`--source=functions --entry-point=NAME`).

Each target's module is imported only when functions-framework asks for that target (a module `__getattr__`,
PEP 562): an instance of send_sms_notification never imports the staff API, the reports or the intake forms, and
its cold start is its own code and the client libraries it uses (bench/README.md, "cold start per target").
"""

from __future__ import annotations

import importlib
from typing import Any

# target -> "module" (the function has the target's name) or "module:function"
TARGETS = {
    "build_nightly_report": "reports.handlers",
    "close_stale_followups": "staff.handlers",
    "list_programs": "intake.handlers",
    "open311": "open311.handlers:open311_api",
    "relay_outbox": "intake.handlers",
    "send_sms_notification": "notify.handlers",
    "sms_webhook": "inbound.handlers",
    "staff_api": "staff.handlers",
    "submit_application": "intake.handlers",
    "submit_complaint": "intake.handlers",
    "track_submission": "intake.handlers",
}

__all__ = list(TARGETS)


def __getattr__(name: str) -> Any:
    if name not in TARGETS:
        raise AttributeError(f"module 'main' has no target {name!r}")
    module, _, function = TARGETS[name].partition(":")
    return getattr(importlib.import_module(module), function or name)
