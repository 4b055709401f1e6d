"""`extract_frames` jobs: frames of a video added to the project as images
(`worker/frame_extraction.py`). Uniform and k-means picks need no model: task
`keyloop.extract_frames` on the light worker. Frames picked by the model's uncertainty
(`worker/video_uncertain.py`) need one: task `keyloop.extract_frames.uncertain` on the main
worker (`backend/dispatch.py` chooses by the job's method)."""

from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_EXTRACT_FRAMES, TASK_EXTRACT_FRAMES_UNCERTAIN
from worker.frame_extraction import run_extract_job


@shared_task(name=TASK_EXTRACT_FRAMES, acks_late=True, time_limit=3 * 3600)
def extract_frames(job_id: int) -> str:
    return run_extract_job(job_id)


@shared_task(name=TASK_EXTRACT_FRAMES_UNCERTAIN, acks_late=True, time_limit=3 * 3600)
def extract_frames_uncertain(job_id: int) -> str:
    from worker.video_uncertain import uncertain_picker  # torch: here, not at the top

    return run_extract_job(job_id, make_picker=uncertain_picker)
