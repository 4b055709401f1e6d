"""Video tasks that need the model: the main worker serves them.

The model code (torch) is imported inside each task, as in `worker/tasks/training.py`, so the
worker's main process stays light and only the pool child running the job loads it.
"""

from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_EXTRACT_UNCERTAIN_FRAMES, TASK_PREDICT_VIDEO


@shared_task(name=TASK_EXTRACT_UNCERTAIN_FRAMES, acks_late=True, time_limit=3 * 3600)
def extract_uncertain_frames(job_id: int) -> str:
    from worker.frame_extraction import run_extract_job
    from worker.video_uncertain import uncertain_picker

    return run_extract_job(job_id, make_picker=uncertain_picker)


@shared_task(name=TASK_PREDICT_VIDEO, acks_late=True, time_limit=12 * 3600)
def predict_video(job_id: int) -> str:
    from worker.video_predicting import run_predict_video_job

    return run_predict_video_job(job_id)
