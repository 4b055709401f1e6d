from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_EVALUATE
from worker.small_jobs import run_evaluation_job


@shared_task(name=TASK_EVALUATE, acks_late=True, time_limit=3600)
def run(job_id: int) -> str:
    return run_evaluation_job(job_id)
