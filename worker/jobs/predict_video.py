"""`predict_video` jobs (task `keyloop.predict_video`, queue `bulk`): every frame of a video
predicted a chunk at a time, results written as files in the job's folder
(`worker/video_predicting.py`)."""

from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_PREDICT_VIDEO


@shared_task(name=TASK_PREDICT_VIDEO, acks_late=True, time_limit=12 * 3600)
def predict_video(job_id: int) -> str:
    from worker.video_predicting import run_predict_video_job  # torch: here, not at the top

    return run_predict_video_job(job_id)
