"""Child processes that cannot outlive the stack: own process group, PR_SET_PDEATHSIG, SIGTERM then SIGKILL."""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1

# For exit_with_parent: devstack.run asks for it for itself (its children get it from with_parent_death_signal).
_libc = ctypes.CDLL(None, use_errno=True)


class StartupError(Exception):
    """A component did not come up; the message says which one and where its log is."""


def exit_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask the kernel to send `sig` to this process when its parent dies."""
    _libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def with_parent_death_signal(argv: Sequence[str], sig: signal.Signals = signal.SIGTERM) -> list[str]:
    """`argv` started through util-linux's setpriv, which sets PR_SET_PDEATHSIG and execs it in the same process.

    Not subprocess's preexec_fn: that makes Python fork (not vfork), run its at-fork handlers and Python code in the
    child, which the subprocess docs call unsafe in a process with threads; the test session and `make run` hold
    gRPC clients whose threads can make such a fork hang in C, out of reach of any signal handler (grpc/grpc#37259).
    Without preexec_fn subprocess spawns with vfork and runs no Python in the child. SIGTERM rather than SIGKILL lets
    gunicorn stop its worker and Java run its shutdown hooks. The parent may die between the spawn and setpriv's
    prctl, and then nobody would ever send the signal: a shell between the two checks that its parent is still this
    process (the death signal survives exec) before it becomes the component.
    """
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise StartupError("setpriv is missing: apt-get install util-linux")
    death_signal = f"--pdeathsig={sig.name.removeprefix('SIG')}"
    guard = 'test "$PPID" = "$0" && exec "$@"'
    return [setpriv, death_signal, "--", "/bin/sh", "-c", guard, str(os.getpid()), *argv]


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass(eq=False)  # identity hashing: processes are dict keys while waiting
class ManagedProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    stopped: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exit_code(self) -> int | None:
        return self.popen.poll()

    def signal_group(self, sig: int) -> None:
        # The process is the leader of its own group (start_new_session), so this reaches what it forked too
        # (gunicorn's worker); after the leader is reaped the group may linger until its last member exits.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def group_alive(self) -> bool:
        try:
            os.killpg(self.popen.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        # A group whose only member is our unreaped zombie leader counts as gone.
        return self._group_has_live_member()

    def _group_has_live_member(self) -> bool:
        return any(fields[0] != "Z" for fields in group_members(self.popen.pid))


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: Path,
    cwd: Path | None = None,
) -> ManagedProcess:
    """Start a child in its own session with its output in `log_path`.

    Must be called from a thread that lives as long as the child: PR_SET_PDEATHSIG fires when the *thread* that
    forked it ends, so the stack spawns everything from the main thread.
    """
    command = with_parent_death_signal(argv)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        # argv is built by devstack.components from fixed parts and paths of this machine
        popen = subprocess.Popen(  # noqa: S603
            command,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return ManagedProcess(name=name, popen=popen, log_path=log_path)


def stop_all(processes: Sequence[ManagedProcess], timeout: float = 10.0) -> None:
    """SIGTERM every group at once, then SIGKILL what is left after `timeout`; reaps every leader."""
    live = [proc for proc in processes if not proc.stopped]
    for proc in live:
        proc.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in live:
        remaining = max(0.0, deadline - time.monotonic())
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(remaining)
    for proc in live:
        while proc.group_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.popen.poll() is None or proc.group_alive():
            proc.signal_group(signal.SIGKILL)
            proc.popen.wait()
        proc.stopped = True


def group_members(pgid: int) -> Iterator[list[str]]:
    """The /proc/<pid>/stat fields after the parenthesised command (state ppid pgrp ... utime stime ...) of every
    process in a process group: a component's whole tree, e.g. the JVM behind the Pub/Sub emulator's launcher."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # it ended while we looked
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[2]) == pgid:
            yield fields


def http_status(
    url: str,
    timeout: float = 2.0,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> int | None:
    """The status of one request (a GET unless told), or None when nothing answers."""
    parts = url.split("/", 3)
    host, _, port = parts[2].partition(":")
    path = "/" + (parts[3] if len(parts) > 3 else "")
    conn = http.client.HTTPConnection(host, int(port or 80), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_until_ready(pending: Mapping[ManagedProcess, tuple[str, bool]], timeout: float) -> None:
    """Poll each process's URL until it answers (with 200 where the flag says so); fail fast when one exits."""
    waiting = dict(pending)
    deadline = time.monotonic() + timeout
    while waiting:
        for proc, (url, needs_200) in list(waiting.items()):
            code = proc.exit_code()
            if code is not None:
                tail = log_tail(proc.log_path)
                raise StartupError(
                    f"{proc.name} exited with code {code} while starting; log: {proc.log_path}"
                    + (f"\n{tail}" if tail else "")
                )
            status = http_status(url)
            if status is not None and (status == 200 or not needs_200):
                del waiting[proc]
        if not waiting:
            return
        if time.monotonic() > deadline:
            names = ", ".join(f"{proc.name} ({url}, log: {proc.log_path})" for proc, (url, _) in waiting.items())
            raise StartupError(f"no answer within {timeout:.0f} s from {names}")
        time.sleep(0.1)
