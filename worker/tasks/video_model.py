"""Video tasks that need the model: the main worker serves them."""

from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_EXTRACT_UNCERTAIN_FRAMES, TASK_PREDICT_VIDEO
from worker.frame_extraction import run_extract_job
from worker.video_predicting import run_predict_video_job
from worker.video_uncertain import uncertain_picker


@shared_task(name=TASK_EXTRACT_UNCERTAIN_FRAMES, acks_late=True, time_limit=3 * 3600)
def extract_uncertain_frames(job_id: int) -> str:
    return run_extract_job(job_id, make_picker=uncertain_picker)


@shared_task(name=TASK_PREDICT_VIDEO, acks_late=True, time_limit=12 * 3600)
def predict_video(job_id: int) -> str:
    return run_predict_video_job(job_id)
