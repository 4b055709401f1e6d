from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_SCORE_LABELS
from worker import job_state


@shared_task(name=TASK_SCORE_LABELS, acks_late=True, time_limit=6 * 3600)
def score_labels(job_id: int) -> str:
    # Claimed first, so a takeover is on record before the seconds of importing torch;
    # imported here, not at the top, so the worker's main process never loads torch and
    # the pool child that runs a job (recycled after each, celery_app.py) loads it alone.
    options = job_state.claim(job_id)
    if options is None:
        return "skipped"
    from worker.label_suspects import run_score_job

    return run_score_job(job_id, options)
