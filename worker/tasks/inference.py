from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_PREDICT
from worker import job_state


@shared_task(name=TASK_PREDICT, acks_late=True, time_limit=6 * 3600)
def predict(job_id: int) -> str:
    # Claimed first, so a takeover is on record before the seconds of importing torch;
    # imported here, not at the top, so the worker's main process never loads torch and
    # the pool child that runs a job (recycled after each, celery_app.py) loads it alone.
    options = job_state.claim(job_id)
    if options is None:
        return "skipped"
    from worker.small_jobs import run_prediction_job

    return run_prediction_job(job_id, options)
