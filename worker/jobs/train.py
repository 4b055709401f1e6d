"""`train` jobs (task `keyloop.train`, queue `train`): retrain a project's model, publish the
version, predict and score every image (`worker/training_run.py`)."""

from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_TRAIN
from backend.schemas.job_options import TrainOptions
from worker import job_state

# Hard limit well above any budget an admin can set; the training loop's own time budget
# and the cancel flag are the normal ways a run ends.
TRAINING_TIME_LIMIT_S = 26 * 3600


@shared_task(name=TASK_TRAIN, acks_late=True, time_limit=TRAINING_TIME_LIMIT_S)
def train(job_id: int) -> str:
    claimed = job_state.claim(job_id, TrainOptions)  # before torch: jobs/__init__.py
    if claimed is None:
        return "skipped"
    from worker.training_run import run_training_job

    return run_training_job(job_id, claimed)
