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

__all__ = ["Child", "celery_worker_argv", "child_commands", "run_children", "uvicorn_argv"]


# Past 4 processes the database (SQLite's one writer, or a small PostgreSQL) is the limit, and
# each process holds its own connection pool and ~100 MB.
AUTO_API_WORKERS_MAX = 4


def api_processes(settings: Settings) -> int:
    """How many uvicorn processes serve the API: `api_workers`, or with 0 one per usable CPU."""
    if settings.api_workers:
        return settings.api_workers
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, AUTO_API_WORKERS_MAX))


# How long an idle keep-alive connection stays open. uvicorn's default (5 s) equals httpx's and
# is shorter than requests' or a proxy's idle limit (60 s is common), so a client could send on
# a connection the server was closing that instant and get "disconnected without a response".
# Longer than the clients' limits, the client closes first. An idle connection costs one file
# descriptor and a few KB per process.
API_KEEP_ALIVE_S = 75


def uvicorn_argv(app_factory: str, host: str, port: int, workers: int = 1) -> list[str]:
    """uvicorn serving `app_factory` the way `keyloop serve` does (tests and benches use it too)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app_factory,
        "--factory",
        "--host",
        host,
        "--port",
        str(port),
        "--timeout-keep-alive",
        str(API_KEEP_ALIVE_S),
        *(["--workers", str(workers)] if workers > 1 else []),
    ]


def child_commands(settings: Settings, host: str, port: int, worker: bool) -> list[Child]:
    py = sys.executable
    api = uvicorn_argv("backend.app:create_served_app", host, port, api_processes(settings))
    children = [Child("api", api)]
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
