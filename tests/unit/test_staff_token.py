"""`make staff-token`: one token on stdout that the stack's verifier (same settings) accepts; mistakes on stderr."""

from __future__ import annotations

import pytest

from bahagia.catalogue import catalogue
from devstack import staff_token
from settings import Settings
from staff import auth


def test_prints_exactly_one_token_the_stack_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    assert staff_token.main(["--role", "opd", "--opd", "dlh"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("\n") == 1
    settings = Settings()
    verifier = auth.LocalTokenVerifier(settings.keys.staff_token, settings.staff_audience, set(catalogue().opd))
    actor = verifier.verify(out.strip())
    assert (actor.role, actor.opd, actor.email) == ("opd", "dlh", "opd.dlh@staff.local")


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["--role", "lurah"], "ROLE must be one of"),
        (["--role", "opd"], "ROLE=opd needs OPD"),
        (["--role", "verifikator", "--opd", "dlh"], "OPD is only for ROLE=opd"),
    ],
)
def test_mistakes_print_nothing_on_stdout(argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert staff_token.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert hint in err
