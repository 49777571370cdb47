"""Every lock file pins every package with its hashes (issue 11): pip in Cloud Build (functions/requirements.txt, in
hash-checking mode as soon as one line has a hash), pip in `make` (bootstrap) and uv in nox refuse a file that
differs from the one locked, and any unpinned dependency."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCKS = ["functions/requirements.txt", "requirements/dev.lock", "requirements/infra.lock", "requirements/bootstrap.txt"]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]+\])?==(?P<version>[^\s;]+)( ;[^\\]+)? \\$")
HASH = re.compile(r"^    --hash=sha256:[0-9a-f]{64}( \\)?$")


def _entries(path: Path) -> dict[str, list[str]]:
    """Each requirement line with the hash lines that follow it; comments (`# via ...`) are skipped."""
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            current = None
            continue
        if not line.startswith(" "):
            assert PIN.match(line), f"{path.name}: not an exact pin followed by hashes: {line!r}"
            current = entries.setdefault(line, [])
            continue
        assert current is not None, f"{path.name}: a continuation line without its requirement: {line!r}"
        assert HASH.match(line), f"{path.name}: {line!r}"
        current.append(line)
    return entries


@pytest.mark.parametrize("lock", LOCKS)
def test_every_requirement_is_pinned_with_hashes(lock: str) -> None:
    entries = _entries(REPO / lock)
    assert len(entries) >= 10, f"{lock} lists too little to be a full lock"
    unhashed = [line for line, hashes in entries.items() if not hashes]
    assert not unhashed, f"{lock}: no hash for {unhashed}"


def test_the_deployed_lock_holds_every_direct_dependency() -> None:
    import tomllib

    direct = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    locked = {line.split("==")[0].lower() + "==" + line.split("==")[1].split()[0] for line in _entries(
        REPO / "functions" / "requirements.txt"
    )}  # fmt: skip
    for requirement in direct:
        name, version = re.sub(r"\[.*\]", "", requirement).split("==")
        assert f"{name.lower()}=={version}" in locked, requirement


def test_locks_are_written_with_hashes_and_installed_requiring_them() -> None:
    noxfile = (REPO / "noxfile.py").read_text()
    assert '"--generate-hashes"' in noxfile
    assert noxfile.count('"uv", "pip", "sync", "--require-hashes"') == 2  # dev and infra environments
    assert "--require-hashes -r requirements/bootstrap.txt" in (REPO / "Makefile").read_text()
