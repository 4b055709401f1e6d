from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_PREDICT
from worker.small_jobs import run_prediction_job


@shared_task(name=TASK_PREDICT, acks_late=True, time_limit=6 * 3600)
def predict(job_id: int) -> str:
    return run_prediction_job(job_id)
