"""Run child processes, restart the ones that die, stop them all in order.

A child that exits while we run (crash, `kill -9`, out of memory, or even a clean exit: none
of ours should end by itself) has its process group killed, so the helpers it forked (a
Celery worker's pool child) cannot linger, and is started again after a delay that doubles
with each recent crash (`RestartPolicy`). The other children keep running meanwhile, so the
API answers while a worker comes back. Only a child that crashes `max_crashes` times within
`window_s` makes us give up: then everything is stopped and we exit non-zero with a message
naming it, rather than restarting a broken command forever.

SIGINT/SIGTERM stop the children in the reverse order of the list, each waited for.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from types import FrameType

STOP_TIMEOUT_S = 20.0
POLL_S = 0.2


@dataclass(frozen=True)
class RestartPolicy:
    max_crashes: int = 5
    window_s: float = 60.0
    first_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(self, recent_crashes: int) -> float:
        return min(self.first_delay_s * 2.0 ** (recent_crashes - 1), self.max_delay_s)


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    crashes: list[float] = field(default_factory=list)  # monotonic times, within the window
    restart_at: float | None = None


def say(message: str) -> None:
    print(f"keyloop: {message}", flush=True)


def run_children(children: list[Child], policy: RestartPolicy | None = None) -> int:
    """Run until SIGINT/SIGTERM (exit 0) or until a child crashes too often (exit 1)."""
    policy = policy or RestartPolicy()
    stopping = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    for child in children:
        _start(child, "started")
    exit_code = 0
    while not stopping:
        now = time.monotonic()
        for child in children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    _start(child, "restarted")
                continue
            assert child.process is not None
            code = child.process.poll()
            if code is None:
                continue
            _kill_group(child.process.pid)
            child.crashes = [t for t in child.crashes if now - t < policy.window_s] + [now]
            crashes = len(child.crashes)
            if crashes >= policy.max_crashes:
                say(
                    f"{child.name} {describe_exit(code)}, {crashes} times within "
                    f"{policy.window_s:.0f}s; giving up and stopping everything"
                )
                exit_code = 1
                stopping = True
                break
            delay = policy.delay(crashes)
            say(f"{child.name} {describe_exit(code)}; restarting it in {delay:.2g}s")
            child.restart_at = now + delay
        time.sleep(POLL_S)
    stop_children(list(reversed(children)))
    return exit_code


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with {code}"


def _start(child: Child, verb: str) -> None:
    child.restart_at = None
    child.process = subprocess.Popen(child.argv, start_new_session=True, env=os.environ.copy())
    say(f"{verb} {child.name} (pid {child.process.pid})")


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing left in it
        os.killpg(pgid, signal.SIGKILL)


def stop_children(children: list[Child]) -> None:
    for child in children:
        proc = child.process
        if proc is None or proc.poll() is not None:
            continue
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop in {STOP_TIMEOUT_S:.0f}s; killing")
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        say(f"stopped {child.name}")
