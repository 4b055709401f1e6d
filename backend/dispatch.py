"""Sending worker tasks from the API, by name, after the job row is committed.

A route that starts a job ends with `commit_and_send`: the commit makes the row visible to
workers before the message can reach one. The task carries only the job id; if the broker is
unreachable the job is marked failed with the reason (and that is committed too) rather than
left queued forever, and the request still answers with the job.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from celery import Celery
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import utcnow
from backend.models import Job, JobKind, JobState
from backend.queue import (
    TASK_EVALUATE,
    TASK_EXTRACT_FRAMES,
    TASK_EXTRACT_FRAMES_UNCERTAIN,
    TASK_IMPORT,
    TASK_LINK_FRAMES,
    TASK_PREDICT,
    TASK_PREDICT_VIDEO,
    TASK_SCORE_LABELS,
    TASK_TRAIN,
    make_celery,
)
from backend.schemas.job_options import ExtractFramesOptions, options_of

log = logging.getLogger(__name__)

TASK_FOR_KIND = {
    JobKind.train: TASK_TRAIN,
    JobKind.predict: TASK_PREDICT,
    JobKind.evaluate: TASK_EVALUATE,
    JobKind.import_: TASK_IMPORT,
    JobKind.extract_frames: TASK_EXTRACT_FRAMES,
    JobKind.predict_video: TASK_PREDICT_VIDEO,
    JobKind.score_labels: TASK_SCORE_LABELS,
    JobKind.link_frames: TASK_LINK_FRAMES,
}


def task_for(job: Job) -> str:
    if (
        job.kind == JobKind.extract_frames
        and options_of(job, ExtractFramesOptions).method == "uncertain"
    ):
        return TASK_EXTRACT_FRAMES_UNCERTAIN  # needs the model: the main worker
    return TASK_FOR_KIND[job.kind]


@lru_cache(maxsize=4)
def _client(broker_url: str, result_backend: str, data_dir: str) -> Celery:
    settings = Settings(broker_url=broker_url, result_backend=result_backend, data_dir=data_dir)
    return make_celery(settings, "keyloop-api")


def celery_client(settings: Settings) -> Celery:
    return _client(settings.broker_url, settings.result_backend, str(settings.data_dir))


def commit_and_send(session: Session, settings: Settings, job: Job) -> None:
    """Commit the unit of work that created `job`, then send its task (`send_job`)."""
    session.commit()
    send_job(session, settings, job)


def send_job(session: Session, settings: Settings, job: Job) -> None:
    """Call after the commit that made `job` visible to workers."""
    try:
        result = celery_client(settings).send_task(task_for(job), args=[job.id])
    except Exception as exc:  # any broker failure: record it on the job, never lose it
        log.exception("could not send job %s", job.id)
        job.state = JobState.failed
        job.error = f"could not reach the task broker: {exc}"
        job.finished_at = utcnow()
    else:
        job.celery_task_id = result.id
    session.commit()


def revoke(settings: Settings, job: Job) -> None:
    """Best effort on top of the cancel flag, which is what the worker really obeys."""
    if job.celery_task_id:
        try:
            celery_client(settings).control.revoke(job.celery_task_id)
        except Exception:  # the flag already cancels; a broker without remote control is fine
            log.info("revoke of job %s not delivered", job.id)
