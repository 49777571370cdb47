"""`python -m devstack.system_check`: what `make test` needs from the machine, before the suite starts.

Java and Google's emulator packages (devstack.components: part of the machine image, their apt source is disabled),
then Debian's Chromium for the browser test (installed with apt when missing and run as root) and axe-core from npm
(installed when node_modules differs from package-lock.json). Anything still missing stops the run with one line
naming it (CONTRACT.md section 1), instead of the same error repeated by every test that needs it.
"""

from __future__ import annotations

import sys

from devstack import browser_tools, components


def main() -> int:
    try:
        components.check_system()
        browser_tools.ensure_chromium()
        browser_tools.install_node_modules()
    except (components.MissingSystemPackage, RuntimeError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
