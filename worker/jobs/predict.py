"""`predict` jobs (task `keyloop.predict`, queue `bulk`): a model version predicts project
images by id (stored as predictions, `worker/predicting.py`) or uploaded files that never
become project images (results written to the job's folder, `worker/bulk_predicting.py`).
Short and resumable by simply running again."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from sqlalchemy import select

from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import Image, JobState
from backend.queue import TASK_PREDICT
from backend.schemas.job_options import PredictOptions
from backend.services.storage import LocalBlobStore
from worker import job_state

log = logging.getLogger(__name__)


@shared_task(name=TASK_PREDICT, acks_late=True, time_limit=6 * 3600)
def predict(job_id: int) -> str:
    claimed = job_state.claim(job_id, PredictOptions)  # before torch: jobs/__init__.py
    if claimed is None:
        return "skipped"
    return run_predict_job(claimed)


def run_predict_job(claimed: job_state.Claim[PredictOptions]) -> str:
    from worker.bulk_predicting import predict_uploads
    from worker.predicting import predict_and_store

    job_id, options = claimed.job_id, claimed.options
    try:
        reporter = job_state.ProgressReporter(job_id)

        def progress(done: int, total: int) -> None:
            reporter.report({"predicted": done, "to_predict": total})

        if options.source == "upload":  # files that never become project images
            reporter.set_phase("predicting", to_predict=len(options.files))
            predict_uploads(job_id, options, on_chunk=progress)
        else:
            images = _images(claimed.project(), options.image_ids)
            reporter.set_phase("predicting", to_predict=len(images))
            predict_and_store(options.model_version_id, images, on_chunk=progress)
        reporter.flush()
        job_state.finish(job_id, JobState.succeeded)
        return "succeeded"
    except Exception as exc:
        log.exception("prediction job %s failed", job_id)
        job_state.finish(job_id, JobState.failed, f"{type(exc).__name__}: {exc}")
        return "failed"


def _images(
    project_id: int, image_ids: list[int] | None
) -> list[tuple[int, Any, tuple[float, float, float, float] | None]]:
    from worker.snapshot import stored_roi

    settings = get_settings()
    store = LocalBlobStore(settings.files_dir)
    with session_scope(settings.database_url) as session:
        query = select(Image).where(Image.project_id == project_id).order_by(Image.id)
        if image_ids is not None:
            query = query.where(Image.id.in_(image_ids))
        return [(i.id, store.path_for(i.checksum), stored_roi(i)) for i in session.scalars(query)]
