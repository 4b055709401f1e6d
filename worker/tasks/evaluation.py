from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_EVALUATE


@shared_task(name=TASK_EVALUATE, acks_late=True, time_limit=3600)
def run(job_id: int) -> str:
    # Imported here, not at the top: the worker's main process then never loads torch, and
    # the pool child that runs a job (recycled after each, celery_app.py) loads it alone.
    from worker.small_jobs import run_evaluation_job

    return run_evaluation_job(job_id)
