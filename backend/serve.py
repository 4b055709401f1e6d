"""`keyloop serve`: the API, the Celery workers and Celery beat as child processes.

Two workers: the main one (training, prediction, evaluation; loads torch) and a light one for
imports. Each child runs in its own session so a terminal's Ctrl-C reaches only us; we then
stop the children in order (beat first so it schedules nothing new, the workers last so they
can finish their acknowledgement) and wait for each before exiting.
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
from backend.queue import QUEUE_BULK, QUEUE_IMPORTS, QUEUE_INFERENCE, QUEUE_TRAINING

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
        # One job at a time on the main worker: a retraining uses the whole machine.
        queues = ",".join((QUEUE_TRAINING, QUEUE_INFERENCE, QUEUE_BULK))
        children.append(Child("worker", celery_worker_argv("worker.celery_app", queues, "keyloop")))
        # Imports get their own light process (no torch), so one never waits behind an
        # 8-minute retraining; it is mostly reading files and writing rows.
        children.append(
            Child(
                "importer",
                celery_worker_argv("worker.import_app", QUEUE_IMPORTS, "keyloop-imports"),
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


def celery_worker_argv(app: str, queues: str, name: str) -> list[str]:
    """A Celery worker of `app` on `queues`, one task at a time, named `name@host`."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        app,
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        "1",
        "-Q",
        queues,
        "-n",
        f"{name}@%h",
    ]


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
