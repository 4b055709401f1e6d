"""Video tasks that need no model: the light import worker serves them (`-Q imports`)."""

from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_EXTRACT_FRAMES
from worker.frame_extraction import run_extract_job


@shared_task(name=TASK_EXTRACT_FRAMES, acks_late=True, time_limit=3 * 3600)
def extract_frames(job_id: int) -> str:
    return run_extract_job(job_id)
