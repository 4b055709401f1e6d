from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_EVALUATE
from worker import job_state


@shared_task(name=TASK_EVALUATE, acks_late=True, time_limit=3600)
def run(job_id: int) -> str:
    # Claimed first, so a takeover is on record before the seconds of importing torch;
    # imported here, not at the top, so the worker's main process never loads torch and
    # the pool child that runs a job (recycled after each, celery_app.py) loads it alone.
    options = job_state.claim(job_id)
    if options is None:
        return "skipped"
    from worker.small_jobs import run_evaluation_job

    return run_evaluation_job(job_id, options)
