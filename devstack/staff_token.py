"""`make staff-token ROLE=<role> [OPD=<opd id>] [EMAIL=<address>]`: print one bearer token for the local stack.

The token is what staff.auth.LocalTokenVerifier accepts: HS256, signed with the key derived from the same settings
(BAHAGIA_ENVIRONMENT, BAHAGIA_SECRET_KEY or BAHAGIA_STAFF_TOKEN_KEY, BAHAGIA_STAFF_AUDIENCE,
BAHAGIA_STAFF_TOKEN_TTL_MINUTES) the running functions read. It prints
the token and nothing else, so `TOKEN=$(make -s staff-token ROLE=verifikator)` works; problems go to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from devstack.topology import REPO_ROOT

FUNCTIONS_DIR = REPO_ROOT / "functions"


class TokenRequestError(ValueError):
    """A role, OPD or auth mode that no local token can be made for; the message is one line for a person."""


def _functions_on_path() -> None:
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))


def issue(role: str, opd: str | None, email: str = "") -> str:
    """A token the running stack accepts, as `make staff-token` and the console's local sign-in page hand out."""
    _functions_on_path()
    from bahagia.catalogue import catalogue
    from settings import Settings
    from staff import auth

    opd_ids = set(catalogue().opd)
    assignment = auth.check_role(role, opd or None, opd_ids)
    if assignment is None:
        if role not in auth.ROLES:
            raise TokenRequestError(f"ROLE must be one of: {', '.join(auth.ROLES)}")
        if role == "opd":
            raise TokenRequestError(f"ROLE=opd needs OPD=<id>, one of: {', '.join(sorted(opd_ids))}")
        raise TokenRequestError(f"OPD is only for ROLE=opd, not {role}")
    settings = Settings()
    if settings.staff_auth != "local":
        raise TokenRequestError("BAHAGIA_STAFF_AUTH is not local; the stack expects Google ID tokens")
    role, opd = assignment
    return auth.issue_local_token(
        settings.keys.staff_token,
        settings.staff_audience,
        email or f"{role}{'.' + opd if opd else ''}@staff.local",
        role,
        opd,
        dt.datetime.now(dt.UTC),
        dt.timedelta(minutes=settings.staff_token_ttl_minutes),
    )


def main(argv: list[str] | None = None) -> int:
    _functions_on_path()
    from staff import auth

    parser = argparse.ArgumentParser(prog="make staff-token", description=__doc__)
    parser.add_argument("--role", required=True, help=f"one of {', '.join(auth.ROLES)}")
    parser.add_argument("--opd", default="", help="the OPD id, for ROLE=opd only (see GET /v1/programs -> opd)")
    parser.add_argument("--email", default="", help="who the token names in the audit trail")
    args = parser.parse_args(argv)
    try:
        print(issue(args.role, args.opd or None, args.email))
    except TokenRequestError as problem:
        print(f"staff-token: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
