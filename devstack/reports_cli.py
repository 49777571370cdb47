"""`make reports ARGS="..."`: the reports command line (functions/reports/cli.py) against the stack of `make run`.

It points the clients at the local emulators (the contract's ports, or the BAHAGIA_PORT_* overrides `make run`
honours) unless the variables are already set, then hands over to `python -m reports.cli`:

    make reports ARGS="seed"                                   # 4,000 demo submissions over 60 days
    make reports ARGS="build --from 2025-10-01 --to 2025-11-30"  # backfill, with a progress bar
    make reports ARGS="build"                                  # yesterday in WIB
"""

from __future__ import annotations

import os
import sys

from devstack.config import HOST, ports_from_env
from devstack.topology import REPO_ROOT

FUNCTIONS_DIR = REPO_ROOT / "functions"


def main(argv: list[str] | None = None) -> int:
    ports = ports_from_env(os.environ)
    os.environ.setdefault("FIRESTORE_EMULATOR_HOST", f"{HOST}:{ports.firestore}")
    os.environ.setdefault("STORAGE_EMULATOR_HOST", f"http://{HOST}:{ports.storage}")
    os.environ.setdefault("GOOGLE_CLOUD_PROJECT", os.environ.get("BAHAGIA_PROJECT_ID", "demo-bahagia"))
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    from reports.cli import main as reports_main

    return reports_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
