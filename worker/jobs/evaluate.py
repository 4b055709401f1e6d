"""`evaluate` jobs (task `keyloop.evaluate`, queue `inference`): PCK of a model version on the
project's validation images, with what the admin page draws (each image's points, a t-SNE map
of the keypoint representations), stored as an `Evaluation` (`worker/evaluating.py`)."""

from __future__ import annotations

import logging

from celery import shared_task

from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import Evaluation, JobState, ModelVersion
from backend.queue import TASK_EVALUATE
from backend.schemas.job_options import EvaluateOptions
from worker import job_state

log = logging.getLogger(__name__)


@shared_task(name=TASK_EVALUATE, acks_late=True, time_limit=3600)
def evaluate(job_id: int) -> str:
    claimed = job_state.claim(job_id, EvaluateOptions)  # before torch: jobs/__init__.py
    if claimed is None:
        return "skipped"
    return run_evaluate_job(claimed)


def run_evaluate_job(claimed: job_state.Claim[EvaluateOptions]) -> str:
    from worker.device import pick_device
    from worker.evaluating import evaluate_samples
    from worker.predicting import load_predictor
    from worker.snapshot import take_snapshot

    job_id, options = claimed.job_id, claimed.options
    try:
        settings = get_settings()
        version_id, alpha = options.model_version_id, options.alpha
        with session_scope(settings.database_url) as session:
            version = session.get(ModelVersion, version_id)
            if version is None:
                raise LookupError(f"model version {version_id} no longer exists")
            path = version.path
        snap = take_snapshot(claimed.project())
        reporter = job_state.ProgressReporter(job_id)
        reporter.set_phase("evaluating", validation=len(snap.validation))
        metrics = evaluate_samples(
            load_predictor(path, pick_device()),
            snap.validation,
            snap.schema.names,
            alpha,
            per_image_points=True,
            with_embedding=options.embedding,
        )
        metrics["image_ids"] = snap.validation_ids
        metrics["keypoint_names"] = snap.schema.names
        with session_scope(settings.database_url) as session:
            session.add(
                Evaluation(model_version_id=version_id, job_id=job_id, alpha=alpha, metrics=metrics)
            )
        job_state.finish(job_id, JobState.succeeded)
        return "succeeded"
    except Exception as exc:
        log.exception("evaluation job %s failed", job_id)
        job_state.finish(job_id, JobState.failed, f"{type(exc).__name__}: {exc}")
        return "failed"
