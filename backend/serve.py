"""`keyloop serve`: the API, the Celery workers and Celery beat as supervised children.

Two workers: the main one (training, prediction, evaluation; loads torch) and a light one for
work without a model (queue `light`: imports, frame extraction, the file sweep). Each child
runs in its own session so a terminal's Ctrl-C reaches only us; we then stop the children in
order (beat first so it schedules nothing new, the workers last so they can finish their
acknowledgement) and wait for each before exiting.

A child that dies is restarted (`backend/supervisor.py`) while the others keep running: a
killed worker does not take the API down, and the restarted worker resumes the job it was
running (`worker/orphans.py`).
"""

from __future__ import annotations

import os
import sys

from backend import data_layout
from backend.config import Settings
from backend.queue import QUEUE_BULK, QUEUE_INFERENCE, QUEUE_LIGHT, QUEUE_TRAIN
from backend.supervisor import Child, run_children

__all__ = ["Child", "celery_worker_argv", "child_commands", "run_children"]


# Past 4 processes the database (SQLite's one writer, or a small PostgreSQL) is the limit, and
# each process holds its own connection pool and ~100 MB.
AUTO_API_WORKERS_MAX = 4


def api_processes(settings: Settings) -> int:
    """How many uvicorn processes serve the API: `api_workers`, or with 0 one per usable CPU."""
    if settings.api_workers:
        return settings.api_workers
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, AUTO_API_WORKERS_MAX))


def child_commands(settings: Settings, host: str, port: int, worker: bool) -> list[Child]:
    py = sys.executable
    children = [
        Child(
            "api",
            [
                py,
                "-m",
                "uvicorn",
                "backend.app:create_served_app",
                "--factory",
                "--host",
                host,
                "--port",
                str(port),
                *(["--workers", str(workers)] if (workers := api_processes(settings)) > 1 else []),
            ],
        ),
    ]
    if worker:
        # One job at a time on the main worker: a retraining uses the whole machine.
        queues = ",".join((QUEUE_TRAIN, QUEUE_INFERENCE, QUEUE_BULK))
        children.append(Child("worker", celery_worker_argv("worker.celery_app", queues, "keyloop")))
        # Imports get their own light process (no torch), so one never waits behind an
        # 8-minute retraining; it is mostly reading files and writing rows.
        children.append(
            Child(
                "importer",
                celery_worker_argv("worker.import_app", QUEUE_LIGHT, "keyloop-imports"),
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
                    "worker.beat_app",  # the schedule alone: beat never loads torch
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(settings.data_dir / data_layout.BEAT_SCHEDULE),
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
