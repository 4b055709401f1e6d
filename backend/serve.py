"""`keyloop serve`: the API, a Celery worker and Celery beat as child processes.

Each child runs in its own session so a terminal's Ctrl-C reaches only us; we then stop the
children in order (beat first so it schedules nothing new, the worker last so it can finish
its acknowledgement) and wait for each before exiting.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType

from backend.config import Settings

STOP_TIMEOUT_S = 20.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None


def child_commands(settings: Settings, host: str, port: int, worker: bool) -> list[Child]:
    py = sys.executable
    children = [
        Child(
            "api",
            [
                py,
                "-m",
                "uvicorn",
                "backend.app:create_app",
                "--factory",
                "--host",
                host,
                "--port",
                str(port),
            ],
        ),
    ]
    if worker:
        children.append(
            Child(
                "worker",
                [
                    py,
                    "-m",
                    "celery",
                    "-A",
                    "worker.celery_app",
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    "1",
                    "-Q",
                    "training,inference,bulk",
                    "-n",
                    "keyloop@%h",
                ],
            )
        )
        children.append(
            Child(
                "beat",
                [
                    py,
                    "-m",
                    "celery",
                    "-A",
                    "worker.celery_app",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(settings.data_dir / "celerybeat-schedule"),
                ],
            )
        )
    return children


def run_children(children: list[Child]) -> int:
    stopping = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    for child in children:
        child.process = subprocess.Popen(child.argv, start_new_session=True, env=os.environ.copy())
        print(f"keyloop: started {child.name} (pid {child.process.pid})", flush=True)
    exit_code = 0
    while not stopping:
        for child in children:
            assert child.process is not None
            code = child.process.poll()
            if code is not None:
                print(f"keyloop: {child.name} exited with {code}; stopping", flush=True)
                exit_code = code or 1
                stopping = True
                break
        time.sleep(0.3)
    stop_children(list(reversed(children)))
    return exit_code


def stop_children(children: list[Child]) -> None:
    for child in children:
        proc = child.process
        if proc is None or proc.poll() is not None:
            continue
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(
                f"keyloop: {child.name} did not stop in {STOP_TIMEOUT_S:.0f}s; killing", flush=True
            )
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        print(f"keyloop: stopped {child.name}", flush=True)
