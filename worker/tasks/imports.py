from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_IMPORT
from worker.importing import run_import_job


# Thousands of images take minutes; the bound only stops a run that hangs.
@shared_task(name=TASK_IMPORT, acks_late=True, time_limit=6 * 3600)
def import_files(job_id: int) -> str:
    return run_import_job(job_id)
