"""Privacy guard for the whole suite (a pytest plugin, loaded by tests/conftest.py).

Tests register the personal values they send (NIK, KK, phone, name) with `personal_data.register(...)`; the values of
tests/samples.py are registered from the start. Then, without any test having to ask:

- every Python log record emitted while a test runs (captured here, whatever handlers the code installs) and
- at the end of the session, every log file of every emulator and stack the session started (function processes,
  gateway, Firestore, Pub/Sub, moto) are searched for those values;
- after each test that used the emulators, every SMS moto holds must go to the owner of any personal value it
  carries (a NIK in an SMS to its owner is still a finding: no SMS text may carry a NIK or a KK at all).

Any finding fails the session (an error in the teardown of the last test, naming where and what kind of value,
never the value itself). Tests that look at events, report files or Firestore documents call `personal_data.scan()`.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

_DIGIT_RUN = re.compile(r"\+?\d(?:[\d \-]*\d)?")
_WORD = re.compile(r"[a-z\u00c0-\u024f']+")


@dataclass(frozen=True)
class Finding:
    where: str
    kind: str
    owner: str | None

    def __str__(self) -> str:
        return f"{self.kind} found in {self.where}"


@dataclass
class PersonalData:
    """The personal values the tests used, searchable in large texts in one pass."""

    _numbers: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # digits -> (kind, owner phone)
    _number_lengths: set[int] = field(default_factory=set)
    _names: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)  # first word -> [(name, owner)]
    _lock: threading.Lock = field(default_factory=threading.Lock)
    findings: list[Finding] = field(default_factory=list)

    def register(
        self,
        *,
        nik: str | None = None,
        kk: str | None = None,
        phone: str | None = None,
        name: str | None = None,
        owner: str | None = None,
    ) -> None:
        """`owner`: the E.164 number that may receive these values by SMS (defaults to `phone`)."""
        owner_phone = owner or (_e164(phone) if phone else None)
        with self._lock:
            for kind, value in (("NIK", nik), ("KK", kk)):
                if value:
                    self._add_number(re.sub(r"\D", "", value), kind, owner_phone)
            if phone:
                # The national significant number (812...) is inside every spelling: 0812..., +62812..., 62812...
                self._add_number(_e164(phone)[3:], "phone", owner_phone)
            if name and len(name.split()) >= 2:  # a single common word would match everywhere
                words = name.lower().split()
                self._names.setdefault(words[0], []).append((" ".join(words), owner_phone))

    def _add_number(self, digits: str, kind: str, owner: str | None) -> None:
        if len(digits) >= 9:
            self._numbers[digits] = (kind, owner)
            self._number_lengths.add(len(digits))

    def find(self, text: str) -> Iterator[tuple[str, str | None]]:
        """(kind, owner) of every registered value in `text`."""
        with self._lock:
            numbers, lengths, names = dict(self._numbers), sorted(self._number_lengths), dict(self._names)
        for match in _DIGIT_RUN.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            for length in lengths:
                for start in range(len(digits) - length + 1):
                    hit = numbers.get(digits[start : start + length])
                    if hit is not None:
                        yield hit
        if names:
            lowered = " ".join(text.lower().split())
            for match in _WORD.finditer(lowered):
                for full, owner in names.get(match.group(), ()):
                    if lowered.startswith(full, match.start()):
                        yield "name", owner

    def scan(self, text: str, where: str, *, allowed_owner: str | None = None) -> list[Finding]:
        """Record (and return) what of the registered values `text` carries; `allowed_owner` may see their own."""
        found = []
        for kind, owner in self.find(text):
            if allowed_owner is not None and owner == allowed_owner and kind in ("phone", "name"):
                continue
            found.append(Finding(where, kind, owner))
        unique = list(dict.fromkeys(found))
        with self._lock:
            self.findings.extend(unique)
        return unique

    def scan_sms(self, messages: Iterable[dict[str, Any]], where: str = "SMS") -> list[Finding]:
        """An SMS may name its own recipient's data, never anyone else's, and never a NIK or KK."""
        found: list[Finding] = []
        for message in messages:
            found += self.scan(
                str(message.get("message", "")), f"{where} to one recipient", allowed_owner=message.get("phone_number")
            )
        return found


def _e164(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return "+" + digits


def _register_samples(registry: PersonalData) -> None:
    from tests import samples

    applicant = samples.APPLICATION["applicant"]
    registry.register(nik=applicant["nik"], kk=applicant["kk"], phone=applicant["phone"], name=applicant["name"])
    registry.register(nik=samples.NIK_MAN_1950, kk=samples.KK)
    reporter = samples.COMPLAINT["reporter"]
    registry.register(phone=reporter["phone"], name=reporter["name"])


class _Capture(logging.Handler):
    """Keeps every formatted record of a test phase (the code under test may replace the root handlers)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string is the code's bug, not a reason to lose the record
            text = str(record.msg)
        fields = getattr(record, "fields", None)
        if fields:
            text += f" {fields}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" {record.exc_info[1]}"
        self.texts.append(text)


