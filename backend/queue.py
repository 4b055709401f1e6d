"""Celery configuration shared by the API (which only sends tasks, by name) and the worker.

The broker is chosen by URL: `filesystem://` (embedded default, a folder under the data dir,
no server) or `redis://…` in production; results go to `db+sqlite` or Redis likewise. Job
state the product relies on (progress, cancellation) lives in our own database tables, not
in Celery's result backend, so both brokers behave the same.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from backend.config import Settings

# Task names, the only coupling between the API and the worker code. A job kind's task is
# "keyloop.<kind>" (`JobKind`), served by `worker/jobs/<kind>.py`; tasks renamed in 0014's
# release, so drain the queues before upgrading from an older one (docs/OPERATIONS.md).
TASK_TRAIN = "keyloop.train"
TASK_PREDICT = "keyloop.predict"
TASK_EVALUATE = "keyloop.evaluate"
TASK_IMPORT = "keyloop.import"
# Uniform and k-means frame extraction need no model (light worker); frames picked by model
# uncertainty need one (main worker), hence a second task for the same kind.
TASK_EXTRACT_FRAMES = "keyloop.extract_frames"
TASK_EXTRACT_FRAMES_UNCERTAIN = "keyloop.extract_frames.uncertain"
TASK_PREDICT_VIDEO = "keyloop.predict_video"
TASK_LINK_FRAMES = "keyloop.link_frames"
TASK_SCORE_LABELS = "keyloop.score_labels"
# Beat's periodic tasks (`worker/periodic.py`), not jobs.
TASK_CHECK_POLICY = "keyloop.check_policy"
TASK_COLLECT_GARBAGE = "keyloop.collect_garbage"

# Retraining has its own queue, so a deployment can give it the GPU machine.
QUEUE_TRAIN = "train"
# The main worker's other model work: evaluations, frames picked by uncertainty, beat's check.
QUEUE_INFERENCE = "inference"
# Jobs that predict many images (bulk and whole-video prediction, label scoring) wait here,
# apart from retraining and evaluation, so a deployment can give them their own worker
# (`-Q bulk`).
QUEUE_BULK = "bulk"
# Work that needs no model (imports, uniform and k-means frame extraction, frames linked to
# their video, the file sweep):
# `keyloop serve` runs a second, light worker (`worker.import_app`, no torch) for this queue
# alone, so an import never waits behind a retraining.
QUEUE_LIGHT = "light"


def make_celery(
    settings: Settings, name: str = "keyloop", include: list[str] | None = None
) -> Celery:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = Celery(name, broker=settings.broker_url, backend=settings.result_backend, include=include)
    conf: dict[str, Any] = {
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        # A task is acknowledged only when it finishes, so a killed worker's task is redelivered.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "task_default_queue": QUEUE_INFERENCE,
        "task_routes": {
            TASK_TRAIN: {"queue": QUEUE_TRAIN},
            TASK_PREDICT: {"queue": QUEUE_BULK},
            TASK_IMPORT: {"queue": QUEUE_LIGHT},
            TASK_COLLECT_GARBAGE: {"queue": QUEUE_LIGHT},
            TASK_EXTRACT_FRAMES: {"queue": QUEUE_LIGHT},
            TASK_EXTRACT_FRAMES_UNCERTAIN: {"queue": QUEUE_INFERENCE},
            TASK_PREDICT_VIDEO: {"queue": QUEUE_BULK},
            TASK_LINK_FRAMES: {"queue": QUEUE_LIGHT},
            TASK_SCORE_LABELS: {"queue": QUEUE_BULK},
        },
        "result_expires": 7 * 24 * 3600,
    }
    if settings.uses_filesystem_broker:
        folder = settings.broker_dir / "messages"
        processed = settings.broker_dir / "processed"
        control = settings.broker_dir / "control"
        for path in (folder, processed, control):
            path.mkdir(parents=True, exist_ok=True)
        conf["broker_transport_options"] = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(processed),
            "control_folder": str(control),
            "store_processed": False,
        }
    if settings.broker_url.startswith("redis"):
        # Unacknowledged messages come back after this long; it must exceed the longest
        # training run, or a second worker would start the same job while the first runs.
        conf["broker_transport_options"] = {"visibility_timeout": 30 * 3600}
    app.conf.update(conf)
    return app
