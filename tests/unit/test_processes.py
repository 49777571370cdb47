"""devstack.processes.spawn: children that end with their parent, started without running Python in a fork."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devstack.processes import spawn, stop_all, with_parent_death_signal

_READ_PDEATHSIG = (
    "import ctypes, os; libc = ctypes.CDLL(None); sig = ctypes.c_int(); "
    "libc.prctl(2, ctypes.byref(sig), 0, 0, 0); print(sig.value, os.getppid())"  # 2 = PR_GET_PDEATHSIG
)


def test_a_spawned_child_gets_sigterm_as_its_parent_death_signal(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    child = spawn("probe", [sys.executable, "-c", _READ_PDEATHSIG], env=dict(os.environ), log_path=log)
    try:
        assert child.popen.wait(30) == 0
    finally:
        stop_all([child])
    # The component itself (after setpriv and the shell exec'd into it) carries the signal and is our child.
    assert log.read_text().split() == ["15", str(os.getpid())]


def test_spawning_runs_no_python_at_fork_handlers(tmp_path: Path) -> None:
    # preexec_fn made subprocess fork and run these (and gRPC's) handlers: a fork in a threaded process that could
    # hang the parent in C (grpc/grpc#37259), out of reach of pytest-timeout.
    forks: list[int] = []
    os.register_at_fork(before=lambda: forks.append(os.getpid()))
    child = spawn("probe", ["true"], env=dict(os.environ), log_path=tmp_path / "true.log")
    try:
        assert child.popen.wait(30) == 0
    finally:
        stop_all([child])
    assert forks == []


def test_the_guard_refuses_to_start_a_child_whose_parent_is_already_gone() -> None:
    # As if the parent died before setpriv's prctl: the shell's parent is not the pid the command was built with.
    command = with_parent_death_signal(["echo", "started"])
    pid_at = command.index(str(os.getpid()))
    command[pid_at] = "1"
    finished = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    assert finished.returncode != 0
    assert "started" not in finished.stdout
