"""Prediction and evaluation jobs: short, resumable by simply running again."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import Evaluation, Image, JobState, ModelVersion
from backend.services.storage import LocalBlobStore
from worker import job_state
from worker.bulk_predicting import predict_uploads
from worker.device import pick_device
from worker.evaluating import evaluate_samples
from worker.predicting import load_predictor, predict_and_store
from worker.snapshot import stored_roi, take_snapshot

log = logging.getLogger(__name__)


def run_prediction_job(job_id: int, options: dict[str, Any] | None = None) -> str:
    options = options or job_state.claim(job_id)
    if options is None:
        return "skipped"
    try:
        version_id = int(options["model_version_id"])
        reporter = job_state.ProgressReporter(job_id)

        def progress(done: int, total: int) -> None:
            reporter.report({"predicted": done, "to_predict": total})

        if options.get("source") == "upload":  # files that never become project images
            reporter.set_phase("predicting", to_predict=len(options["files"]))
            predict_uploads(job_id, options, on_chunk=progress)
        else:
            images = _images(int(options["project_id"]), options.get("image_ids"))
            reporter.set_phase("predicting", to_predict=len(images))
            predict_and_store(version_id, images, on_chunk=progress)
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
    settings = get_settings()
    store = LocalBlobStore(settings.files_dir)
    with session_scope(settings.database_url) as session:
        query = select(Image).where(Image.project_id == project_id).order_by(Image.id)
        if image_ids is not None:
            query = query.where(Image.id.in_(image_ids))
        return [(i.id, store.path_for(i.checksum), stored_roi(i)) for i in session.scalars(query)]


def run_evaluation_job(job_id: int, options: dict[str, Any] | None = None) -> str:
    options = options or job_state.claim(job_id)
    if options is None:
        return "skipped"
    try:
        settings = get_settings()
        version_id, alpha = int(options["model_version_id"]), float(options.get("alpha", 0.1))
        with session_scope(settings.database_url) as session:
            version = session.get(ModelVersion, version_id)
            if version is None:
                raise LookupError(f"model version {version_id} no longer exists")
            path = version.path
        snap = take_snapshot(int(options["project_id"]))
        reporter = job_state.ProgressReporter(job_id)
        reporter.set_phase("evaluating", validation=len(snap.validation))
        metrics = evaluate_samples(
            load_predictor(path, pick_device()),
            snap.validation,
            snap.schema.names,
            alpha,
            per_image_points=True,
            with_embedding=bool(options.get("embedding", True)),
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
