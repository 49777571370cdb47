"""Spawning beside busy gRPC clients, on demand: `make bench B=spawn` (or `nox -s bench -- spawn [options]`).

devstack.processes.spawn starts every component through `setpriv --pdeathsig` (with_parent_death_signal). Before, it
set the death signal in a subprocess `preexec_fn`, which makes Python fork (not vfork) and run the at-fork handlers,
gRPC core's among them, in a process whose gRPC clients have live threads: the test session and `make run` are such
processes, and one CI run hung in such a spawn (devstack/processes.py). This benchmark puts both ways in the same
situation: the Firestore and Pub/Sub emulators, two threads writing documents, one publishing, one snapshot
listener; then it spawns `true` --spawns times per round, the two ways in alternating rounds. Per way it prints
spawns/s, the slowest spawn, how often gRPC's fork handlers ran (its `fork_posix.cc` lines, from this process's
stderr) and how often a child reported a broken gRPC file descriptor after the fork.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import environment, machine, median
from devstack.harness import start_test_emulators
from devstack.processes import exit_with_parent, with_parent_death_signal

PROJECT = "demo-bahagia-bench-spawn"
FORK_HANDLER_LINE = "fork_posix.cc"
BROKEN_FD_LINE = "Bad file descriptor"


def spawn_with_preexec_fn() -> subprocess.Popen[bytes]:
    """The old way (devstack/processes.py before this benchmark): PR_SET_PDEATHSIG from Python in the fork."""
    parent = os.getpid()

    def setup() -> None:
        exit_with_parent()
        if os.getppid() != parent:
            os._exit(1)

    # the spawn under test: a fixed argv
    return subprocess.Popen(["true"], stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=setup)  # noqa: S607


def spawn_with_setpriv() -> subprocess.Popen[bytes]:
    """The way devstack.processes.spawn starts a component now."""
    return subprocess.Popen(with_parent_death_signal(["true"]), stdin=subprocess.DEVNULL, start_new_session=True)  # noqa: S603


WAYS: dict[str, Callable[[], subprocess.Popen[bytes]]] = {
    "preexec_fn (before)": spawn_with_preexec_fn,
    "setpriv (now)": spawn_with_setpriv,
}


@contextmanager
def stderr_into(path: Path) -> Iterator[None]:
    """This process's fd 2 (gRPC's C logging, and the children's stderr) into a file, for counting lines."""
    saved = os.dup(2)
    with path.open("ab") as sink:
        os.dup2(sink.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextmanager
def busy_grpc_clients() -> Iterator[None]:
    """Firestore writes (two threads), Pub/Sub publishes and a snapshot listener, until the block ends."""
    from google.cloud import firestore
    from google.pubsub_v1 import PubsubMessage
    from google.pubsub_v1.services.publisher import PublisherClient

    db = firestore.Client(project=PROJECT)
    publisher = PublisherClient()
    topic = publisher.create_topic(name=f"projects/{PROJECT}/topics/bench-spawn").name
    stop = threading.Event()

    def write() -> None:
        i = 0
        while not stop.is_set():
            db.collection("bench-spawn").document(str(i % 50)).set({"i": i})
            i += 1
            time.sleep(0.02)  # idle moments too: gRPC skips its fork handlers while a call is in flight

    def publish() -> None:
        while not stop.is_set():
            publisher.publish(topic=topic, messages=[PubsubMessage(data=b"x")])
            time.sleep(0.03)

    watch = db.collection("bench-spawn").on_snapshot(lambda *_: None)
    threads = [threading.Thread(target=target, daemon=True) for target in (write, write, publish)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        watch.unsubscribe()  # type: ignore[no-untyped-call]


def one_round(spawn: Callable[[], subprocess.Popen[bytes]], spawns: int, log: Path) -> dict[str, float]:
    before = log.read_text(errors="replace") if log.exists() else ""
    slowest = 0.0
    started = time.monotonic()
    with stderr_into(log):
        for _ in range(spawns):
            t0 = time.monotonic()
            spawn().wait()
            slowest = max(slowest, time.monotonic() - t0)
    elapsed = time.monotonic() - started
    new_lines = log.read_text(errors="replace")[len(before) :]
    return {
        "per_s": spawns / elapsed,
        "slowest_ms": slowest * 1000,
        "fork_handlers": new_lines.count(FORK_HANDLER_LINE),
        "broken_fds": new_lines.count(BROKEN_FD_LINE),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spawns", type=int, default=1000, help="spawns per round (default 1000)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per way, alternating (default 2)")
    args = parser.parse_args()
    print(machine())
    work = Path(tempfile.mkdtemp(prefix="bench-spawn-"))
    emulators = start_test_emulators(work / "logs", PROJECT, with_storage=False)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in WAYS}
    try:
        with environment(emulators.client_env()), busy_grpc_clients():
            for round_no in range(args.rounds):
                for name, spawn in WAYS.items():
                    figures = one_round(spawn, args.spawns, work / "stderr.log")
                    results[name].append(figures)
                    print(
                        f"round {round_no + 1} {name:20} {figures['per_s']:7.1f} spawns/s, slowest "
                        f"{figures['slowest_ms']:6.0f} ms, gRPC fork handlers {figures['fork_handlers']:5.0f}, "
                        f"broken gRPC fds in children {figures['broken_fds']:4.0f}",
                        flush=True,
                    )
    finally:
        emulators.stop()
    print(f"\n{args.rounds} x {args.spawns} spawns per way; medians over rounds, sums of the counts")
    for name, rounds in results.items():
        handlers = sum(r["fork_handlers"] for r in rounds)
        broken = sum(r["broken_fds"] for r in rounds)
        print(
            f"{name:20} {median([r['per_s'] for r in rounds]):7.1f} spawns/s, slowest "
            f"{max(r['slowest_ms'] for r in rounds):6.0f} ms, gRPC fork handlers {handlers:5.0f}, "
            f"broken gRPC fds {broken:4.0f}"
        )
    old, new = (median([r["per_s"] for r in rounds]) for rounds in results.values())
    print(f"ratio spawns/s now / before: {new / old:.2f}")


if __name__ == "__main__":
    main()
