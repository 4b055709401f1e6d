from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_RETRAIN
from worker import job_state

# Hard limit well above any budget an admin can set; the training loop's own time budget
# and the cancel flag are the normal ways a run ends.
TRAINING_TIME_LIMIT_S = 26 * 3600


@shared_task(name=TASK_RETRAIN, acks_late=True, time_limit=TRAINING_TIME_LIMIT_S)
def retrain(job_id: int) -> str:
    # Claimed first, so a takeover is on record before the seconds of importing torch;
    # imported here, not at the top, so the worker's main process never loads torch and
    # the pool child that runs a job (recycled after each, celery_app.py) loads it alone.
    options = job_state.claim(job_id)
    if options is None:
        return "skipped"
    from worker.training_run import run_training_job

    return run_training_job(job_id, options)