_REGISTRY_KEY = pytest.StashKey[PersonalData]()
_LOG_DIRS_KEY = pytest.StashKey[dict[Path, str]]()
_EMULATORS_KEY = pytest.StashKey[list[Any]]()


def pytest_configure(config: pytest.Config) -> None:
    registry = PersonalData()
    _register_samples(registry)
    config.stash[_REGISTRY_KEY] = registry
    config.stash[_LOG_DIRS_KEY] = {}
    config.stash[_EMULATORS_KEY] = []


def registry_of(config: pytest.Config) -> PersonalData:
    return config.stash[_REGISTRY_KEY]


def watch_log_dir(config: pytest.Config, path: Path, label: str) -> None:
    """Add a directory of component logs to the end-of-session search (the stacks started by fixtures are added
    automatically; a test that starts processes of its own calls this)."""
    config.stash[_LOG_DIRS_KEY][Path(path)] = label


@pytest.fixture(scope="session")
def personal_data(pytestconfig: pytest.Config) -> PersonalData:
    """Register what a test sends; scan() what it reads back (events, reports, documents)."""
    return registry_of(pytestconfig)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Any:
    value = yield
    log_dir = getattr(value, "log_dir", None)
    if isinstance(log_dir, Path):
        watch_log_dir(request.config, log_dir, fixturedef.argname)
    if hasattr(value, "sms_messages") and hasattr(value, "reset_sms"):
        request.config.stash[_EMULATORS_KEY].append(value)
    return value


def _run_phase(item: pytest.Item, when: str) -> Iterator[None]:
    capture = _Capture()
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        yield
    finally:
        root.removeHandler(capture)
        registry = registry_of(item.config)
        for text in capture.texts:
            registry.scan(text, f"a Python log record of {item.nodeid} ({when})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    return (yield from _run_phase(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from _run_phase(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    # Before the fixtures go: the next test's clean_emulators would reset moto and lose this test's SMS.
    registry = registry_of(item.config)
    # Only a test that used the emulators can have sent an SMS; asking moto after each of the ~1000 unit tests would
    # cost a full dump of its state every time.
    uses_emulators = bool({"emulators", "clean_emulators", "stack"} & set(getattr(item, "fixturenames", ())))
    for handle in item.config.stash[_EMULATORS_KEY] if uses_emulators else ():
        # OSError: moto already stopped: nothing left to read.
        with contextlib.suppress(OSError):
            registry.scan_sms(handle.sms_messages(), f"an SMS sent during {item.nodeid}")
    return (yield from _run_phase(item, "teardown"))


def _scan_log_dirs(config: pytest.Config) -> None:
    registry = registry_of(config)
    for directory, label in config.stash[_LOG_DIRS_KEY].items():
        for path in sorted(directory.glob("*.log")):
            text = path.read_text(encoding="utf-8", errors="replace")
            registry.scan(text, f"the log of {path.stem} ({label}, {path})")


@pytest.fixture(scope="session", autouse=True)
def _privacy_guard(pytestconfig: pytest.Config) -> Iterator[None]:
    """Session-wide: set up first, so torn down last, after every stack has stopped and its logs are complete."""
    yield
    _scan_log_dirs(pytestconfig)
    findings = list(dict.fromkeys(registry_of(pytestconfig).findings))
    if findings:
        listing = "\n".join(f"  - {finding}" for finding in findings[:50])
        pytest.fail(f"personal data leaked ({len(findings)} findings):\n{listing}", pytrace=False)
