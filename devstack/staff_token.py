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


def main(argv: list[str] | None = None) -> int:
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    from bahagia.catalogue import catalogue
    from settings import Settings
    from staff import auth

    parser = argparse.ArgumentParser(prog="make staff-token", description=__doc__)
    parser.add_argument("--role", required=True, help=f"one of {', '.join(auth.ROLES)}")
    parser.add_argument("--opd", default="", help="the OPD id, for ROLE=opd only (see GET /v1/programs -> opd)")
    parser.add_argument("--email", default="", help="who the token names in the audit trail")
    args = parser.parse_args(argv)

    opd_ids = set(catalogue().opd)
    assignment = auth.check_role(args.role, args.opd or None, opd_ids)
    if assignment is None:
        if args.role not in auth.ROLES:
            problem = f"ROLE must be one of: {', '.join(auth.ROLES)}"
        elif args.role == "opd":
            problem = f"ROLE=opd needs OPD=<id>, one of: {', '.join(sorted(opd_ids))}"
        else:
            problem = f"OPD is only for ROLE=opd, not {args.role}"
        print(f"staff-token: {problem}", file=sys.stderr)
        return 2
    settings = Settings()
    if settings.staff_auth != "local":
        print("staff-token: BAHAGIA_STAFF_AUTH is not local; the stack expects Google ID tokens", file=sys.stderr)
        return 2
    role, opd = assignment
    email = args.email or f"{role}{'.' + opd if opd else ''}@staff.local"
    print(
        auth.issue_local_token(
            settings.keys.staff_token,
            settings.staff_audience,
            email,
            role,
            opd,
            dt.datetime.now(dt.UTC),
            dt.timedelta(minutes=settings.staff_token_ttl_minutes),
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
