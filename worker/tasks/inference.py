from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_PREDICT


@shared_task(name=TASK_PREDICT, acks_late=True, time_limit=6 * 3600)
def predict(job_id: int) -> str:
    # Imported here, not at the top: the worker's main process then never loads torch, and
    # the pool child that runs a job (recycled after each, celery_app.py) loads it alone.
    from worker.small_jobs import run_prediction_job

    return run_prediction_job(job_id)
